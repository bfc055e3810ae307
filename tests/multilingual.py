"""The multilingual fixtures (tests/fixtures/multilingual.json): short news-like paragraphs
written for these tests, two per language, each with the language it is in."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from app.ingest.record import ArticleIn

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "multilingual.json"


@dataclass(frozen=True)
class Fixture:
    lang: str
    title: str
    body: str


def fixtures() -> list[Fixture]:
    return [Fixture(f["lang"], f["title"], f["body"]) for f in json.loads(FIXTURES.read_text())]


def items(*, given: bool = False) -> list[ArticleIn]:
    """The fixtures as articles, a day apart; with their language only when `given` (else the
    importer has to detect it)."""
    return [
        ArticleIn(
            body=f.body,
            title=f.title,
            published=dt.date(2024, 1, 1) + dt.timedelta(days=i),
            language=f.lang if given else None,
        )
        for i, f in enumerate(fixtures())
    ]
