"""People's names in bylines: which parts are people, which part is the outlet, how to show them.

"By MICHAEL FITZPATRICK, Reuters" names one person and the agency he wrote for: the agency (or
the article's own source) at the end of a byline is the source, not a second author.
"""

from __future__ import annotations

import re

# News agencies and wire services that end bylines ("Jane Doe, Reuters"); compared casefolded,
# with dots and spaces ignored, so "A.P." and "Associated Press" match too.
KNOWN_AGENCIES = frozenset(
    {
        "reuters",
        "reuter",
        "ap",
        "associatedpress",
        "theassociatedpress",
        "afp",
        "agencefrancepresse",
        "agencefrance-presse",
        "upi",
        "unitedpressinternational",
        "bloomberg",
        "bloombergnews",
        "dpa",
        "ansa",
        "efe",
        "kyodo",
        "kyodonews",
        "xinhua",
        "tass",
        "itar-tass",
        "interfax",
        "pa",
        "pamedia",
        "pressassociation",
        "cp",
        "canadianpress",
        "thecanadianpress",
        "aap",
        "anadolu",
        "yonhap",
        "cnn",
        "bbc",
        "bbcnews",
    }
)
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)
# Commas and semicolons separate names; so does "and", in any case ("JUKES AND SHEHADI").
_SEPARATORS = re.compile(r"\s*[,;]\s*(?:and\s+)?|\s+and\s+", re.IGNORECASE)
_ROMAN = re.compile(r"^(?:i{1,3}|iv|v|vi{1,3}|ix|x)$", re.IGNORECASE)
_CASED_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _key(name: str) -> str:
    return re.sub(r"[\s.]+", "", name).casefold()


def is_outlet(name: str, *, source: str | None = None) -> bool:
    """Whether a byline part is a known agency or the article's own source, not a person."""
    key = _key(name)
    return key in KNOWN_AGENCIES or (source is not None and key == _key(source))


def split_byline(value: str, *, source: str | None = None) -> tuple[list[str], str | None]:
    """ "By Jane Doe and John Roe, Reuters" -> (["Jane Doe", "John Roe"], "Reuters"): the people,
    and the outlet named at the end of the byline (a known agency or `source`), if any."""
    parts = [p.strip() for p in _SEPARATORS.split(_BY.sub("", value)) if p.strip()]
    outlet = None
    if len(parts) > 1 and is_outlet(parts[-1], source=source):
        outlet = parts.pop()
    return parts, outlet


def _title_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if _ROMAN.match(word):  # "John Smith III"
        return word.upper()
    # "D'AFFLISIO" -> "D'Afflisio", "O'NEILL" -> "O'Neill"
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word)


def display_name(name: str) -> str:
    """A name as a reader expects it: an all-capitals name ("MICHAEL FITZPATRICK") in title
    case ("Michael Fitzpatrick"); any other spelling ("danah boyd", "McDonald") as given."""
    letters = [c for c in name if c.isalpha()]
    if len(letters) < 2 or not all(c.isupper() for c in letters):
        return name
    return _CASED_WORD.sub(_title_word, name.lower())
