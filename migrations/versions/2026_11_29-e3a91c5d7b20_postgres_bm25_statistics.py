"""PostgreSQL BM25: per-article field lengths and per-lexeme document frequencies

Only on PostgreSQL; on SQLite (Whoosh backend) this revision does nothing.

BM25 needs, besides each article's term frequencies (already in `search_vector`: title
positions weighted A, body positions D), the length of each field in every article, the number
of articles with each word per field, and the article count and average field lengths.

- `title_len` / `body_len`: generated columns, so adding them computes them for every existing
  row (the backfill) and every write keeps them right.
- `search_terms` (lexeme, field 'A' title / 'D' body, lower case for the exact forms of
  `exact_vector`, df) and the one-row `search_totals`
  (articles, summed field lengths): kept by statement-level triggers on `articles`, in the same
  transaction as the write, so ranking never reads stale statistics (docs/scaling.md measures
  what this costs an import). Filled here from the existing rows.

Revision ID: e3a91c5d7b20
Revises: 384f17696bac
Create Date: 2026-11-29 10:00:00
"""

from alembic import op

revision = "e3a91c5d7b20"
down_revision = "384f17696bac"
branch_labels = None
depends_on = None

def _delta(rows: str, sign: int) -> str:
    """(lexeme, field, d) of the articles in transition table `rows`, each counted `sign`."""
    return (
        f"SELECT x.lexeme, x.field, {sign} AS d FROM {rows} r, "
        "na_term_fields(r.search_vector, r.exact_vector) x"
    )


def _stats_function(name: str, deltas: list[str], totals: list[tuple[str, int]]) -> str:
    """A trigger function adding `deltas` to search_terms and `totals` to search_totals."""
    union = " UNION ALL ".join(deltas)
    docs = " + ".join(f"(SELECT {s} * count(*) FROM {r})" for r, s in totals)
    title = " + ".join(f"(SELECT {s} * coalesce(sum(title_len), 0) FROM {r})" for r, s in totals)
    body = " + ".join(f"(SELECT {s} * coalesce(sum(body_len), 0) FROM {r})" for r, s in totals)
    # Lexemes in sorted order: two writers lock the rows they share in the same order, so the
    # later one waits instead of deadlocking. Rows that fall to 0 stay (harmless, and deleting
    # them in the same statement would update a row twice).
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO search_terms AS t (lexeme, field, df)
            SELECT lexeme, field, sum(d) FROM ({union}) AS deltas
            GROUP BY lexeme, field HAVING sum(d) <> 0 ORDER BY lexeme, field
          ON CONFLICT (lexeme, field) DO UPDATE SET df = t.df + excluded.df;
          UPDATE search_totals SET docs = docs + {docs}, title_tokens = title_tokens + {title},
                 body_tokens = body_tokens + {body}
           WHERE id = 1;
          RETURN NULL;
        END $$"""


UPGRADE = [
    # Tokens in a field: one position per token (a tsvector keeps at most 256 per lexeme and
    # clamps positions past 16,383; news articles are far shorter).
    """CREATE FUNCTION na_token_count(v tsvector) RETURNS integer LANGUAGE sql IMMUTABLE
        PARALLEL SAFE
        RETURN (SELECT coalesce(sum(cardinality(positions)), 0)::integer FROM unnest(v))""",
    """ALTER TABLE articles
         ADD COLUMN title_len integer GENERATED ALWAYS AS (
           na_token_count(to_tsvector('na_english'::regconfig, na_normalize(title)))) STORED,
         ADD COLUMN body_len integer GENERATED ALWAYS AS (
           na_token_count(to_tsvector('na_english'::regconfig, na_normalize(body)))) STORED""",
    # Exact (lower-cased, unstemmed) forms, as the Whoosh backend's title_exact and body_exact.
    """ALTER TABLE articles ADD COLUMN exact_vector tsvector GENERATED ALWAYS AS (
           setweight(to_tsvector('na_simple'::regconfig, na_normalize(title)), 'A') ||
           setweight(to_tsvector('na_simple'::regconfig, na_normalize(body)), 'D')) STORED""",
    # Title lexemes are weighted A, body lexemes D; fields 'A'/'D' are stemmed, 'a'/'d' exact.
    """CREATE FUNCTION na_term_fields(v tsvector, exact tsvector)
        RETURNS TABLE (lexeme text, field "char") LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT l, 'A'::"char" FROM unnest(tsvector_to_array(ts_filter(v, '{a}'))) AS l
          UNION ALL
          SELECT l, 'D'::"char" FROM unnest(tsvector_to_array(ts_filter(v, '{d}'))) AS l
          UNION ALL
          SELECT l, 'a'::"char" FROM unnest(tsvector_to_array(ts_filter(exact, '{a}'))) AS l
          UNION ALL
          SELECT l, 'd'::"char" FROM unnest(tsvector_to_array(ts_filter(exact, '{d}'))) AS l
        $$""",
    # The frequencies of some lexemes in a title+body vector, {lexeme: [title, body]}: what
    # ranking reads of each candidate (weights A are title positions).
    """CREATE FUNCTION na_term_freqs(v tsvector, lexemes text[]) RETURNS jsonb LANGUAGE sql
        IMMUTABLE PARALLEL SAFE
        RETURN (SELECT coalesce(jsonb_object_agg(u.lexeme, jsonb_build_array(
                         w.a, cardinality(u.positions) - w.a)), '{}'::jsonb)
                  FROM unnest(v) AS u,
                       LATERAL (SELECT coalesce(cardinality(array_positions(u.weights, 'A')), 0))
                         AS w(a)
                 WHERE u.lexeme = ANY(lexemes))""",
    # The C collation lets the primary key's btree answer prefix ranges (prefix queries).
    """CREATE TABLE search_terms (
         lexeme text COLLATE "C" NOT NULL,
         field "char" NOT NULL,
         df integer NOT NULL,
         PRIMARY KEY (lexeme, field))""",
    """CREATE TABLE search_totals (
         id integer PRIMARY KEY CHECK (id = 1),
         docs bigint NOT NULL,
         title_tokens bigint NOT NULL,
         body_tokens bigint NOT NULL)""",
    # The backfill: statistics of the rows already there.
    """INSERT INTO search_totals
         SELECT 1, count(*), coalesce(sum(title_len), 0), coalesce(sum(body_len), 0)
           FROM articles""",
    """INSERT INTO search_terms
         SELECT x.lexeme, x.field, count(*) FROM articles a,
                na_term_fields(a.search_vector, a.exact_vector) x
          GROUP BY x.lexeme, x.field""",
    _stats_function("na_stats_insert", [_delta("new_rows", 1)], [("new_rows", 1)]),
    _stats_function("na_stats_delete", [_delta("old_rows", -1)], [("old_rows", -1)]),
    _stats_function(
        "na_stats_update",
        [_delta("new_rows", 1), _delta("old_rows", -1)],
        [("new_rows", 1), ("old_rows", -1)],
    ),
    """CREATE FUNCTION na_stats_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM search_terms;
          UPDATE search_totals SET docs = 0, title_tokens = 0, body_tokens = 0;
          RETURN NULL;
        END $$""",
    "CREATE TRIGGER na_stats_insert AFTER INSERT ON articles REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION na_stats_insert()",
    "CREATE TRIGGER na_stats_delete AFTER DELETE ON articles REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION na_stats_delete()",
    "CREATE TRIGGER na_stats_update AFTER UPDATE ON articles "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION na_stats_update()",
    "CREATE TRIGGER na_stats_truncate AFTER TRUNCATE ON articles "
    "FOR EACH STATEMENT EXECUTE FUNCTION na_stats_truncate()",
]
DOWNGRADE = [
    "DROP TRIGGER IF EXISTS na_stats_truncate ON articles",
    "DROP TRIGGER IF EXISTS na_stats_update ON articles",
    "DROP TRIGGER IF EXISTS na_stats_delete ON articles",
    "DROP TRIGGER IF EXISTS na_stats_insert ON articles",
    "DROP FUNCTION IF EXISTS na_stats_truncate()",
    "DROP FUNCTION IF EXISTS na_stats_update()",
    "DROP FUNCTION IF EXISTS na_stats_delete()",
    "DROP FUNCTION IF EXISTS na_stats_insert()",
    "DROP TABLE IF EXISTS search_totals",
    "DROP TABLE IF EXISTS search_terms",
    "DROP FUNCTION IF EXISTS na_term_freqs(tsvector, text[])",
    "DROP FUNCTION IF EXISTS na_term_fields(tsvector, tsvector)",
    "ALTER TABLE articles DROP COLUMN IF EXISTS exact_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS body_len, DROP COLUMN IF EXISTS title_len",
    "DROP FUNCTION IF EXISTS na_token_count(tsvector)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in DOWNGRADE:
        op.execute(statement)
