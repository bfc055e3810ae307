"""PostgreSQL search past the candidate bound, and the plans its statements get."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from app.archive import open_archive
from app.config import Settings
from app.models import Article
from app.search import postgres_rank
from app.search.postgres import PostgresBackend, search_vector
from app.services.searching import SearchParams, search_articles
from tests.factories import add, make_item

pytestmark = pytest.mark.postgres


def test_a_bounded_candidate_set_ranks_its_best_as_the_full_set_does(
    pg_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = open_archive(pg_settings)
    try:
        # Same length, "harbour" 1 to 8 times: both orders agree on who is best.
        for n in range(1, 9):
            words = ["harbour"] * n + ["quay"] * (8 - n)
            add(archive, make_item(" ".join(words) + f" story {n}.", title=f"Story {n}"))
        params = SearchParams(q="harbour", page_size=2)
        full = search_articles(archive, params=params)
        monkeypatch.setattr(postgres_rank, "CANDIDATES", 3)
        bounded = search_articles(archive, params=params)
    finally:
        archive.close()
    assert bounded.total == full.total == 8
    assert [i.article.title for i in bounded.items] == ["Story 8", "Story 7"]
    assert [i.article.id for i in bounded.items] == [i.article.id for i in full.items]
    assert [i.score for i in bounded.items] == [i.score for i in full.items]


def test_search_statements_read_the_gin_index_not_every_vector(pg_settings: Settings) -> None:
    archive = open_archive(pg_settings)
    try:
        # A word in nearly every article, and statistics that say so: the planner's own
        # choice is then to read every row's vector.
        add(archive, *[make_item(f"A harbour strike, day {n}.") for n in range(40)])
        add(archive, make_item("Quiet seas."))
        with archive.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE articles")
        backend = archive.search
        assert isinstance(backend, PostgresBackend)
        count = select(func.count(Article.id)).where(
            search_vector.op("@@")(func.to_tsquery("harbour"))
        )
        sql = str(count.compile(archive.engine, compile_kwargs={"literal_binds": True}))
        with archive.engine.connect() as conn:
            plain = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql).scalars())
        with backend._searching() as conn:
            searching = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql).scalars())
    finally:
        archive.close()
    assert "Seq Scan on articles" in plain
    assert "ix_articles_search_vector" in searching or "ix_articles_rum_search_vector" in searching
    assert "Seq Scan" not in searching


def test_with_rum_the_candidates_come_from_the_index_in_rank_order(
    pg_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = open_archive(pg_settings)
    try:
        with archive.engine.connect() as conn:
            has_index = conn.scalar(text("SELECT to_regclass('ix_articles_rum_search_vector')"))
        if has_index is None:
            pytest.skip(
                "no RUM index: the rum extension is not installed in the test database "
                "(a superuser: CREATE SCHEMA rum; CREATE EXTENSION rum SCHEMA rum; "
                "GRANT USAGE ON SCHEMA rum TO PUBLIC)"
            )
        for n in range(1, 9):
            words = ["harbour"] * n + ["quay"] * (8 - n)
            add(archive, make_item(" ".join(words) + f" story {n}.", title=f"Story {n}"))
        backend = archive.search
        assert isinstance(backend, PostgresBackend)
        sent: list[tuple[str, Any]] = []

        def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            sent.append((statement, params))

        params = SearchParams(q="harbour", page_size=2)
        full = search_articles(archive, params=params)
        monkeypatch.setattr(postgres_rank, "CANDIDATES", 3)
        event.listen(archive.engine, "before_cursor_execute", record)
        bounded = search_articles(archive, params=params)
        event.remove(archive.engine, "before_cursor_execute", record)
        (statement, values), *_ = [(s, p) for s, p in sent if "<=>" in s]
        with backend._searching() as conn:
            plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + statement, values).scalars())
    finally:
        archive.close()
    assert "ix_articles_rum_search_vector" in plan
    assert [i.article.id for i in bounded.items] == [i.article.id for i in full.items]
    assert [i.article.title for i in bounded.items] == ["Story 8", "Story 7"]
