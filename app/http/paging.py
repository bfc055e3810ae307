"""Opaque `next` cursors for list endpoints, and the one list envelope they all return.

A cursor is base64url JSON: a keyset position, `k` (published date and id) for date-ordered
article lists and searches or `s` (score and id) for relevance-ordered searches, or an offset
(`o`) where no key exists (name lists);
plus the page number it leads to and a fingerprint of the query it belongs to, so a cursor
reused with other filters is refused instead of silently paging something else."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.http.params import MAX_PAGE
from app.models import Article
from app.services.articles import MAX_ID
from app.services.searching import InvalidParameter, SearchItem, SearchParams

# Cursors are not secret (clients could forge one): bound what a forged one can ask for.
MAX_OFFSET = MAX_PAGE * 10


@dataclass(frozen=True)
class Cursor:
    page: int
    key: tuple[dt.date, int] | None = None
    offset: int | None = None
    score: tuple[float, int] | None = None  # relevance order: the last result's score and id


def fingerprint(parts: dict[str, Any]) -> str:
    """A short hash of the query a cursor belongs to."""
    raw = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def encode(cursor: Cursor, *, query: str) -> str:
    data: dict[str, Any] = {"p": cursor.page, "q": query}
    if cursor.key is not None:
        data["k"] = [cursor.key[0].isoformat(), cursor.key[1]]
    if cursor.offset is not None:
        data["o"] = cursor.offset
    if cursor.score is not None:
        data["s"] = [cursor.score[0], cursor.score[1]]
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(value: str, *, query: str) -> Cursor:
    """Read a cursor from a client; 400 (bad_parameter) when it is not one of ours."""
    bad = InvalidParameter("cursor", "cursor is not valid: use the `next` value of a response")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise bad
        page = int(data["p"])
        key = None
        if "k" in data:
            key = (dt.date.fromisoformat(data["k"][0]), int(data["k"][1]))
        offset = int(data["o"]) if "o" in data else None
        score = None
        if "s" in data:
            score = (float(data["s"][0]), int(data["s"][1]))
            if not math.isfinite(score[0]):
                raise bad
    except (ValueError, KeyError, TypeError, IndexError, OverflowError, binascii.Error):
        raise bad from None
    if page < 1 or page > MAX_PAGE or not 0 <= (offset or 0) <= MAX_OFFSET:
        raise bad
    if key is not None and not 0 <= key[1] <= MAX_ID:
        raise bad
    if score is not None and not 0 <= score[1] <= MAX_ID:
        raise bad
    if data.get("q") != query:
        raise InvalidParameter(
            "cursor", "this cursor belongs to another query: send the same filters with it"
        )
    return Cursor(page=page, key=key, offset=offset, score=score)


def envelope(
    *, total: int, page: int, page_size: int, results: list[Any], next_cursor: str | None
) -> dict[str, Any]:
    """The shape of every list: total, page, page_size, pages, results, next."""
    return {
        "total": total,
        "page": page,
        "page_size": page_size,
        "pages": math.ceil(total / page_size) if total else 0,
        "results": results,
        "next": next_cursor,
    }


def query_id(params: SearchParams, kind: str) -> str:
    """The fingerprint of a search or list: its filters, order and page size."""
    return fingerprint(
        {
            "kind": kind,
            "q": params.q,
            "from": params.date_from,
            "to": params.date_to,
            "source": params.sources,
            "author": params.authors,
            "sort": params.sort,
            "page_size": params.page_size,
            # Only when given: cursors made before the filter existed stay valid.
            **({"lang": params.languages} if params.languages else {}),
        }
        # A folded search's cursor counts stories: it cannot continue an unfolded one.
        | ({"by_story": True} if params.by_story else {})
    )


# Search pages continue after the last result, by keyset: (published, id) in date order, (score,
# id) in relevance order, so articles added meanwhile neither shift nor repeat results. (Scores
# themselves move a little as the archive grows; date order is exact.)
def _by_date(params: SearchParams) -> bool:
    return params.sort in ("newest", "oldest") or not params.q


def resume_search(params: SearchParams, cursor: str | None, *, query: str) -> SearchParams:
    """`params` positioned where `cursor` (a search's `next`) left off."""
    if not cursor:
        return params
    at = decode(cursor, query=query)
    by_date = _by_date(params)
    if by_date and at.key is not None:
        return dataclasses.replace(params, page=at.page, after=at.key)
    if not by_date and at.score is not None:
        return dataclasses.replace(params, page=at.page, after=at.score)
    if not by_date and at.offset is not None:  # cursors given out before keysets
        return dataclasses.replace(params, page=at.offset // params.page_size + 1)
    raise InvalidParameter("cursor", "cursor is not valid for search")


def next_search(
    params: SearchParams, *, shown: int, total: int, last: SearchItem | None, query: str
) -> str | None:
    """The `next` cursor after a search page of `shown` results, `last` among them; None at
    the end."""
    offset = (params.page - 1) * params.page_size
    if not shown or offset + shown >= total:
        return None
    at = Cursor(page=params.page + 1, offset=offset + params.page_size)
    if last is not None and _by_date(params):
        at = Cursor(page=params.page + 1, key=(last.article.published, last.article.id))
    elif last is not None and last.score is not None:
        at = Cursor(page=params.page + 1, score=(last.score, last.article.id))
    return encode(at, query=query)


def resume_list(cursor: str, *, query: str) -> Cursor:
    """The position an article list's `next` cursor names (lists page by (date, id) only)."""
    at = decode(cursor, query=query)
    if at.key is None:
        raise InvalidParameter("cursor", "cursor is not valid for articles")
    return at


def next_list(rows: Sequence[Article], *, page: int, page_size: int, query: str) -> str | None:
    """The `next` cursor of an article list fetched one row long (the extra row says there is
    more); None at the end."""
    if len(rows) <= page_size:
        return None
    last = rows[page_size - 1]
    return encode(Cursor(page=page + 1, key=(last.published, last.id)), query=query)


def resume_offset(
    cursor: str | None, *, page: int, page_size: int, query: str, kind: str
) -> tuple[int, int]:
    """(offset, page) of a name list, from its cursor or its page number."""
    if not cursor:
        return (page - 1) * page_size, page
    at = decode(cursor, query=query)
    if at.offset is None:
        raise InvalidParameter("cursor", f"cursor is not valid for {kind}")
    return at.offset, at.page


def next_offset(*, offset: int, page: int, page_size: int, total: int, query: str) -> str | None:
    if offset + page_size >= total:
        return None
    return encode(Cursor(page=page + 1, offset=offset + page_size), query=query)
