"""Fixtures: every test gets its own data directory (database + index) and app."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app import models
from app.archive import Archive, open_archive
from app.config import Settings
from app.main import create_app
from app.migrate import reset_postgres_schema, upgrade

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "blinken-2022-01-06.txt"
CORPORA = ROOT.parent / "shared" / "corpora"
TOKEN = "test-token-0123456789"


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once per session; each test copies it (migrations cost ~0.3 s)."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "archive.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_db: Path) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(migrated_db, data / "archive.db")
    return Settings(data_dir=data, api_token=TOKEN, write_lock_timeout=30)  # type: ignore[arg-type]


@pytest.fixture
def archive(settings: Settings) -> Iterator[Archive]:
    a = open_archive(settings)
    yield a
    a.close()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"real-text corpora not found at {CORPORA}")
    return CORPORA


# -- PostgreSQL ---------------------------------------------------------------------------------
# The PostgreSQL suite talks to a real server (never a mock). `make test` starts Debian's
# PostgreSQL when it can and passes its URL in NEWSARCHIVE_TEST_POSTGRES_URL; without one these
# tests skip with the reason. CI sets NEWSARCHIVE_REQUIRE_POSTGRES=1, which turns a skip into a
# failure.
# Every table the models define (the migrations' own bookkeeping table excepted): a new
# model's table is emptied between tests without anyone remembering to list it.
PG_TABLES = tuple(table.name for table in models.Base.metadata.sorted_tables)


def reset_pg_tables(engine: Engine) -> None:
    """Empty every table and restart its ids, as for a freshly migrated database."""
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(PG_TABLES)} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def pg_url() -> str:
    import os

    from sqlalchemy import create_engine

    url = os.environ.get("NEWSARCHIVE_TEST_POSTGRES_URL", "")
    required = os.environ.get("NEWSARCHIVE_REQUIRE_POSTGRES") == "1"
    if not url:
        reason = (
            "PostgreSQL tests need NEWSARCHIVE_TEST_POSTGRES_URL (make test sets it when it can)"
        )
        if required:
            pytest.fail(reason)
        pytest.skip(reason)
    engine = create_engine(url)
    try:
        # A clean schema per test session: the migrations run from scratch.
        reset_postgres_schema(engine)
    except Exception as exc:
        reason = (
            f"PostgreSQL at {engine.url.render_as_string(hide_password=True)} unreachable: {exc}"
        )
        if required:
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        engine.dispose()
    upgrade(url)
    return url


# The same database with `articles` partitioned by year (migration b5a997eac358, opt-in), in a
# schema of its own so both layouts live side by side in one test session.
PARTITIONED_SCHEMA = "na_partitioned"


@pytest.fixture(scope="session")
def pg_partitioned_url(pg_url: str) -> str:
    from sqlalchemy import create_engine, make_url

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PARTITIONED_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PARTITIONED_SCHEMA}"))
    engine.dispose()
    url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={PARTITIONED_SCHEMA}"})
    rendered = url.render_as_string(hide_password=False)
    upgrade(rendered, partitions=True)
    return rendered


@pytest.fixture
def pg_partitioned_settings(settings: Settings, pg_partitioned_url: str) -> Iterator[Settings]:
    from sqlalchemy import create_engine

    engine = create_engine(pg_partitioned_url)
    reset_pg_tables(engine)
    engine.dispose()
    yield settings.model_copy(
        update={"database_url": pg_partitioned_url, "search_backend": "postgres"}
    )


@pytest.fixture
def pg_settings(settings: Settings, pg_url: str) -> Iterator[Settings]:
    from sqlalchemy import create_engine

    engine = create_engine(pg_url)
    reset_pg_tables(engine)
    engine.dispose()
    yield settings.model_copy(update={"database_url": pg_url, "search_backend": "postgres"})
