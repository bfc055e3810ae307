"""PostgreSQL, opt-in: `articles` partitioned by year of publication; a RUM index when RUM is there

Only on PostgreSQL. Two independent parts:

- Partitions, only when NEWSARCHIVE_PG_PARTITIONS=1 is set while this migration runs (or
  `partitions` is given in the Alembic config's attributes, as tests do).
- A RUM index on `search_vector` (`ix_articles_rum_search_vector`), only when the `rum` extension is
  installed in the database (it is untrusted: a superuser runs `CREATE EXTENSION rum`, in any
  schema, before `newsarchive migrate`). The search backend then takes its BM25 candidates in
  the index's rank order instead of reading every match's vector (app/search/postgres_rank.py);
  without it, the plain GIN index and the in-database order, as before.

A unique index on a partitioned table must contain the partition key, so `content_hash` and
`url` can no longer be unique on `articles` itself. Their uniqueness (and that of `id`) moves to
`article_keys`, a small unpartitioned table kept by row triggers on `articles` in the writing
statement: a duplicate raises the same unique violation, at the end of the statement instead of
at the row. Foreign keys that pointed at `articles(id)` point at `article_keys(id)`, with the same
ON DELETE action. A row whose `published` moves to another year moves partition (PostgreSQL
deletes and re-inserts it); the triggers see the article is still there and keep its key.

Partitions: one per year from 30 years before the current year (or the oldest article, if older)
to 5 years after it (or the newest article), and a DEFAULT partition for any other date;
`na_add_year_partition(year)` adds a year later (moving its rows out of the default partition).
Indexes and triggers of the old table are recreated on the new one under the same names (unique
ones as plain indexes, the primary key as (id, published)).

Revision ID: b5a997eac358
Revises: e3a91c5d7b20
Create Date: 2026-12-05 12:40:00
"""

from __future__ import annotations

import datetime as dt
import os

from alembic import context, op
from sqlalchemy import text

revision = "b5a997eac358"
down_revision = "e3a91c5d7b20"
branch_labels = None
depends_on = None

YEARS_BACK, YEARS_AHEAD = 30, 5
OLD = "articles_rebuilt"

KEYS_TABLE = """CREATE TABLE article_keys (
    id integer PRIMARY KEY,
    content_hash varchar(64) NOT NULL CONSTRAINT uq_article_keys_content_hash UNIQUE,
    url varchar(2000) CONSTRAINT uq_article_keys_url UNIQUE)"""

# AFTER ROW triggers run at the end of the statement, when a row moved to another partition is
# visible again under its id: the key stays, and a second row with an existing id is refused.
KEY_FUNCTIONS = [
    """CREATE FUNCTION na_keys_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM article_keys WHERE id = NEW.id) THEN
            IF (SELECT count(*) FROM articles WHERE id = NEW.id) > 1 THEN
              RAISE unique_violation USING MESSAGE =
                format('duplicate key value violates unique constraint "article_keys_pkey": id %s',
                       NEW.id);
            END IF;
            UPDATE article_keys SET content_hash = NEW.content_hash, url = NEW.url
             WHERE id = NEW.id;
          ELSE
            INSERT INTO article_keys (id, content_hash, url)
              VALUES (NEW.id, NEW.content_hash, NEW.url);
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE FUNCTION na_keys_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF (NEW.id, NEW.content_hash, NEW.url) IS DISTINCT FROM
             (OLD.id, OLD.content_hash, OLD.url) THEN
            UPDATE article_keys SET id = NEW.id, content_hash = NEW.content_hash, url = NEW.url
             WHERE id = OLD.id;
          END IF;
          RETURN NULL;
        END $$""",
    """CREATE FUNCTION na_keys_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM article_keys k
           WHERE k.id = OLD.id AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.id = OLD.id);
          RETURN NULL;
        END $$""",
    """CREATE FUNCTION na_keys_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM article_keys;
          RETURN NULL;
        END $$""",
    # Adding a year later: its rows leave the DEFAULT partition first (PostgreSQL refuses a new
    # partition whose range the default partition still holds rows of). They move partition to
    # partition, so the statistics triggers on `articles` (statement level) do not count them
    # twice; the key triggers (row level, on every partition) find their keys in place.
    """CREATE FUNCTION na_add_year_partition(y integer) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
          name text := format('articles_y%s', y);
          low date := make_date(y, 1, 1);
          high date := make_date(y + 1, 1, 1);
          cols text;
        BEGIN
          IF to_regclass(name) IS NOT NULL THEN
            RETURN;
          END IF;
          ALTER TABLE articles DETACH PARTITION articles_default;
          EXECUTE format('CREATE TABLE %I PARTITION OF articles FOR VALUES FROM (%L) TO (%L)',
                         name, low, high);
          SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
            FROM pg_attribute WHERE attrelid = 'articles'::regclass AND attnum > 0
             AND NOT attisdropped AND attgenerated = '';
          EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM articles_default '
                         'WHERE published >= %L AND published < %L', name, cols, cols, low, high);
          DELETE FROM articles_default WHERE published >= low AND published < high;
          ALTER TABLE articles ATTACH PARTITION articles_default DEFAULT;
        END $$""",
]
KEY_TRIGGERS = [
    "CREATE TRIGGER na_keys_insert AFTER INSERT ON articles FOR EACH ROW "
    "EXECUTE FUNCTION na_keys_insert()",
    "CREATE TRIGGER na_keys_update AFTER UPDATE ON articles FOR EACH ROW "
    "EXECUTE FUNCTION na_keys_update()",
    "CREATE TRIGGER na_keys_delete AFTER DELETE ON articles FOR EACH ROW "
    "EXECUTE FUNCTION na_keys_delete()",
    "CREATE TRIGGER na_keys_truncate AFTER TRUNCATE ON articles FOR EACH STATEMENT "
    "EXECUTE FUNCTION na_keys_truncate()",
]
KEY_OBJECTS_DROP = [
    "DROP FUNCTION IF EXISTS na_add_year_partition(integer)",
    "DROP FUNCTION IF EXISTS na_keys_truncate()",
    "DROP FUNCTION IF EXISTS na_keys_delete()",
    "DROP FUNCTION IF EXISTS na_keys_update()",
    "DROP FUNCTION IF EXISTS na_keys_insert()",
]


def wanted() -> bool:
    """Partitions were asked for: the config attribute (tests), else the environment."""
    chosen = context.config.attributes.get("partitions")
    if chosen is not None:
        return bool(chosen)
    return os.environ.get("NEWSARCHIVE_PG_PARTITIONS", "").strip().lower() in ("1", "true", "yes")


def is_partitioned() -> bool:
    found = op.get_bind().execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass('articles')")
    )
    return found.scalar() == "p"


# Unique on the plain table; through article_keys (and a plain index here) when partitioned.
UNIQUE_COLUMNS = {"uq_articles_content_hash": "content_hash", "uq_articles_url": "url"}


def _foreign_keys(referenced: str) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the foreign keys pointing at `referenced`, dropped."""
    found = (
        op.get_bind()
        .execute(
            text(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE confrelid = CAST(:t AS regclass) AND contype = 'f'"
            ),
            {"t": referenced},
        )
        .all()
    )
    for table, name, _ in found:
        op.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return [(str(t), str(n), str(d)) for t, n, d in found]


def _repoint(keys: list[tuple[str, str, str]], old: str, new: str) -> None:
    for table, name, definition in keys:
        repointed = definition.replace(f"REFERENCES {old}(", f"REFERENCES {new}(")
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {repointed}')


def _copy_table(*, partitioned: bool) -> None:
    """Rebuild `articles` as a partitioned or a plain table: the same columns, rows, indexes
    (names kept), triggers and id sequence. Foreign keys to it must be dropped first."""
    bind = op.get_bind()
    pk = bind.execute(
        text(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'articles'::regclass "
            "AND contype = 'p'"
        )
    ).scalar_one()
    # Every index but the primary key and the unique constraints (remade below).
    indexes = bind.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = 'articles'::regclass AND NOT x.indisprimary "
            "AND i.relname <> ALL(CAST(:u AS text[]))"
        ),
        {"u": list(UNIQUE_COLUMNS)},
    ).all()
    triggers = bind.execute(
        text(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = 'articles'::regclass AND NOT tgisinternal "
            "AND tgname NOT LIKE 'na_keys_%'"
        )
    ).all()
    columns = bind.execute(
        text(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'articles'::regclass "
            "AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum"
        )
    ).scalars()
    column_list = ", ".join(f'"{name}"' for name in columns)
    years = bind.execute(
        text(
            "SELECT extract(year FROM min(published)), extract(year FROM max(published)) "
            "FROM articles"
        )
    ).one()
    op.execute("ALTER SEQUENCE articles_id_seq OWNED BY NONE")
    op.execute(f"ALTER TABLE articles RENAME TO {OLD}")
    # Index names stay taken until the old table is dropped; the primary key is needed before.
    op.execute(f'ALTER TABLE {OLD} RENAME CONSTRAINT "{pk}" TO {OLD}_pkey')
    like = f"LIKE {OLD} INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING STORAGE"
    if partitioned:
        op.execute(f"CREATE TABLE articles ({like}) PARTITION BY RANGE (published)")
        op.execute(f'ALTER TABLE articles ADD CONSTRAINT "{pk}" PRIMARY KEY (id, published)')
        this_year = dt.date.today().year
        first = min(int(years[0]) if years[0] is not None else this_year, this_year - YEARS_BACK)
        last = max(int(years[1]) if years[1] is not None else this_year, this_year + YEARS_AHEAD)
        for year in range(first, last + 1):
            op.execute(
                f"CREATE TABLE articles_y{year} PARTITION OF articles "
                f"FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01')"
            )
        op.execute("CREATE TABLE articles_default PARTITION OF articles DEFAULT")
    else:
        op.execute(f"CREATE TABLE articles ({like})")
        op.execute(f'ALTER TABLE articles ADD CONSTRAINT "{pk}" PRIMARY KEY (id)')
    op.execute(f"INSERT INTO articles ({column_list}) SELECT {column_list} FROM {OLD}")
    op.execute(f"DROP TABLE {OLD}")
    op.execute("ALTER SEQUENCE articles_id_seq OWNED BY articles.id")
    for name, column in UNIQUE_COLUMNS.items():
        if partitioned:
            op.execute(f'CREATE INDEX "{name}" ON articles ({column})')
        else:
            op.execute(f'ALTER TABLE articles ADD CONSTRAINT "{name}" UNIQUE ({column})')
    for _, definition in indexes:
        op.execute(definition)
    for _, definition in triggers:
        op.execute(definition)


def rum_schema() -> str | None:
    """The schema the `rum` extension is installed in, None when it is not installed."""
    found = op.get_bind().execute(
        text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'rum'"
        )
    )
    return found.scalar()


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    if wanted() and not is_partitioned():
        _partition()
    schema = rum_schema()
    if schema is not None:
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_articles_rum_search_vector ON articles "
            f'USING rum (search_vector "{schema}".rum_tsvector_ops)'
        )


def _partition() -> None:
    op.execute(KEYS_TABLE)
    op.execute("INSERT INTO article_keys SELECT id, content_hash, url FROM articles")
    foreign = _foreign_keys("articles")
    _copy_table(partitioned=True)
    _repoint(foreign, "articles", "article_keys")
    for statement in [*KEY_FUNCTIONS, *KEY_TRIGGERS]:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_articles_rum_search_vector")
    if not is_partitioned():
        return
    foreign = _foreign_keys("article_keys")
    _copy_table(partitioned=False)
    _repoint(foreign, "article_keys", "articles")
    op.execute("DROP TABLE article_keys")
    for statement in KEY_OBJECTS_DROP:
        op.execute(statement)
