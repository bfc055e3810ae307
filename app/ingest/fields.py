"""Turning one loosely-structured record (a JSON object, a CSV row) into an ArticleIn.

Documented field names (case-insensitive; the first present wins):
  body: body, text, content, article, full_text     published: published, date, pubdate,
  published_at, datepublished, publication_date     title: title, headline
  source: source, publication, publisher, site      authors: authors, author, byline, creator
  url: url, link, permalink                          language: language, lang, inlanguage
Everything else is kept, as given, in the article's `extra` metadata.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from app.ingest.dated_text import parse_date, split_names
from app.ingest.headline import derive_title, pick_lead
from app.ingest.names import is_outlet, split_byline
from app.ingest.record import ArticleIn, InvalidArticle
from app.textclean import split_paragraphs

ALIASES: dict[str, tuple[str, ...]] = {
    "body": ("body", "text", "content", "article", "full_text"),
    "published": (
        "published",
        "date",
        "pubdate",
        "published_at",
        "datepublished",
        "publication_date",
    ),
    "title": ("title", "headline"),
    "source": ("source", "publication", "publisher", "site"),
    "authors": ("authors", "author", "byline", "creator"),
    "contributors": ("contributors",),
    "url": ("url", "link", "permalink"),
    "language": ("language", "lang", "inlanguage"),
}
_KNOWN = {alias for names in ALIASES.values() for alias in names}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def coerce_date(value: Any) -> dt.date:
    """A date from an ISO string, a textual date, or a Unix timestamp in seconds."""
    if isinstance(value, bool):
        raise InvalidArticle(f"bad date {value!r}")
    if isinstance(value, int | float):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC).date()
        except (OverflowError, OSError, ValueError):
            raise InvalidArticle(f"bad timestamp {value!r}") from None
    if not isinstance(value, str) or not value.strip():
        raise InvalidArticle("no publication date")
    value = value.strip()
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return parse_date(value)


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        out: list[str] = []
        for v in value:
            if isinstance(v, Mapping):  # {"name": "..."} as in JSON Feed and schema.org
                v = v.get("name")
            if isinstance(v, str) and v.strip():
                out.append(v.strip())
        return out
    if isinstance(value, Mapping):
        return _names([value])
    return split_names(str(value))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Mapping):  # {"name": "The Times"}
        value = value.get("name")
    text = str(value).strip() if value is not None else ""
    return text or None


def record_from_mapping(
    data: Any, *, origin: str | None, provenance: dict[str, Any] | None = None
) -> ArticleIn:
    """One mapping (documented field names, case-insensitive) to an article; unknown fields go
    into `extra`."""
    if not isinstance(data, Mapping):
        raise InvalidArticle("not an object with named fields")
    lowered: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        k = str(key).strip().lower()
        if k in _KNOWN:
            lowered.setdefault(k, value)
        elif value not in (None, ""):
            extra[str(key)] = value

    def pick(field: str) -> Any:
        return next(
            (lowered[a] for a in ALIASES[field] if lowered.get(a) not in (None, "", [])), None
        )

    body = pick("body")
    if not isinstance(body, str) or not body.strip():
        raise InvalidArticle("no body text (fields: body, text or content)")
    body = body.strip()
    if pick("published") is None:
        raise InvalidArticle("no publication date (fields: published or date)")
    published = coerce_date(pick("published"))
    title = _text(pick("title"))
    language = _text(pick("language"))
    if language is not None and not _LANGUAGE.match(language):
        extra["language"] = language
        language = None
    url = _text(pick("url"))
    if url is not None and not re.match(r"^https?://\S+$", url):
        extra["url"] = url
        url = None
    source, authors = _text(pick("source")), _names(pick("authors"))
    byline = pick("authors")
    if isinstance(byline, str):  # "Jane Doe, Reuters": the agency is the source, not an author
        authors, outlet = split_byline(byline, source=source)
        source = source or outlet
    elif len(authors) > 1:
        authors = [a for a in authors if not is_outlet(a, source=source)] or authors
    return ArticleIn(
        body=body,
        published=published,
        title=title or derive_title(pick_lead(split_paragraphs(body))),
        title_derived=not title,
        source=source,
        authors=authors,
        contributors=_names(pick("contributors")),
        url=url,
        language=language.lower() if language else None,
        origin=origin,
        extra=extra or None,
        provenance=provenance,
    )
