"""RSS 0.9x/1.0/2.0, Atom and JSON Feed files via feedparser: one article per entry, full
content where the feed carries it, the summary otherwise."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import feedparser
import lxml.html
from lxml import etree

from app.ingest.fields import coerce_date
from app.ingest.headline import derive_title, pick_lead
from app.ingest.record import ArticleIn, InvalidArticle, Item
from app.textclean import split_paragraphs

_BLOCK_END = re.compile(r"</(?:p|div|li|h[1-6]|blockquote|tr)>|<br\s*/?>", re.IGNORECASE)


def _date(struct: time.struct_time | None) -> dt.date | None:
    if not struct:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(struct), dt.UTC).date()
    except (OverflowError, ValueError, OSError):
        return None


# Feeds often localise RFC 822 month names ("Seg, 24 Set 2018"), which feedparser rejects.
_MONTHS = {
    **dict.fromkeys(["jan", "janv", "ene", "gen", "jän"], 1),
    **dict.fromkeys(["feb", "fev", "fév", "févr"], 2),
    **dict.fromkeys(["mar", "mär", "mrz", "mars"], 3),
    **dict.fromkeys(["apr", "abr", "avr", "avril"], 4),
    **dict.fromkeys(["may", "mai", "mayo", "maio", "mag"], 5),
    **dict.fromkeys(["jun", "juin", "giu"], 6),
    **dict.fromkeys(["jul", "juil", "lug"], 7),
    **dict.fromkeys(["aug", "ago", "aoû", "août"], 8),
    **dict.fromkeys(["sep", "set", "sept"], 9),
    **dict.fromkeys(["oct", "out", "okt", "ott"], 10),
    **dict.fromkeys(["nov"], 11),
    **dict.fromkeys(["dec", "dez", "dic", "déc"], 12),
}
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})\.?\s+([^\W\d_]{3,5})\.?\s+(\d{4})\b")


def localized_date(value: str) -> dt.date | None:
    """ "Seg, 24 Set 2018 19:42:40 -0300" -> 2018-09-24 (day, month name, year in any of a few
    European languages)."""
    match = _DAY_MONTH_YEAR.search(value)
    if not match:
        return None
    month = _MONTHS.get(match.group(2).casefold())
    if month is None:
        return None
    try:
        return dt.date(int(match.group(3)), month, int(match.group(1)))
    except ValueError:
        return None


def _text(html: str) -> str:
    """Feed content is HTML (or plain text): its readable text, paragraphs on their own lines."""
    if "<" not in html:
        return html.strip()
    marked = _BLOCK_END.sub("\n\n", html)
    try:
        text = lxml.html.fragment_fromstring(marked, create_parent="div").text_content()
    except (etree.ParserError, ValueError):
        return ""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _entry(entry: Any, *, feed: Any, origin: str, fallback: dt.date | None) -> ArticleIn:
    contents = [c for c in entry.get("content") or [] if (c.get("value") or "").strip()]
    raw = max((c["value"] for c in contents), key=len) if contents else entry.get("summary", "")
    body = _text(raw or "")
    if not body:
        raise InvalidArticle("the entry has no content or summary")
    published = _date(dict.get(entry, "published_parsed")) or _date(
        dict.get(entry, "updated_parsed")
    )
    if published is None:
        for key in ("published", "updated"):  # feedparser gave up; dateutil may not
            if dict.get(entry, key):
                try:
                    published = coerce_date(entry[key])
                except InvalidArticle:
                    published = localized_date(entry[key])
                if published:
                    break
    published = published or fallback
    if published is None:
        raise InvalidArticle("the entry has no usable date, and neither has the feed")
    title = " ".join((entry.get("title") or "").split()) or None
    authors = [a["name"] for a in entry.get("authors") or [] if (a.get("name") or "").strip()]
    if not authors and entry.get("author"):
        authors = [entry["author"]]
    link = entry.get("link")
    language = feed.get("language")
    extra: dict[str, Any] = {}
    if entry.get("id"):
        extra["entry_id"] = entry["id"]
    tags = [t.get("term") for t in entry.get("tags") or [] if t.get("term")]
    if tags:
        extra["tags"] = tags
    return ArticleIn(
        body=body,
        published=published,
        title=title[:500] if title else derive_title(pick_lead(split_paragraphs(body))),
        title_derived=not title,
        source=(feed.get("title") or "").strip()[:200] or None,
        authors=authors,
        url=link if isinstance(link, str) and link.startswith(("http://", "https://")) else None,
        language=language.lower()[:20] if isinstance(language, str) and language else None,
        origin=origin,
        extra=extra or None,
        provenance={
            "file": origin,
            "feed": feed.get("link") or None,
            "entry_id": entry.get("id") or None,
            "content": "full" if contents else "summary",
        },
    )


def read_feed(
    data: bytes, *, origin: str, on_fraction: Callable[[float], None] | None = None
) -> Iterator[Item]:
    """Every entry of one feed document; a bad entry is its own error, a broken feed one error.
    `on_fraction` hears how far through the entries it is before each one is yielded."""
    if data.lstrip()[:1] == b"{":
        yield from read_json_feed(data, origin=origin, on_fraction=on_fraction)
        return
    parsed = feedparser.parse(data)
    feed = parsed.get("feed", {})
    entries = parsed.get("entries", [])
    if not entries:
        problem = parsed.get("bozo_exception")
        yield (
            origin,
            None,
            (f"not a readable feed: {problem}" if problem else "the feed has no items"),
        )
        return
    # dict.get: FeedParserDict.get maps updated -> published with a DeprecationWarning.
    fallback = _date(dict.get(feed, "updated_parsed")) or _date(dict.get(feed, "published_parsed"))
    for number, entry in enumerate(entries, start=1):
        label = f"{origin}#{number}"
        if on_fraction:
            on_fraction(number / len(entries))
        try:
            yield label, _entry(entry, feed=feed, origin=origin, fallback=fallback), None
        except InvalidArticle as exc:
            yield label, None, str(exc)


def read_json_feed(
    data: bytes, *, origin: str, on_fraction: Callable[[float], None] | None = None
) -> Iterator[Item]:
    """JSON Feed 1.x (jsonfeed.org), which feedparser does not read: mapped onto the same entry
    shape as RSS/Atom entries."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        yield origin, None, f"not a readable JSON Feed: {exc}"
        return
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        yield origin, None, "the feed has no items"
        return
    feed = {
        "title": doc.get("title"),
        "link": doc.get("feed_url") or doc.get("home_page_url"),
        "language": doc.get("language"),
    }
    for number, raw in enumerate(items, start=1):
        label = f"{origin}#{number}"
        if on_fraction:
            on_fraction(number / len(items))
        if not isinstance(raw, dict):
            yield label, None, "the item is not an object"
            continue
        people = raw.get("authors") or ([raw["author"]] if raw.get("author") else [])
        content = raw.get("content_html") or raw.get("content_text")
        entry = {
            "title": raw.get("title"),
            "link": raw.get("url"),
            "id": raw.get("id"),
            "content": [{"value": content}] if content else [],
            "summary": raw.get("summary") or "",
            "published": raw.get("date_published"),
            "updated": raw.get("date_modified"),
            "authors": [p for p in people if isinstance(p, dict)],
            "tags": [{"term": t} for t in raw.get("tags") or [] if isinstance(t, str)],
        }
        try:
            yield label, _entry(entry, feed=feed, origin=origin, fallback=None), None
        except InvalidArticle as exc:
            yield label, None, str(exc)
