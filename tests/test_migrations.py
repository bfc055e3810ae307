"""Migrations create exactly the schema the models describe, and upgrade in place."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from app.db import Base
from app.migrate import alembic_config, pending, upgrade


def test_models_match_migrations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_upgrade_is_idempotent_and_downgrade_works(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    upgrade(url)  # an existing database is upgraded in place: a second run is a no-op
    engine = create_engine(url)
    current, head = pending(engine)
    assert current == head is not None
    assert {"articles", "article_people", "index_outbox"} <= set(inspect(engine).get_table_names())
    command.downgrade(alembic_config(url), "base")
    assert "articles" not in inspect(engine).get_table_names()
    engine.dispose()
