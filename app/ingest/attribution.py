"""Recognise bylines and attribution lines ("CNN’s Kevin Liptak contributed to this report.")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = r"[A-Z][\w.'’\-]*(?:\s+(?:[A-Z][\w.'’\-]*|de|van|von|da|del|bin|al))*"
_NAMES = rf"{_NAME}(?:\s*,\s*{_NAME})*(?:,?\s+and\s+{_NAME})?"

# "CNN’s Kevin Liptak contributed to this report."  /  "Kevin Liptak contributed reporting."
_CONTRIBUTED = re.compile(
    rf"^\(?\s*(?:(?P<source>[A-Z][\w&.\-]*(?:\s+[A-Z][\w&.\-]*){{0,4}})[’']s?\s+)?"
    rf"(?P<names>{_NAMES})\s+contributed\s+(?:to\s+)?(?:this\s+)?"
    rf"(?:report|reporting|story|article)\b[^\n]*?\.?\s*\)?$"
)
# "(Reporting by Jane Doe and John Roe; Editing by Sam Poe)" as Reuters writes it.
_REPORTING = re.compile(
    r"^\(?\s*(?:Additional\s+)?Reporting\s+by\s+(?P<names>[^;()]+?)(?:\s*;[^()]*)?\s*\)?\.?$",
    re.IGNORECASE,
)
# A leading byline: "By Kevin Liptak, CNN" or "By Jane Doe and John Roe". A person's name here
# has two to four words, so "By Friday, Russia had withdrawn…" is a sentence, not a byline.
_PERSON = r"[A-Z][\w.'’\-]+(?:\s+(?:[A-Z][\w.'’\-]*|de|van|von|da|del|bin|al)){1,3}"
_BYLINE = re.compile(
    rf"^By\s+(?P<names>{_PERSON}(?:\s+and\s+{_PERSON})?)"
    r"(?:\s*,\s*(?P<source>[A-Z][\w&.\-]*(?:\s+[A-Z][\w&.\-]*){0,4}))?$"
)
# "John Roe in Kyiv" -> "John Roe"
_PLACE_SUFFIX = re.compile(r"\s+in\s+[A-Z][\w .'’\-]*$")

_SPLIT_NAMES = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


@dataclass
class Attribution:
    """People and outlet named in the byline or the attribution line."""

    source: str | None = None
    authors: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)
    byline: bool = False  # the first paragraph is a byline ("By Jane Doe"), not the lead


def _names(text: str) -> list[str]:
    names = [_PLACE_SUFFIX.sub("", n.strip(" .")) for n in _SPLIT_NAMES.split(text.strip())]
    return [n for n in names if n and len(n) <= 120]


def _one_line(paragraph: str) -> str:
    return " ".join(paragraph.split())


def find_attribution(paragraphs: list[str]) -> Attribution:
    """Look at the first and last paragraphs for a byline or an attribution line."""
    found = Attribution()
    if not paragraphs:
        return found
    first = _one_line(paragraphs[0])
    if len(first) <= 120 and (m := _BYLINE.match(first)):
        found.authors = _names(m.group("names"))
        found.source = m.group("source").strip() if m.group("source") else None
        found.byline = True
    for paragraph in reversed(paragraphs[-2:]):
        last = _one_line(paragraph)
        if len(last) > 300:
            continue
        if m := _CONTRIBUTED.match(last):
            found.contributors = _names(m.group("names"))
            if m.group("source") and not found.source:
                found.source = m.group("source").strip()
            break
        if m := _REPORTING.match(last):
            found.authors = found.authors or _names(m.group("names"))
            break
    return found
