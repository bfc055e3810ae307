"""What the story page shows: every copy of a story (app.services.stories) with its source and
date, and how its opening paragraph differs word by word from the first copy's."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select

from app.archive import Archive
from app.models import Article
from app.services.articles import MAX_ID
from app.textclean import split_paragraphs

Op = Literal["same", "added", "removed"]


class StoryNotFound(LookupError):
    """No article has this story id."""


@dataclass(frozen=True)
class DiffPart:
    op: Op
    text: str


@dataclass(frozen=True)
class Copy:
    article: Article
    # The opening paragraph against the first copy's: empty for the first copy itself.
    diff: list[DiffPart]
    same_opening: bool


@dataclass(frozen=True)
class Story:
    id: int
    copies: list[Copy]


def opening(body: str) -> str:
    """The first paragraph of a text (the whole text if it has no paragraph breaks)."""
    paragraphs = split_paragraphs(body)
    return paragraphs[0] if paragraphs else body.strip()


def word_diff(first: str, other: str) -> list[DiffPart]:
    """`other` against `first`, word by word: runs kept, added and removed (difflib)."""
    a, b = first.split(), other.split()
    parts: list[DiffPart] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(DiffPart("same", " ".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            parts.append(DiffPart("removed", " ".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            parts.append(DiffPart("added", " ".join(b[j1:j2])))
    return parts


def story_articles(archive: Archive, *, story_id: int) -> list[Article]:
    """A story's copies, first copy first (read from the replica if any)."""
    if not 0 <= story_id <= MAX_ID:
        return []
    with archive.read_sessions() as session:
        stmt = select(Article).where(Article.story_id == story_id).order_by(Article.id)
        return list(session.scalars(stmt))


def get_story(archive: Archive, *, story_id: int) -> Story:
    """Every copy of a story with its opening's differences from the first copy."""
    found = story_articles(archive, story_id=story_id)
    if not found:
        raise StoryNotFound(story_id)
    first = opening(found[0].body)
    copies = [Copy(found[0], [], True)]
    for article in found[1:]:
        parts = word_diff(first, opening(article.body))
        copies.append(Copy(article, parts, all(p.op == "same" for p in parts)))
    return Story(story_id, copies)


def other_copies(archive: Archive, *, article: Article) -> list[Article]:
    """The article's story's other copies (for "also published by"), first copy first."""
    if article.story_id is None:
        return []
    found = story_articles(archive, story_id=article.story_id)
    return [a for a in found if a.id != article.id]
