"""The dated-text format: optional `key value` header lines (`date` required), then paragraphs.

    date 2022-01-06
    title Blinken warns Russia          <- optional: title, source, author(s), url, language

    First paragraph...

The reference input (seeds/blinken-2022-01-06.txt) has a header with stray spaces, no title,
curly quotes and an attribution line at the end; it loads as it is.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re

from dateutil import parser as dateutil_parser

from app.ingest.attribution import find_attribution
from app.ingest.headline import derive_title, pick_lead
from app.ingest.names import split_byline
from app.ingest.record import ArticleIn, InvalidArticle
from app.ingest.undated import UndatedFiles
from app.textclean import split_paragraphs

HEADER_KEYS = {
    "date": "date",
    "published": "date",
    "title": "title",
    "headline": "title",
    "source": "source",
    "publication": "source",
    "author": "author",
    "authors": "author",
    "byline": "author",
    "url": "url",
    "link": "url",
    "language": "language",
    "lang": "language",
}
_HEADER_LINE = re.compile(r"^\s*(?P<key>[A-Za-z]+)\s*(?::\s*|\s+)(?P<value>\S.*?)\s*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
# Control characters other than the whitespace ones (\t \n \v \f \r): a sign of a binary file.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def decode(data: bytes, *, max_bytes: int, encoding: str | None = None) -> str:
    """Bytes to text, refusing what is no article file (empty, binary, oversized, undecodable)."""
    if len(data) > max_bytes:
        raise InvalidArticle(
            f"file too large ({len(data):,} bytes; the limit is {max_bytes:,} bytes)"
        )
    if not data.strip():
        raise InvalidArticle("empty file")
    wide = (
        (encoding or "")
        .lower()
        .replace("_", "-")
        .startswith(("utf-16", "utf-32", "utf16", "utf32"))
    )
    if encoding is None and data.startswith(_BOMS):
        raise InvalidArticle("UTF-16/32 text: give --encoding utf-16 (or save the file as UTF-8)")
    if not wide and b"\x00" in data[:8192]:
        raise InvalidArticle("binary file (contains NUL bytes), not text")
    chosen = encoding or "utf-8-sig"
    try:
        text = data.decode(chosen)
    except UnicodeDecodeError as exc:
        raise InvalidArticle(
            f"not valid {chosen.removesuffix('-sig').upper()}: byte 0x{data[exc.start]:02x} at "
            f"offset {exc.start} (give --encoding, e.g. --encoding cp1252, if you know it)"
        ) from None
    except LookupError:
        raise InvalidArticle(f"unknown encoding {encoding!r}") from None
    control = len(_CONTROL.findall(text, 0, 8192))
    if control > 8:
        raise InvalidArticle("binary file (control characters), not text")
    return text


def parse_date(value: str) -> dt.date:
    """A header date: ISO `YYYY-MM-DD` (or ISO timestamp), or textual like `6 January 2022`."""
    value = value.strip()
    if _ISO_DATE.match(value):
        year, month, day = (int(part) for part in value.split("-"))
        try:
            return dt.date(year, month, day)
        except ValueError as exc:
            raise InvalidArticle(f"impossible date {value!r} ({exc})") from None
    try:
        return dt.datetime.fromisoformat(value).date()
    except ValueError:
        pass
    # Textual dates only: purely numeric forms like 01/02/2022 are ambiguous (day or month first).
    if not re.search(r"[A-Za-z]{3,}", value):
        raise InvalidArticle(f"unrecognised date {value!r} (use YYYY-MM-DD)")
    try:
        # Parse twice with different defaults: a part that changes was missing from the text.
        first = dateutil_parser.parse(value, default=dt.datetime(1, 1, 1), ignoretz=True)
        second = dateutil_parser.parse(value, default=dt.datetime(2, 2, 2), ignoretz=True)
    except (ValueError, OverflowError) as exc:
        raise InvalidArticle(f"unrecognised date {value!r} ({exc}; use YYYY-MM-DD)") from None
    if first.date() != second.date():
        raise InvalidArticle(f"incomplete date {value!r} (needs day, month and year)")
    return first.date()


def _read_header(lines: list[str]) -> tuple[dict[str, str], int]:
    """Header fields and the index of the first body line. The header is the run of known
    `key value` lines at the top; a blank line (or the first other line) ends it."""
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    header: dict[str, str] = {}
    end = start
    while end < len(lines) and lines[end].strip():
        match = _HEADER_LINE.match(lines[end])
        key = HEADER_KEYS.get(match.group("key").lower()) if match else None
        if match is None or key is None:
            # "date 2022-01-06" straight above the text, with no blank line, still counts.
            return (header, end) if "date" in header else ({}, start)
        if key == "author" and "author" in header:
            header["author"] += ", " + match.group("value")
        else:
            header[key] = match.group("value")
        end += 1
    return header, end


def split_names(value: str) -> list[str]:
    """ "By Jane Doe and John Roe" / "Jane Doe, John Roe" -> names (an agency at the end of a
    byline, "Jane Doe, Reuters", is dropped: it is no person)."""
    return split_byline(value)[0]


def parse_dated_text(
    text: str,
    *,
    origin: str | None = None,
    undated: UndatedFiles | None = None,
    path: str | None = None,
) -> ArticleIn:
    """Parse one article in the dated-text format. Without a date header, `undated` (if given)
    dates it from `path` or a fixed date, and the article's provenance says so."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header, body_start = _read_header(lines)
    date_note = None
    if "date" in header:
        published = parse_date(header["date"])
    elif undated is not None:
        published, date_note = undated.resolve(path or origin or "")
    else:
        raise InvalidArticle(
            "no 'date YYYY-MM-DD' header line at the top (for undated files: --date YYYY-MM-DD "
            "or --date-from-path)"
        )
    body = "\n".join(lines[body_start:]).strip("\n").rstrip()
    # Keep the body as given, minus the blank lines around it.
    body = "\n".join(line.rstrip() for line in body.split("\n")).strip("\n")
    paragraphs = split_paragraphs(body)
    if not paragraphs:
        raise InvalidArticle("no article text after the header")

    attribution = find_attribution(paragraphs)
    title = header.get("title")
    language = header.get("language")
    if language is not None and not _LANGUAGE.match(language):
        raise InvalidArticle(f"language {language!r} is not a language code like 'en' or 'en-GB'")
    url = header.get("url")
    if url is not None and not re.match(r"^https?://\S+$", url):
        raise InvalidArticle(f"url {url!r} is not an http(s) URL")
    source = header.get("source") or attribution.source
    authors = attribution.authors
    if "author" in header:
        authors, outlet = split_byline(header["author"], source=source)
        source = source or outlet
    # A byline paragraph ("By Jane Doe") is not the lead.
    lead = pick_lead(paragraphs[1:] if attribution.byline and len(paragraphs) > 1 else paragraphs)
    return ArticleIn(
        body=body,
        published=published,
        title=title or derive_title(lead),
        title_derived=not title,
        source=source,
        authors=authors,
        contributors=[c for c in attribution.contributors if c not in authors],
        url=url,
        language=language.lower() if language else None,
        origin=origin,
        provenance={"date": date_note} if date_note else None,
    )
