"""Derive a short headline from an article's lead when the input has no title."""

from __future__ import annotations

import re

from app.textclean import clean_for_display

MAX_TITLE_CHARS = 90
_SENTENCE_END = re.compile(r"(?<=[.!?])[”\"’]?\s+(?=[“\"‘A-Z0-9])")
_TRAILING_FILLER = frozenset(
    "a an the of to in on at by for and or but with from as that which who is was were be "
    "has had have said says its their his her".split()
)


_HAS_WORDS = re.compile(r"[^\W\d_]{2,}")


def pick_lead(paragraphs: list[str]) -> str:
    """The first paragraph with real words in it (skips "." lines, rules, bare numbers)."""
    return next(
        (p for p in paragraphs if _HAS_WORDS.search(p)), paragraphs[0] if paragraphs else ""
    )


def derive_title(lead: str, *, limit: int = MAX_TITLE_CHARS) -> str:
    """First sentence of the lead, cut on a word boundary to at most `limit` characters."""
    text = clean_for_display(lead)
    sentence = next(
        (s.strip() for s in _SENTENCE_END.split(text) if _HAS_WORDS.search(s)), text.strip()
    )
    if len(sentence) <= limit:
        return sentence.rstrip(" .,;:")
    words = sentence[: limit + 1].split(" ")
    # Drop the last word, which may be cut in half; one very long "word" is cut instead.
    words = words[:-1] if len(words) > 1 else [sentence[:limit]]
    while len(words) > 3 and words[-1].strip('“”"‘’,;:').casefold() in _TRAILING_FILLER:
        words.pop()
    return " ".join(words).rstrip(" ,;:") + "…"
