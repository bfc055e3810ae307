"""PostgreSQL bulk insert (app.services.pg_bulk): COPY into a staging table and one INSERT ...
SELECT ... ON CONFLICT DO NOTHING per batch; duplicates recognised and counted as before, and
the BM25 statistics (search_terms, search_totals) right afterwards."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from app.archive import Archive, open_archive
from app.config import Settings
from app.ingest.record import content_hash
from app.models import Article
from app.services import pg_bulk, stories
from app.services.articles import AddOutcome, _copy_into_postgres, _new_article, add_articles
from tests.factories import make_item
from tests.search.test_postgres_bm25 import _recomputed, _statistics

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_archive(pg_settings: Settings) -> Iterator[Archive]:
    archive = open_archive(pg_settings)
    yield archive
    archive.close()


@pytest.fixture
def engine(pg_settings: Settings) -> Iterator[Engine]:
    engine = create_engine(str(pg_settings.database_url))
    yield engine
    engine.dispose()


def _sequence(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(text("SELECT last_value FROM articles_id_seq"))  # never reset by a skip
        )


def test_a_batch_with_every_kind_of_duplicate(pg_archive: Archive, engine: Engine) -> None:
    stored = add_articles(
        pg_archive,
        items=[
            make_item("Wheat prices rose in Chicago.", title="Wheat", url="https://x.test/1"),
            make_item("The central bank held rates.", title="Rates", authors=["Ann Lee"]),
        ],
    )
    assert [o.status for o in stored] == ["added", "added"]
    batch = [
        make_item("Corn harvests fell sharply.", title="Corn", authors=["Bo Chan", "Cy Dee"]),
        make_item("  wheat PRICES rose in   Chicago. ", title="Same text, other spacing"),
        make_item("A different story.", title="Same URL", url="https://x.test/1"),
        make_item("Corn harvests fell sharply.", title="Corn again, same batch"),
        make_item("Oil output rose.", title="Oil", url="https://x.test/2"),
        make_item(
            "Oil output rose again.", title="Oil, same URL, same batch", url="https://x.test/2"
        ),
    ]
    outcomes = add_articles(pg_archive, items=batch)
    assert [o.status for o in outcomes] == [
        "added",
        "duplicate",
        "duplicate",
        "duplicate",
        "added",
        "duplicate",
    ]
    corn, oil = outcomes[0].article, outcomes[4].article
    assert outcomes[1].article.id == stored[0].article.id
    assert outcomes[2].article.id == stored[0].article.id
    assert outcomes[3].article.id == corn.id and outcomes[5].article.id == oil.id
    assert corn.id is not None and oil.id is not None and corn.id < oil.id  # batch order
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, title, content_hash FROM articles ORDER BY id")).all()
        people = conn.execute(
            text("SELECT article_id, position, name, role FROM article_people ORDER BY 1, 2")
        ).all()
    assert [r.title for r in rows] == ["Wheat", "Rates", "Corn", "Oil"]
    assert rows[2].content_hash == content_hash("Corn harvests fell sharply.")
    assert [tuple(p) for p in people] == [
        (stored[1].article.id, 0, "Ann Lee", "author"),
        (corn.id, 0, "Bo Chan", "author"),
        (corn.id, 1, "Cy Dee", "author"),
    ]
    # The statement-level triggers saw exactly the inserted rows.
    assert _statistics(engine) == _recomputed(engine)
    assert _statistics(engine)[1] == [(4, 4, 17)]  # 4 one-word titles; 5 + 5 + 4 + 3 words
    # A re-run adds nothing and draws no ids.
    before = _sequence(engine)
    again = add_articles(pg_archive, items=batch)
    assert [o.status for o in again] == ["duplicate"] * 6
    assert _sequence(engine) == before
    assert _statistics(engine) == _recomputed(engine)


def test_explicit_ids_are_kept_unless_taken(pg_archive: Archive, engine: Engine) -> None:
    first = dataclasses.replace(make_item("Restored story one."), id=500)
    taken = dataclasses.replace(make_item("Restored story two."), id=500)
    outcomes = add_articles(pg_archive, items=[first, taken])
    assert outcomes[0].article.id == 500 and outcomes[1].article.id not in (None, 500)
    # The sequence moved past the restored ids.
    assert add_articles(pg_archive, items=[make_item("New story.")])[0].article.id > 500


def test_a_row_a_concurrent_writer_stored_first_is_skipped(
    pg_archive: Archive, engine: Engine
) -> None:
    add_articles(pg_archive, items=[make_item("Already here.", url="https://x.test/a")])
    before = _sequence(engine)
    # Past the duplicate check, as if another server had committed these in the meantime.
    late = [
        _new_article(make_item("Already here."), content_hash("Already here.")),
        _new_article(
            make_item("New text, old URL.", url="https://x.test/a"),
            content_hash("New text, old URL."),
        ),
        _new_article(make_item("Truly new."), content_hash("Truly new.")),
    ]
    with pg_archive.sessions() as session:
        inserted = pg_bulk.insert_new(session, late, outbox=False)
        session.commit()
    assert list(inserted) == [content_hash("Truly new.")]
    assert _sequence(engine) == before + 3  # the skipped rows leave gaps in the ids
    with pg_archive.sessions() as session:
        assert session.query(Article).count() == 2
    assert _statistics(engine) == _recomputed(engine)


WIRE = (
    "Grain traders in Chicago said on Tuesday that wheat futures rose for a third day as dry "
    "weather across the southern plains threatened the winter crop and export demand from "
    "Egypt and Algeria stayed firm, while corn and soybeans ended mixed after a quiet session."
)


@pytest.fixture(params=["plain", "partitioned"])
def any_archive(
    request: pytest.FixtureRequest, pg_settings: Settings, pg_partitioned_url: str
) -> Iterator[Archive]:
    settings = pg_settings
    if request.param == "partitioned":
        from tests.conftest import reset_pg_tables

        engine = create_engine(pg_partitioned_url)
        reset_pg_tables(engine)
        engine.dispose()
        settings = pg_settings.model_copy(update={"database_url": pg_partitioned_url})
    archive = open_archive(settings)
    yield archive
    archive.close()


def test_each_article_is_written_once_with_its_story_id(any_archive: Archive) -> None:
    url = str(any_archive.settings.database_url)
    engine = create_engine(url)
    head = add_articles(any_archive, items=[make_item(WIRE, title="Wheat")])[0].article
    # A statement-level trigger (this test's own) counts UPDATEs of `articles`: story ids and
    # signatures travel with the COPY instead of a second write of every row.
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE na_test_updates (n integer)"))
        conn.execute(
            text(
                "CREATE FUNCTION na_test_count() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN INSERT INTO na_test_updates VALUES (1); RETURN NULL; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER na_test_count AFTER UPDATE ON articles "
                "FOR EACH STATEMENT EXECUTE FUNCTION na_test_count()"
            )
        )
    try:
        outcomes = add_articles(
            any_archive,
            items=[
                make_item(f"CHICAGO (Reuters) - {WIRE}", title="Wheat, a copy"),
                make_item("An unrelated report on rates.", title="Rates"),
            ],
        )
        with engine.connect() as conn:
            updates = conn.scalar(text("SELECT count(*) FROM na_test_updates"))
            rows = conn.execute(
                text("SELECT id, story_id, story_signature FROM articles ORDER BY id")
            ).all()
            bands = conn.scalar(text("SELECT count(*) FROM story_bands"))
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER na_test_count ON articles"))
            conn.execute(text("DROP FUNCTION na_test_count()"))
            conn.execute(text("DROP TABLE na_test_updates"))
        engine.dispose()
    copy, other = (o.article for o in outcomes)
    assert updates == 0
    assert [(r.id, r.story_id) for r in rows] == [
        (head.id, head.id),
        (copy.id, head.id),
        (other.id, other.id),
    ]
    assert copy.story_id == head.id and other.story_id == other.id
    assert rows[1].story_signature == stories.signature(f"CHICAGO (Reuters) - {WIRE}")
    assert bands == 3 * stories.BANDS


def test_a_copy_of_a_row_lost_to_a_concurrent_writer_gets_a_story_of_its_own(
    pg_archive: Archive, engine: Engine
) -> None:
    # The batch's first row loses its URL to a row committed after the duplicate check; the
    # story plan had made the second row (a copy of the first) join the lost row's story.
    add_articles(pg_archive, items=[make_item("Someone else's text.", url="https://x.test/w")])
    lost = _new_article(make_item(WIRE, url="https://x.test/w"), content_hash(WIRE))
    text_b = f"CHICAGO (Reuters) - {WIRE}"
    copy = _new_article(make_item(text_b), content_hash(text_b))
    outcomes = [AddOutcome("added", a, make_item(a.body)) for a in (lost, copy)]
    with pg_archive.sessions() as session:
        result, _ = _copy_into_postgres(pg_archive, session, [lost, copy], outcomes)
        session.commit()
    assert [o.status for o in result] == ["duplicate", "added"]
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT story_id FROM articles WHERE id = :i"), {"i": copy.id}
        ).scalar()
        bands = conn.execute(
            text("SELECT DISTINCT article_id FROM story_bands ORDER BY 1")
        ).scalars()
        ids = list(bands)
    assert stored == copy.id == copy.story_id
    assert lost.id not in ids and copy.id in ids
    assert _statistics(engine) == _recomputed(engine)
