"""The whole app on PostgreSQL (a real server; skipped with the reason when none is available)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text

from app.archive import open_archive
from app.config import Settings
from app.db import Base
from app.main import create_app
from app.migrate import alembic_config, upgrade
from tests.conftest import SEED
from tests.services.test_export import roundtrip

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parent.parent


def test_export_sqlite_to_postgres_and_back(
    settings: Settings, pg_settings: Settings, tmp_path: Path, migrated_db: Path
) -> None:
    (tmp_path / "to-pg").mkdir()
    roundtrip(settings, pg_settings, tmp_path / "to-pg")
    back_dir = tmp_path / "back"
    back_dir.mkdir()
    shutil.copy(migrated_db, back_dir / "archive.db")
    sqlite_again = settings.model_copy(update={"data_dir": back_dir})
    dump = tmp_path / "pg.ndjson"
    from tests.services.test_export import cli, lines

    assert cli(pg_settings, "export", "-o", str(dump)).exit_code == 0
    assert cli(sqlite_again, "import", str(dump)).exit_code == 0
    final = tmp_path / "final.ndjson"
    assert cli(sqlite_again, "export", "-o", str(final)).exit_code == 0
    assert lines(dump)[1:] == lines(final)[1:]


def test_api_on_postgres(pg_settings: Settings, auth: dict[str, str]) -> None:
    with TestClient(create_app(pg_settings)) as client:
        r = client.post(
            "/api/v1/articles",
            content=SEED.read_bytes(),
            headers={**auth, "Content-Type": "text/plain"},
        )
        assert r.status_code == 201, r.text
        article = r.json()
        assert (
            client.post(
                "/api/v1/articles",
                content=SEED.read_bytes(),
                headers={**auth, "Content-Type": "text/plain"},
            ).status_code
            == 409
        )
        data = client.get("/api/v1/search", params={"q": '"Nord Stream 2"'}).json()
        assert data["total"] == 1
        assert (
            "<mark>Nord</mark> <mark>Stream</mark> <mark>2</mark>" in data["results"][0]["snippet"]
        )
        assert client.get("/api/v1/search", params={"q": "(bad"}).status_code == 400
        html = client.get(article["links"]["html"], params={"q": "henhouse"}).text
        assert re.search(r"<mark id=\"m1\">henhouse</mark>", html)
        health = client.get("/api/v1/health").json()
        assert health["database"] == "postgresql" and health["search_backend"] == "postgres"
        assert health["in_sync"] is True and health["articles"] == 1
        assert client.delete(article["links"]["self"], headers=auth).status_code == 204
        assert client.get("/api/v1/search", params={"q": "henhouse"}).json()["total"] == 0


def test_stats_names_database_and_backend(pg_settings: Settings) -> None:
    from tests.services.test_export import cli

    out = cli(pg_settings, "stats").output
    assert "database:  postgresql" in out and "search:    postgres (PostgreSQL 1" in out
    assert cli(pg_settings, "check").exit_code == 0
    assert "indexed 0 articles" in cli(pg_settings, "reindex").output


def test_migrations_on_postgres(pg_url: str) -> None:
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(
                conn,
                opts={
                    "include_object": lambda obj, name, kind, reflected, compare_to: (
                        not (
                            # PostgreSQL-only search columns and indexes live outside the models
                            (
                                kind == "column"
                                and name
                                in (
                                    "search_vector",
                                    "title_vector",
                                    "exact_vector",
                                    "title_len",
                                    "body_len",
                                )
                            )
                            or (kind == "table" and name in ("search_terms", "search_totals"))
                            or (
                                kind == "index"
                                and name
                                and name.endswith(("_fts", "_vector", "lower_source", "lower_name"))
                            )
                        )
                    )
                },
            ),
            Base.metadata,
        )
    assert diff == []
    cfg = alembic_config(pg_url)
    command.downgrade(cfg, "base")
    assert "articles" not in inspect(engine).get_table_names()
    upgrade(pg_url)
    columns = {c["name"] for c in inspect(engine).get_columns("articles")}
    assert {"search_vector", "title_vector"} <= columns
    engine.dispose()


def test_postgres_backend_needs_postgres(settings: Settings) -> None:
    with pytest.raises(ValueError, match="needs a PostgreSQL database"):
        open_archive(settings.model_copy(update={"search_backend": "postgres"}))


def test_the_reset_between_tests_empties_every_table(pg_settings: Settings) -> None:
    from sqlalchemy import func, select, table

    from app.models import Article, IndexOutbox
    from app.services.imports import start_import
    from app.services.tokens import create_token
    from tests.conftest import PG_TABLES, reset_pg_tables
    from tests.factories import add, make_item

    archive = open_archive(pg_settings)
    try:
        # Every table the migrations made is in the reset: one left out would leak rows (and
        # ids) from one test into the next.
        # The search statistics are not models' tables: triggers on articles keep them, a
        # TRUNCATE of articles included (checked below).
        statistics = {"search_terms", "search_totals"}
        made = set(inspect(archive.engine).get_table_names()) - {"alembic_version"} - statistics
        assert set(PG_TABLES) == made
        # A row in each, through the services where there is one.
        add(archive, make_item("Rows in every table.", authors=["Jane Doe"]))
        create_token(archive, name="reset", scope="read")
        start_import(archive, sources=["reset.txt"])
        with archive.sessions() as session:
            session.add(IndexOutbox(article_id=1, op="upsert"))
            session.commit()

        def counts() -> dict[str, int]:
            with archive.engine.connect() as conn:
                return {
                    name: int(conn.scalar(select(func.count()).select_from(table(name))) or 0)
                    for name in sorted(made)
                }

        assert all(counts().values()), counts()
        reset_pg_tables(archive.engine)
        assert counts() == dict.fromkeys(sorted(made), 0)
        with archive.engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM search_terms WHERE df <> 0")) == 0
            assert conn.scalar(text("SELECT docs FROM search_totals")) == 0
        add(archive, make_item("Ids start again."))
        with archive.sessions() as session:
            assert session.scalar(select(func.max(Article.id))) == 1
    finally:
        archive.close()


def test_restore_into_a_non_empty_archive_on_postgres(
    settings: Settings, pg_settings: Settings, tmp_path: Path
) -> None:
    from tests.services.test_export import restore_into_a_busy_archive

    restore_into_a_busy_archive(settings, pg_settings, tmp_path)
