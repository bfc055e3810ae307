"""Apply and check Alembic migrations programmatically (the CLI, `make run` and tests use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head", *, partitions: bool | None = None) -> None:
    """Bring the schema up to `revision`, in place. `partitions` overrides
    NEWSARCHIVE_PG_PARTITIONS for the migration that partitions `articles` by year."""
    cfg = alembic_config(database_url)
    if partitions is not None:
        cfg.attributes["partitions"] = partitions
    command.upgrade(cfg, revision)


def pending(engine: Engine) -> tuple[str | None, str | None]:
    """(current, head) revisions; equal when the database is up to date."""
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, script.get_current_head()


class SchemaOutOfDate(RuntimeError):
    """The database is not at the head revision: the app would misread or miswrite it."""


def check_schema(engine: Engine) -> None:
    """Raise SchemaOutOfDate unless the database is at the head revision (the server and the CLI
    both refuse to start on an old schema, with the same words)."""
    current, head = pending(engine)
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at {current or 'nothing'}, not {head}: "
            "run `newsarchive migrate` first"
        )


def reset_postgres_schema(engine: Engine) -> None:
    """Drop everything in a PostgreSQL database's `public` schema (tables, the text search
    configurations, functions) so migrations run from scratch. For tests and benchmarks only."""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
