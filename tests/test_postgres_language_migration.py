"""Migration d7e2a4c9b1f5 rebuilds existing rows' vectors with their language's configuration,
on the plain and the partitioned `articles` table, recounts the BM25 statistics, and its
downgrade restores the English vectors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, make_url, text

from app.migrate import alembic_config, upgrade

pytestmark = pytest.mark.postgres

BEFORE = "c4d2e8f1a7b3"
ROWS = [
    (1, "de", "Regierungen streiten", "Die Regierungen der Länder streiten."),
    (2, "ja", "東京都知事選挙", "投票率が上昇した。"),
    (3, None, "Runners running", "The runners were running."),
    (4, "en", "Runners running", "The runners were running in the U.S."),
]


def _stats(conn: Any) -> tuple[Any, ...]:
    terms = conn.execute(text("SELECT lexeme, field, df FROM search_terms WHERE df <> 0"))
    totals = conn.execute(text("SELECT docs, title_tokens, body_tokens FROM search_totals"))
    return tuple(sorted(terms.all())), totals.one()


def _recounted(conn: Any) -> tuple[Any, ...]:
    """The statistics counted afresh from the rows, as the triggers should have them."""
    terms = conn.execute(
        text(
            "SELECT x.lexeme, x.field, count(*) FROM articles a, "
            "na_term_fields(a.search_vector, a.exact_vector) x GROUP BY 1, 2"
        )
    )
    totals = conn.execute(text("SELECT count(*), sum(title_len), sum(body_len) FROM articles"))
    return tuple(sorted(terms.all())), totals.one()


@pytest.mark.parametrize("partitions", [False, True], ids=["plain", "partitioned"])
def test_the_rebuild_analyses_each_row_in_its_language(pg_url: str, partitions: bool) -> None:
    schema = f"na_lang_{'parted' if partitions else 'plain'}"
    base = create_engine(pg_url)
    with base.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    base.dispose()
    url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    upgrade(rendered, BEFORE, partitions=partitions)
    engine = create_engine(rendered)
    with engine.begin() as conn:
        for article_id, lang, title, body in ROWS:
            conn.execute(
                text(
                    "INSERT INTO articles (id, title, title_derived, body, published, language, "
                    "word_count, content_hash, created_at, updated_at) VALUES (:i, :t, false, "
                    ":b, :d, :l, 4, :h, now(), now())"
                ),
                {
                    "i": article_id,
                    "t": title,
                    "b": body,
                    "d": dt.date(2020 + article_id, 1, 2),
                    "l": lang,
                    "h": str(article_id) * 64,
                },
            )
        english_before = conn.execute(
            text("SELECT id, search_vector::text, body_len FROM articles WHERE id IN (3, 4)")
        ).all()
        assert "'regierungen'" in conn.scalar(text("SELECT title_vector::text FROM articles"))

    upgrade(rendered, partitions=partitions)
    with engine.connect() as conn:
        vectors = dict(conn.execute(text("SELECT id, search_vector::text FROM articles")).all())
        assert "'regier':1A,4" in vectors[1] and "'land'" in vectors[1]
        # Bigrams of the Japanese title, the lone "た" of the body kept.
        assert "'知事':4A" in vectors[2] and "'投票':7" in vectors[2]
        # English and unknown rows are exactly as before.
        english = conn.execute(
            text("SELECT id, search_vector::text, body_len FROM articles WHERE id IN (3, 4)")
        ).all()
        assert sorted(english) == sorted(english_before)
        assert _stats(conn) == _recounted(conn)
        assert (
            dict(conn.execute(text("SELECT lexeme, df FROM search_terms WHERE field = 'A'")).all())[
                "regier"
            ]
            == 1
        )
        indexes = conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'articles'")
        ).scalars()
        assert {"ix_articles_search_vector", "ix_articles_title_vector"} <= set(indexes)
        partitioned = conn.scalar(
            text("SELECT relkind FROM pg_class WHERE oid = 'articles'::regclass")
        )
        assert (partitioned == "p") is partitions
    # An edited language rebuilds the row's vectors, and the triggers keep the statistics.
    with engine.begin() as conn:
        conn.execute(text("UPDATE articles SET language = 'en' WHERE id = 1"))
    with engine.connect() as conn:
        assert "'regierungen'" in conn.scalar(
            text("SELECT search_vector::text FROM articles WHERE id = 1")
        )
        assert _stats(conn) == _recounted(conn)

    command.downgrade(alembic_config(rendered), BEFORE)
    with engine.connect() as conn:
        japanese = conn.scalar(text("SELECT search_vector::text FROM articles WHERE id = 2"))
        assert "'知事'" not in japanese
        assert conn.scalar(text("SELECT to_regproc('na_config')")) is None
        assert _stats(conn) == _recounted(conn)
    engine.dispose()
    base = create_engine(pg_url)
    with base.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    base.dispose()
