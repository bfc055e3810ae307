"""PostgreSQL's BM25 statistics: kept right by every write, and filled for rows already there."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from app.archive import open_archive
from app.config import Settings
from app.migrate import reset_postgres_schema, upgrade
from app.services.articles import ArticleChanges, delete_article, update_article
from tests.factories import add, make_item

pytestmark = pytest.mark.postgres

# What the triggers keep, recomputed from the rows themselves.
RECOMPUTED_TERMS = """
    SELECT x.lexeme, x.field, count(*) FROM articles a,
           na_term_fields(a.search_vector, a.exact_vector) x
     GROUP BY 1, 2 ORDER BY 1, 2"""
RECOMPUTED_TOTALS = """
    SELECT count(*), coalesce(sum(title_len), 0), coalesce(sum(body_len), 0) FROM articles"""


def _statistics(engine: Engine) -> tuple[list[Any], list[Any]]:
    with engine.connect() as conn:
        terms = conn.execute(
            text("SELECT lexeme, field, df FROM search_terms WHERE df <> 0 ORDER BY 1, 2")
        ).all()
        totals = conn.execute(
            text("SELECT docs, title_tokens, body_tokens FROM search_totals")
        ).all()
    return [tuple(r) for r in terms], [tuple(r) for r in totals]


def _recomputed(engine: Engine) -> tuple[list[Any], list[Any]]:
    with engine.connect() as conn:
        terms = conn.execute(text(RECOMPUTED_TERMS)).all()
        totals = conn.execute(text(RECOMPUTED_TOTALS)).all()
    return [tuple(r) for r in terms], [tuple(r) for r in totals]


def test_statistics_follow_every_write(pg_settings: Settings) -> None:
    archive = open_archive(pg_settings)
    engine = create_engine(str(pg_settings.database_url))
    try:
        first, second, third = add(
            archive,
            make_item("Grain ships leave the port. Wheat prices rise.", title="Grain exports"),
            make_item("The U.S. bank raised rates; the bank's rivals waited.", title="Rates"),
            make_item("Wheat and corn harvests fell.", title="Harvest news"),
        )
        terms, totals = _statistics(engine)
        assert totals == [(3, 5, 23)] and ("wheat", "D", 2) in terms and ("us", "d", 1) in terms
        assert (terms, totals) == _recomputed(engine)
        update_article(
            archive,
            article_id=second.id,
            changes=ArticleChanges(body="Wheat, wheat everywhere.", title="Wheat"),
        )
        delete_article(archive, article_id=third.id)
        terms, totals = _statistics(engine)
        assert ("wheat", "D", 2) in terms and ("wheat", "A", 1) in terms
        assert not any(lexeme == "bank" for lexeme, _, _ in terms)
        assert (terms, totals) == _recomputed(engine)
        assert first.id
    finally:
        archive.close()
        engine.dispose()


def test_migration_fills_statistics_for_existing_rows(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        reset_postgres_schema(engine)
        upgrade(pg_url, "384f17696bac")  # the revision before the statistics
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO articles (title, title_derived, body, published, word_count, "
                    "content_hash, created_at, updated_at) VALUES (:t, false, :b, '2022-01-01', "
                    "0, :h, now(), now())"
                ),
                [
                    {"t": "Russia warns", "b": "Russia and Ukraine talk. Talks fail.", "h": "1"},
                    {"t": "Talks", "b": "The U.S. talks with Russia.", "h": "2"},
                ],
            )
        upgrade(pg_url)
        terms, totals = _statistics(engine)
        assert totals == [(2, 3, 11)] and ("talk", "D", 2) in terms and ("talks", "a", 1) in terms
        assert (terms, totals) == _recomputed(engine)
    finally:
        reset_postgres_schema(engine)
        upgrade(pg_url)
        engine.dispose()
