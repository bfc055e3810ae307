"""PostgreSQL with `articles` partitioned by year (migration b5a997eac358, opt-in): uniqueness
through `article_keys`, rows moving between years, partition pruning, and the way back."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, event, inspect, make_url, text
from sqlalchemy.exc import IntegrityError

from app.archive import Archive, open_archive
from app.config import Settings
from app.migrate import alembic_config, upgrade
from app.services.articles import ArticleChanges, delete_article, update_article
from app.services.searching import SearchParams, search_articles
from tests.factories import add, make_item

pytestmark = pytest.mark.postgres


@pytest.fixture
def parted(pg_partitioned_settings: Settings) -> Iterator[Archive]:
    archive = open_archive(pg_partitioned_settings)
    yield archive
    archive.close()


def _insert(archive: Archive, *, article_id: int, day: str, digest: str, url: str | None) -> None:
    with archive.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO articles (id, title, title_derived, body, published, url, word_count,"
                " content_hash, created_at, updated_at) VALUES (:id, 't', false, 'b', :day, :url,"
                " 1, :digest, now(), now())"
            ),
            {"id": article_id, "day": dt.date.fromisoformat(day), "url": url, "digest": digest},
        )


def test_articles_is_partitioned_by_year(parted: Archive) -> None:
    with parted.engine.connect() as conn:
        kind = conn.scalar(text("SELECT relkind FROM pg_class WHERE oid = 'articles'::regclass"))
        parts = conn.scalars(
            text(
                "SELECT inhrelid::regclass::text FROM pg_inherits "
                "WHERE inhparent = 'articles'::regclass"
            )
        ).all()
    assert kind == "p"
    assert "articles_y2022" in parts and "articles_default" in parts


def test_content_hash_url_and_id_stay_unique_across_partitions(parted: Archive) -> None:
    _insert(parted, article_id=1001, day="2001-03-04", digest="a" * 64, url="https://x.test/1")
    # The same hash, URL or id in another year's partition: refused, as on the plain table.
    with pytest.raises(IntegrityError, match="uq_article_keys_content_hash"):
        _insert(parted, article_id=1002, day="2019-05-06", digest="a" * 64, url=None)
    with pytest.raises(IntegrityError, match="uq_article_keys_url"):
        _insert(parted, article_id=1003, day="2019-05-06", digest="b" * 64, url="https://x.test/1")
    with pytest.raises(IntegrityError, match="article_keys_pkey"):
        _insert(parted, article_id=1001, day="2019-05-06", digest="c" * 64, url=None)
    # Several articles without a URL are fine, as before.
    _insert(parted, article_id=1004, day="2019-05-06", digest="d" * 64, url=None)
    _insert(parted, article_id=1005, day="1950-01-01", digest="e" * 64, url=None)
    with parted.engine.connect() as conn:
        keys = conn.execute(text("SELECT id FROM article_keys ORDER BY id")).scalars().all()
    assert keys == [1001, 1004, 1005]


def test_services_recognise_duplicates_in_other_years(parted: Archive) -> None:
    (first,) = add(
        parted, make_item("A story told once.", date="2003-02-01", url="https://x.test/a")
    )
    outcomes = add(
        parted,
        make_item("A story told once.", date="2020-02-01"),
        make_item("Another story.", date="2021-02-01", url="https://x.test/a"),
    )
    assert [o.id for o in outcomes] == [first.id, first.id]
    with parted.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM articles")) == 1


def test_an_article_moves_year_and_keeps_its_key_and_people(parted: Archive) -> None:
    (article,) = add(parted, make_item("Moving on.", date="2004-01-01", authors=["Ann Lee"]))
    update_article(
        parted,
        article_id=article.id,
        changes=ArticleChanges(published=dt.date(2024, 6, 1), body="Moving on, later."),
    )
    with parted.engine.connect() as conn:
        where = conn.scalar(
            text("SELECT tableoid::regclass::text FROM articles WHERE id = :i"), {"i": article.id}
        )
        key = conn.execute(text("SELECT id, content_hash FROM article_keys")).all()
        people = conn.scalar(text("SELECT count(*) FROM article_people"))
        stats = conn.scalar(text("SELECT docs FROM search_totals"))
    assert where == "articles_y2024"
    assert [k[0] for k in key] == [article.id] and key[0][1] != article.content_hash
    assert people == 1 and stats == 1
    # The old body's hash is free again; the new one is taken.
    add(parted, make_item("Moving on.", date="2004-01-01"))
    delete_article(parted, article_id=article.id)
    with parted.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM article_keys")) == 1
        assert conn.scalar(text("SELECT count(*) FROM article_people")) == 0


def _explained_relations(archive: Archive, run: Any) -> list[set[str]]:
    """Run `run()` and EXPLAIN every statement it sent that reads `articles`: the tables each
    plan scans."""
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "articles" in statement and statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, params))

    event.listen(archive.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(archive.engine, "before_cursor_execute", record)
    plans: list[set[str]] = []
    with archive.engine.connect() as conn:
        for statement, params in sent:
            raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params).scalar()
            plan = raw if isinstance(raw, list) else json.loads(raw)
            plans.append(set(_relations(plan)))
    return plans


def _relations(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "Relation Name" in node:
            yield node["Relation Name"]
        for value in node.values():
            yield from _relations(value)
    elif isinstance(node, list):
        for item in node:
            yield from _relations(item)


def test_a_date_filtered_search_reads_only_the_partitions_in_range(parted: Archive) -> None:
    for year in (2019, 2020, 2021, 2022):
        add(parted, make_item(f"Harbour strike in {year}.", date=f"{year}-05-01"))
    params = SearchParams(
        q="harbour strike", date_from=dt.date(2020, 3, 1), date_to=dt.date(2021, 2, 1)
    )
    found = search_articles(parted, params=params)
    assert [item.article.published.year for item in found.items] == [2020]
    plans = _explained_relations(parted, lambda: search_articles(parted, params=params))
    scanned = set().union(*plans)
    article_tables = {name for name in scanned if name.startswith("articles")}
    assert plans and article_tables == {"articles_y2020", "articles_y2021"}
    # Without the filter, every year is read: the check above is not vacuous.
    everything = _explained_relations(
        parted, lambda: search_articles(parted, params=SearchParams(q="harbour"))
    )
    assert {"articles_y2019", "articles_y2022", "articles_default"} <= set().union(*everything)


def test_a_year_added_later_takes_its_rows_from_the_default_partition(parted: Archive) -> None:
    (old,) = add(parted, make_item("Ancient history.", date="1901-07-01"))
    with parted.engine.begin() as conn:
        assert conn.scalar(text("SELECT count(*) FROM articles_default")) == 1
        conn.execute(text("SELECT na_add_year_partition(1901)"))
    with parted.engine.connect() as conn:
        where = conn.scalar(
            text("SELECT tableoid::regclass::text FROM articles WHERE id = :i"), {"i": old.id}
        )
        assert conn.scalar(text("SELECT docs FROM search_totals")) == 1
        assert conn.scalar(text("SELECT count(*) FROM article_keys")) == 1
    assert where == "articles_y1901"
    found = search_articles(parted, params=SearchParams(q="ancient"))
    assert [item.article.id for item in found.items] == [old.id]


def test_partitioning_an_archive_and_undoing_it_keep_every_row(pg_url: str) -> None:
    # A schema of its own: a plain archive with rows is partitioned, then made plain again.
    base = create_engine(pg_url)
    with base.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS na_convert CASCADE"))
        conn.execute(text("CREATE SCHEMA na_convert"))
    base.dispose()
    url = make_url(pg_url).update_query_dict({"options": "-csearch_path=na_convert"})
    rendered = url.render_as_string(hide_password=False)
    upgrade(rendered, "e3a91c5d7b20")
    engine = create_engine(rendered)
    with engine.begin() as conn:
        for i, year in enumerate((1960, 2010, 2011), start=1):
            conn.execute(
                text(
                    "INSERT INTO articles (id, title, title_derived, body, published, url, "
                    "word_count, content_hash, created_at, updated_at) VALUES (:i, 'Port', false, "
                    "'Port news', :d, :u, 2, :h, now(), now())"
                ),
                {"i": i, "d": dt.date(year, 1, 2), "u": f"https://x.test/{i}", "h": str(i) * 64},
            )
            conn.execute(
                text(
                    "INSERT INTO article_people (article_id, position, name, role) "
                    "VALUES (:i, 0, 'Ann', 'author')"
                ),
                {"i": i},
            )
        conn.execute(text("SELECT setval('articles_id_seq', 3)"))

    def snapshot() -> tuple[Any, ...]:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, published, url, content_hash, search_vector::text, body_len "
                    "FROM articles ORDER BY id"
                )
            ).all()
            stats = conn.execute(text("SELECT * FROM search_totals")).all()
            people = conn.execute(text("SELECT article_id FROM article_people ORDER BY 1")).all()
        return rows, stats, people

    before = snapshot()
    upgrade(rendered, partitions=True)
    assert snapshot() == before
    with engine.connect() as conn:
        assert (
            conn.scalar(text("SELECT relkind FROM pg_class WHERE oid = 'articles'::regclass"))
            == "p"
        )
        assert conn.scalar(text("SELECT count(*) FROM article_keys")) == 3
        # The id sequence carries on after the copied rows.
        assert conn.scalar(text("SELECT nextval('articles_id_seq')")) == 4
    indexes = {i["name"] for i in inspect(engine).get_indexes("articles")}
    assert {"ix_articles_published_id", "ix_articles_search_vector", "uq_articles_url"} <= indexes

    cfg = alembic_config(rendered)
    command.downgrade(cfg, "e3a91c5d7b20")
    assert snapshot() == before
    inspector = inspect(engine)
    assert "article_keys" not in inspector.get_table_names()
    uniques = {u["name"] for u in inspector.get_unique_constraints("articles")}
    assert uniques == {"uq_articles_content_hash", "uq_articles_url"}
    (foreign,) = inspector.get_foreign_keys("article_people")
    assert foreign["referred_table"] == "articles"
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE articles SET url = 'https://x.test/1' WHERE id = 2"))
    command.downgrade(cfg, "base")
    engine.dispose()
