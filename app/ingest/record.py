"""The one article record every reader yields and every write path accepts."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

_WS = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_WORD = re.compile(r"\w+(?:['\u2019]\w+)*")


class InvalidArticle(ValueError):
    """The input cannot become an article; the message says why, for the person who gave it."""


@dataclass
class ArticleIn:
    """An article as read from any input, before it is stored."""

    body: str
    published: dt.date
    title: str | None = None
    title_derived: bool = False
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)
    url: str | None = None
    language: str | None = None
    origin: str | None = None
    # Input fields no column holds (JSON, CSV and feed readers keep them rather than drop them).
    extra: dict[str, Any] | None = None
    # Where the record came from: file, feed URL, WARC record id, capture time, import run.
    provenance: dict[str, Any] | None = None
    # Set only when restoring an export: keep the article's id and timestamps.
    id: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


def content_hash(body: str) -> str:
    """Hash of the body with spacing, quote style and case normalised: the de-duplication key."""
    normal = _WS.sub(" ", body.translate(_APOSTROPHES)).strip().casefold()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def count_words(text: str) -> int:
    """Words as a reader counts them ("Russia’s" is one word, "de-escalation" two halves of one)."""
    return len(_WORD.findall(text.replace("-", "")))


# What every reader yields per item: (label for messages, the article or None, the error or None).
Item = tuple[str, "ArticleIn | None", "str | None"]
