"""PostgreSQL: each article's tsvectors built with its language's text-search configuration

Only on PostgreSQL; on SQLite (Whoosh backend) this revision does nothing.

- `na_<language>` configurations for every Snowball stemmer PostgreSQL 15 ships, built as
  `na_english` is (migration b7c1e2f0a9d3): the stemmer without its stop-word list, so no word
  is dropped from the index. `na_folded` (lower case, unstemmed) for any other language.
- `na_config(language)`: the configuration of an ISO 639-1 code. NULL (language unknown) keeps
  `na_english`, what every row used before, so an archive without languages searches as before.
- `na_text(language, text)`: the text as its configuration reads it. English and NULL: only
  `na_normalize` (unchanged, so English ranking does not move). Other languages: accents folded
  too (`na_fold`: Latin letters without their diacritics, as the Whoosh backend's accent map;
  not the `unaccent` extension, which needs privileges and lives in one schema). Chinese, Japanese and
  Korean: every run of CJK characters as its overlapping bigrams (`na_cjk_bigrams`), as
  Lucene's CJK analyzer does, so any two-character word inside a run is a lexeme.
- `search_vector`, `title_vector`, `title_len` and `body_len` regenerated from those (PostgreSQL
  15 cannot change a generated column's expression: the columns are dropped and added in one
  ALTER TABLE, one rewrite of the table or of each partition), their GIN (and RUM) indexes
  recreated, and the BM25 statistics (`search_terms`, `search_totals`) recounted. A later edit
  of an article's `language` regenerates its vectors with the row.

Revision ID: d7e2a4c9b1f5
Revises: c4d2e8f1a7b3
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "d7e2a4c9b1f5"
down_revision = "c4d2e8f1a7b3"
branch_labels = None
depends_on = None

# ISO 639-1 -> PostgreSQL 15's Snowball stemmer (`\dFd *_stem`). Frozen here: a later change
# needs a migration that rebuilds the vectors (app/search/postgres_lang.py mirrors it, tested).
SNOWBALL = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
CJK = ("ja", "ko", "zh")
# Latin letters lose their diacritics: decomposed (NFD), the combining marks after a Latin
# letter dropped, recomposed (NFC), so other scripts' letters (Russian й, Korean syllables) stay
# whole. ø ł đ ı have no decomposition: translated, only in a text that has one (translate
# scans its whole map per character). 0.14 ms per 1 kB body (bench.pg_languages); a
# 251-letter `translate` map cost 1.2 ms.
STROKED, UNSTROKED = "øØłŁđĐı", "oOlLdDi"
FOLD = (
    "normalize(regexp_replace(normalize("
    f"CASE WHEN {{t}} ~ '[{STROKED}]' THEN translate({{t}}, '{STROKED}', '{UNSTROKED}') "
    r"ELSE {t} END, NFD), '([A-Za-z])[\u0300-\u036f]+', '\1', 'g'), NFC)"
)
# Han (with extension A and compatibility ideographs), hiragana, katakana and Hangul syllables.
CJK_CLASS = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"
WORD_TYPES = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"


def _configurations() -> list[str]:
    out = ["CREATE TEXT SEARCH CONFIGURATION na_folded (COPY = simple)"]
    for stemmer in sorted(set(SNOWBALL.values()) - {"english"}):
        out += [
            f"CREATE TEXT SEARCH DICTIONARY na_{stemmer}_stem "
            f"(TEMPLATE = snowball, Language = {stemmer})",
            f"CREATE TEXT SEARCH CONFIGURATION na_{stemmer} (COPY = simple)",
            f"ALTER TEXT SEARCH CONFIGURATION na_{stemmer} ALTER MAPPING FOR {WORD_TYPES} "
            f"WITH na_{stemmer}_stem",
        ]
    return out


def _config_function() -> str:
    cases = " ".join(
        f"WHEN '{code}' THEN 'na_{stemmer}'::regconfig" for code, stemmer in SNOWBALL.items()
    )
    return f"""CREATE FUNCTION na_config(lang text) RETURNS regconfig LANGUAGE sql IMMUTABLE
        PARALLEL SAFE
        RETURN CASE WHEN lang IS NULL THEN 'na_english'::regconfig
                    ELSE CASE lang {cases} ELSE 'na_folded'::regconfig END END"""


FUNCTIONS = [
    # A run of CJK characters becomes its overlapping bigrams ("東京都" -> "東京 京都"); a lone
    # character stays; everything else passes through for the parser.
    f"""CREATE FUNCTION na_cjk_bigrams(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN coalesce((
          SELECT string_agg(
                   CASE WHEN length(r.m[1]) > 1 AND r.m[1] ~ '^{CJK_CLASS}' THEN
                     (SELECT string_agg(substr(r.m[1], i, 2), ' ' ORDER BY i)
                        FROM generate_series(1, length(r.m[1]) - 1) AS i)
                   ELSE r.m[1] END, ' ' ORDER BY r.n)
            FROM regexp_matches(t, '{CJK_CLASS}+|[^{CJK_CLASS[1:-1]}]+', 'g')
                 WITH ORDINALITY AS r(m, n)), '')""",
    _config_function(),
    f"""CREATE FUNCTION na_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN {FOLD.format(t="t")}""",
    f"""CREATE FUNCTION na_text(lang text, t text) RETURNS text LANGUAGE sql IMMUTABLE
        PARALLEL SAFE
        RETURN CASE WHEN lang IS NULL OR lang = 'en' THEN na_normalize(t)
                    WHEN lang IN {CJK} THEN na_cjk_bigrams(na_fold(na_normalize(t)))
                    ELSE na_fold(na_normalize(t)) END""",
    """CREATE FUNCTION na_vector(lang text, t text) RETURNS tsvector LANGUAGE sql IMMUTABLE
        PARALLEL SAFE
        RETURN to_tsvector(na_config(lang), na_text(lang, t))""",
]
DROP_FUNCTIONS = [
    "DROP FUNCTION IF EXISTS na_vector(text, text)",
    "DROP FUNCTION IF EXISTS na_text(text, text)",
    "DROP FUNCTION IF EXISTS na_config(text)",
    "DROP FUNCTION IF EXISTS na_fold(text)",
    "DROP FUNCTION IF EXISTS na_cjk_bigrams(text)",
]

_DROP_COLUMNS = (
    "DROP COLUMN search_vector, DROP COLUMN title_vector, "
    "DROP COLUMN title_len, DROP COLUMN body_len"
)


def _columns(title: str, body: str) -> str:
    """The four generated columns, from the title's and the body's vector expressions."""
    return (
        f"ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        f"setweight({title}, 'A') || setweight({body}, 'D')) STORED, "
        f"ADD COLUMN title_vector tsvector GENERATED ALWAYS AS ({title}) STORED, "
        f"ADD COLUMN title_len integer GENERATED ALWAYS AS (na_token_count({title})) STORED, "
        f"ADD COLUMN body_len integer GENERATED ALWAYS AS (na_token_count({body})) STORED"
    )


PER_LANGUAGE = _columns("na_vector(language, title)", "na_vector(language, body)")
ENGLISH_ONLY = _columns(
    "to_tsvector('na_english'::regconfig, na_normalize(title))",
    "to_tsvector('na_english'::regconfig, na_normalize(body))",
)

RECOUNT = [
    "DELETE FROM search_terms",
    """INSERT INTO search_terms
         SELECT x.lexeme, x.field, count(*) FROM articles a,
                na_term_fields(a.search_vector, a.exact_vector) x
          GROUP BY x.lexeme, x.field""",
    """UPDATE search_totals SET docs = s.docs, title_tokens = s.title, body_tokens = s.body
         FROM (SELECT count(*) AS docs, coalesce(sum(title_len), 0) AS title,
                      coalesce(sum(body_len), 0) AS body FROM articles) AS s
        WHERE id = 1""",
]


def _rum_schema() -> str | None:
    found = op.get_bind().execute(
        text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'rum'"
        )
    )
    return found.scalar()


def _regenerate(columns: str) -> None:
    """Replace the generated columns (their indexes go with them) and remake the indexes."""
    had_rum = (
        op.get_bind().scalar(text("SELECT to_regclass('ix_articles_rum_search_vector')"))
        is not None
    )
    op.execute(f"ALTER TABLE articles {_DROP_COLUMNS}, {columns}")
    op.execute("CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)")
    op.execute("CREATE INDEX ix_articles_title_vector ON articles USING gin (title_vector)")
    schema = _rum_schema()
    if had_rum and schema is not None:
        op.execute(
            "CREATE INDEX ix_articles_rum_search_vector ON articles "
            f'USING rum (search_vector "{schema}".rum_tsvector_ops)'
        )
    for statement in RECOUNT:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in [*_configurations(), *FUNCTIONS]:
        op.execute(statement)
    _regenerate(PER_LANGUAGE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _regenerate(ENGLISH_ONLY)
    for statement in DROP_FUNCTIONS:
        op.execute(statement)
    for stemmer in sorted(set(SNOWBALL.values()) - {"english"}, reverse=True):
        op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS na_{stemmer}")
        op.execute(f"DROP TEXT SEARCH DICTIONARY IF EXISTS na_{stemmer}_stem")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS na_folded")
