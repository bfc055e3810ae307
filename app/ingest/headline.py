"""Derive a short headline from an article's lead when the input has no title."""

from __future__ import annotations

import re

from app.textclean import clean_for_display

MAX_TITLE_CHARS = 90
_SENTENCE_END = re.compile(r"(?<=[.!?])[”\"’]?\s+(?=[“\"‘A-Z0-9])")
_TRAILING_FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "and",
        "or",
        "but",
        "with",
        "from",
        "as",
        "that",
        "which",
        "who",
        "is",
        "was",
        "were",
        "be",
        "has",
        "had",
        "have",
        "said",
        "says",
        "its",
        "their",
        "his",
        "her",
    ]
)


def derive_title(lead: str, *, limit: int = MAX_TITLE_CHARS) -> str:
    """First sentence of the lead, cut on a word boundary to at most `limit` characters."""
    text = clean_for_display(lead)
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0].strip()
    if len(sentence) <= limit:
        return sentence.rstrip(" .,;:")
    words = sentence[: limit + 1].split(" ")
    if len(words) > 1:
        words = words[:-1]  # the last one may be cut in half
    while len(words) > 3 and words[-1].strip('“”"‘’,;:').casefold() in _TRAILING_FILLER:
        words.pop()
    return " ".join(words).rstrip(" ,;:") + "…"
