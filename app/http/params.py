"""Search and list parameters from a query string: one reading for pages and the API, with the
Guardian (`from-date`, `order-by`, `page-size`) and NYT (`begin_date`, `end_date`) spellings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from app.config import Settings
from app.ingest.language import normalise
from app.search.base import Sort
from app.services.searching import SORTS, InvalidParameter, SearchParams, parse_partial_date

ALIASES: dict[str, tuple[str, ...]] = {
    "from": ("from", "from-date", "from_date", "begin_date"),
    "to": ("to", "to-date", "to_date", "end_date"),
    "sort": ("sort", "order-by", "order_by"),
    "page_size": ("page_size", "page-size", "pageSize"),
}
MAX_PAGE = 10_000
# A query or filter value longer than this is refused (400) rather than searched and echoed
# back into pages, links and headers (a 100 KB `q` made a 500 KB page and a 64 KB header).
MAX_QUERY_CHARS = 1000
MAX_FILTER_CHARS = 300


def check_length(name: str, value: str | None, most: int = MAX_QUERY_CHARS) -> str | None:
    """`value` unchanged, or InvalidParameter when it is longer than `most` characters."""
    if value is not None and len(value) > most:
        raise InvalidParameter(
            name, f"{name} is too long ({len(value):,} characters; at most {most:,})"
        )
    return value


class QueryArgs:
    """Read access to repeated query parameters (Starlette's QueryParams or a dict of lists)."""

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self.items = list(items)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str | list[str]]) -> QueryArgs:
        items: list[tuple[str, str]] = []
        for key, value in mapping.items():
            items += [(key, v) for v in (value if isinstance(value, list) else [value])]
        return cls(items)

    def first(self, name: str) -> str | None:
        for key in ALIASES.get(name, (name,)):
            for k, v in self.items:
                if k == key and v.strip():
                    return v.strip()
        return None

    def all(self, name: str) -> tuple[str, ...]:
        """Repeated (`source=a&source=b`) or comma-separated values."""
        values: list[str] = []
        for k, v in self.items:
            if k == name:
                values += [part.strip() for part in v.split(",") if part.strip()]
        return tuple(dict.fromkeys(values))


def _int(args: QueryArgs, name: str, default: int, lo: int, hi: int) -> int:
    raw = args.first(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(name, f"{name} must be a whole number, not {raw!r}") from None
    if not lo <= value <= hi:
        raise InvalidParameter(name, f"{name} must be between {lo} and {hi}")
    return value


def search_params(
    args: QueryArgs, settings: Settings, *, default_sort: Sort = "relevance"
) -> SearchParams:
    """Validate a query string into SearchParams (raises InvalidParameter)."""
    raw_from, raw_to = args.first("from"), args.first("to")
    sort = (args.first("sort") or default_sort).lower()
    if sort not in SORTS:
        raise InvalidParameter("sort", f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    page_size = _int(args, "page_size", settings.default_page_size, 1, settings.max_page_size)
    page = _int(args, "page", 1, 1, MAX_PAGE)
    if page * page_size > MAX_PAGE * 10:
        raise InvalidParameter("page", "that page is too deep; narrow the search")
    q = check_length("q", args.first("q"))
    for name in ("source", "author"):
        for value in args.all(name):
            check_length(name, value, MAX_FILTER_CHARS)
    return SearchParams(
        languages=languages(args),
        q=q,
        date_from=parse_partial_date(raw_from, end=False, param="from") if raw_from else None,
        date_to=parse_partial_date(raw_to, end=True, param="to") if raw_to else None,
        sources=args.all("source"),
        authors=args.all("author"),
        sort=cast(Sort, sort),
        page=page,
        page_size=page_size,
    )


def languages(args: QueryArgs) -> tuple[str, ...]:
    """`lang=de&lang=fr` (or `lang=de,fr`) as ISO 639-1 codes; InvalidParameter for a value that
    is no language tag."""
    codes: list[str] = []
    for value in args.all("lang"):
        code = normalise(check_length("lang", value, 20))
        if code is None:
            raise InvalidParameter("lang", f"lang must be a language code like 'de', not {value!r}")
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def page_params(args: QueryArgs, settings: Settings) -> tuple[int, int]:
    """`page` and `page_size` (or an alias) alone, for lists without search filters."""
    page_size = _int(args, "page_size", settings.default_page_size, 1, settings.max_page_size)
    page = _int(args, "page", 1, 1, MAX_PAGE)
    if page * page_size > MAX_PAGE * 10:
        raise InvalidParameter("page", "that page is too deep")
    return page, page_size
