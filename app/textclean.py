"""Conservative clean-up of article text for display. It changes spacing and stray punctuation only,
never words: the stored body stays exactly as loaded, and a test checks that every word survives."""

from __future__ import annotations

import re

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_SPACES = re.compile(r"[ \t\r\f\v\n]+")
# ". ." and "said. ." left by copy-paste: one full stop is enough.
_DOUBLE_STOP = re.compile(r"\.(?:\s+\.)+(?=\s|$|[”\"’)])")
# ", ”she said" -> ",” she said": a closing curly quote detached from its clause.
_DETACHED_CLOSE = re.compile(r"([,.!?;:])\s+”(?=\w)")
# "“ word" -> "“word"
_DETACHED_OPEN = re.compile(r"“\s+(?=\w)")
# "crisis then. that Russia": a full stop between two lower-case words is noise, unless the first
# word is a common abbreviation.
_STRAY_STOP = re.compile(r"\b([a-z]{3,})\.\s+(?=[a-z])")
_ABBREVIATIONS = frozenset(
    "approx etc incl dept govt est misc corp assn univ vol ave blvd jan feb mar apr jun jul aug "
    "sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun".split()
)


def split_paragraphs(body: str) -> list[str]:
    """Paragraphs are separated by blank lines; lines inside one are joined with a space."""
    parts = _PARAGRAPH_BREAK.split(body.strip())
    return [p for p in (_SPACES.sub(" ", part).strip() for part in parts) if p]


def _drop_stray_stop(match: re.Match[str]) -> str:
    word = match.group(1)
    return match.group(0) if word in _ABBREVIATIONS else f"{word} "


def clean_for_display(paragraph: str) -> str:
    """Tidy one paragraph's typographic noise without removing or reordering any word."""
    text = _SPACES.sub(" ", paragraph).strip()
    text = _DOUBLE_STOP.sub(".", text)
    text = _DETACHED_CLOSE.sub(r"\1” ", text)
    text = _DETACHED_OPEN.sub("“", text)
    text = _STRAY_STOP.sub(_drop_stray_stop, text)
    return _SPACES.sub(" ", text).strip()


def display_paragraphs(body: str) -> list[str]:
    """The body as cleaned paragraphs, ready for a reading page."""
    return [clean_for_display(p) for p in split_paragraphs(body)]
