"""The term frequencies BM25 reads of each PostgreSQL candidate: the few query lexemes cut out
of its vector in C, then counted in Python, agree with the SQL function na_term_freqs."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app.search.postgres_rank import term_freqs


def test_term_freqs_reads_weights_quotes_and_backslashes() -> None:
    vector = "'it''s':3A,5 'a\\\\b':7 'oil':1A,2A,9,12 'bare'"
    assert term_freqs(vector) == {"it's": (1, 1), "a\\b": (0, 1), "oil": (2, 2), "bare": (0, 0)}
    assert term_freqs("") == {}


@pytest.mark.postgres
def test_the_cut_vector_counts_as_na_term_freqs(pg_url: str) -> None:
    engine = create_engine(pg_url)
    odd = "'it''s':3A,5 'a\\\\b':7 'oil':1A,2A,9,12 'gas':4"
    wanted = ["it's", "a\\b", "oil", "absent"]
    with engine.connect() as conn:
        cut, expected = conn.execute(
            text(
                "SELECT ts_delete(v, tsvector_to_array(ts_delete(v, CAST(:l AS text[]))))::text,"
                " na_term_freqs(v, CAST(:l AS text[])) FROM (SELECT CAST(:v AS tsvector) AS v) s"
            ),
            {"v": odd, "l": wanted},
        ).one()
    engine.dispose()
    assert term_freqs(cut) == {k: (v[0], v[1]) for k, v in expected.items()}
    assert set(term_freqs(cut)) == {"it's", "a\\b", "oil"}
