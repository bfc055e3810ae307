"""PostgreSQL full-text search: text search configurations, generated tsvector columns, GIN indexes

Only on PostgreSQL; on SQLite (Whoosh backend) this revision does nothing.

Revision ID: b7c1e2f0a9d3
Revises: 68606b68ba2e
Create Date: 2026-11-28 16:50:00
"""

from alembic import op

revision = "b7c1e2f0a9d3"
down_revision = "68606b68ba2e"
branch_labels = None
depends_on = None

# PostgreSQL's `english` configuration drops stop words ("us", "may", "will", "can", "not"): fatal
# for news. `na_english` stems with the same Snowball stemmer but keeps every word; `na_simple`
# lowercases only (names, sources, prefixes).
UPGRADE = [
    "CREATE TEXT SEARCH DICTIONARY na_english_stem (TEMPLATE = snowball, Language = english)",
    "CREATE TEXT SEARCH CONFIGURATION na_english (COPY = english)",
    "ALTER TEXT SEARCH CONFIGURATION na_english ALTER MAPPING FOR asciiword, asciihword, "
    "hword_asciipart, word, hword, hword_part WITH na_english_stem",
    "CREATE TEXT SEARCH CONFIGURATION na_simple (COPY = simple)",
    # "U.S." and "U.K." index as "us" and "uk", as the Whoosh analyzer does.
    r"""CREATE FUNCTION na_normalize(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN regexp_replace(coalesce(t, ''),
                              '\m([[:alpha:]])\.([[:alpha:]])\.(?:([[:alpha:]])\.)?', '\1\2\3', 'g')""",
    """ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
           setweight(to_tsvector('na_english'::regconfig, na_normalize(title)), 'A') ||
           setweight(to_tsvector('na_english'::regconfig, na_normalize(body)), 'D')) STORED""",
    """ALTER TABLE articles ADD COLUMN title_vector tsvector GENERATED ALWAYS AS (
           to_tsvector('na_english'::regconfig, na_normalize(title))) STORED""",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
    "CREATE INDEX ix_articles_title_vector ON articles USING gin (title_vector)",
    "CREATE INDEX ix_articles_source_fts ON articles USING gin "
    "(to_tsvector('na_simple'::regconfig, coalesce(source, '')))",
    "CREATE INDEX ix_article_people_name_fts ON article_people USING gin "
    "(to_tsvector('na_simple'::regconfig, name))",
    "CREATE INDEX ix_articles_lower_source ON articles (lower(source))",
    "CREATE INDEX ix_article_people_lower_name ON article_people (lower(name))",
]
DOWNGRADE = [
    "DROP INDEX IF EXISTS ix_article_people_lower_name",
    "DROP INDEX IF EXISTS ix_articles_lower_source",
    "DROP INDEX IF EXISTS ix_article_people_name_fts",
    "DROP INDEX IF EXISTS ix_articles_source_fts",
    "DROP INDEX IF EXISTS ix_articles_title_vector",
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS title_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS na_normalize(text)",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS na_simple",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS na_english",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS na_english_stem",
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
