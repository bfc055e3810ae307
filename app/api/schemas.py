"""Shapes the JSON API accepts and returns."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

# What the validators below enforce, stated in the spec too (the fuzzer holds us to it);
# the validators stay, for clearer messages than a failed pattern.
HAS_TEXT: JsonDict = {"pattern": r"\S"}
NAMES: JsonDict = {"items": {"type": "string", "minLength": 1, "maxLength": 300, "pattern": r"\S"}}


class ArticleCreate(BaseModel):
    """An article posted as JSON. Without a title, one is derived from the lead."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=500, examples=["Blinken warns Russia"])
    date: dt.date = Field(examples=["2022-01-06"])
    body: str = Field(
        min_length=1, examples=["The top US diplomat said…"], json_schema_extra=HAS_TEXT
    )
    source: str | None = Field(None, max_length=200, examples=["CNN"])
    authors: list[str] = Field(
        default_factory=list, max_length=50, examples=[["Kevin Liptak"]], json_schema_extra=NAMES
    )
    url: str | None = Field(None, max_length=2000, pattern=r"^https?://\S+$")
    language: str | None = Field(None, pattern=r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")

    @field_validator("body")
    @classmethod
    def body_has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the body has no text")
        return value

    @field_validator("authors")
    @classmethod
    def authors_are_names(cls, value: list[str]) -> list[str]:
        names = [" ".join(v.split()) for v in value]
        if any(not n or len(n) > 300 for n in names):
            raise ValueError("each author must be a name of 1-300 characters")
        return names


def _fields_optional(schema: dict[str, Any]) -> None:
    # `fields=` may leave any field out, so the spec must not call them required.
    schema.pop("required", None)


SELECTABLE = ConfigDict(json_schema_extra=_fields_optional)


class ArticleUpdate(ArticleCreate):
    """PUT: the whole article again. Fields left out are emptied and a missing title is derived
    from the lead; contributors found in attribution lines are kept."""


class ArticlePatch(BaseModel):
    """PATCH: only the fields given change; `null` empties source, url, language or authors."""

    model_config = ConfigDict(extra="forbid")

    # title, date and body cannot be emptied: null is refused, and the spec says so
    # The length limits sit on the str part: on the union, pydantic would apply them to an
    # explicit null too and fail with a TypeError (a 500) instead of a validation error.
    title: Annotated[str, Field(min_length=1, max_length=500)] | SkipJsonSchema[None] = Field(
        None, examples=["A corrected title"], json_schema_extra=HAS_TEXT
    )
    date: dt.date | SkipJsonSchema[None] = Field(None, examples=["2022-01-07"])
    body: Annotated[str, Field(min_length=1)] | SkipJsonSchema[None] = Field(
        None, json_schema_extra=HAS_TEXT
    )
    source: str | None = Field(None, max_length=200)
    authors: list[str] | None = Field(None, max_length=50, json_schema_extra=NAMES)
    url: str | None = Field(None, max_length=2000, pattern=r"^https?://\S+$")
    language: str | None = Field(None, pattern=r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")

    @field_validator("body", "title")
    @classmethod
    def has_text(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must have some text")
        return value

    @field_validator("title", "date", "body", mode="before")
    @classmethod
    def not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null (leave the field out to keep it)")
        return value

    @field_validator("authors")
    @classmethod
    def authors_are_names(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return ArticleCreate.authors_are_names(value)


class Links(BaseModel):
    self: str
    html: str


class ArticleSummary(BaseModel):
    model_config = SELECTABLE

    id: int
    title: str
    date: dt.date
    source: str | None
    authors: list[str]
    url: str | None
    links: Links
    language: str | None = Field(None, description="ISO 639-1 code; null when unknown.")


class SearchResult(ArticleSummary):
    snippet: str = Field(description="HTML: escaped text with matches in <mark>.")
    score: float | None = Field(description="Relevance score; null when sorted by date.")
    story_id: int | None = Field(None, description="With collapse=story: the story's id.")
    copies: int | None = Field(
        None, description="With collapse=story: how many other copies of the story match."
    )
    story: str | None = Field(None, description="With collapse=story: the story page's URL.")


class ArticleFull(ArticleSummary):
    title_derived: bool
    contributors: list[str]
    language: str | None
    word_count: int
    body: str
    paragraphs: list[str] = Field(description="The body as display paragraphs (noise tidied).")
    content_hash: str
    created_at: dt.datetime
    updated_at: dt.datetime
    story_id: int | None = Field(
        description="The story this article is a copy of: the id of its first copy "
        "(/api/v1/stories/{story_id}); null until assigned."
    )


class SearchQueryEcho(BaseModel):
    q: str | None
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None
    source: list[str]
    author: list[str]
    sort: str
    lang: list[str] = Field(default_factory=list, description="The `lang` filter, as ISO 639-1.")

    model_config = ConfigDict(populate_by_name=True)


class Envelope(BaseModel):
    """Every list: the total, where this page is, its results and a cursor to the next page."""

    total: int = Field(description="Exact number of matches.")
    page: int = Field(description="This page's number, from 1.")
    page_size: int
    pages: int = Field(description="Number of pages (0 when nothing matched).")
    next: str | None = Field(
        description="Opaque cursor: pass it back as `cursor` with the same filters for the next "
        "page; null on the last page."
    )


class FacetCount(BaseModel):
    value: str = Field(
        description="A source or author name, a year (YYYY), a month (YYYY-MM) or a language "
        "(ISO 639-1)."
    )
    count: int = Field(description="Matches with this value (with every other filter applied).")


class HistogramBucket(BaseModel):
    key: str = Field(description="YYYY, YYYY-MM or YYYY-MM-DD")
    start: str = Field(description="First day of the period, YYYY-MM-DD")
    end: str = Field(description="Last day of the period, YYYY-MM-DD")
    count: int


class HistogramSeries(BaseModel):
    interval: str = Field(description="day, month or year (the one chosen for `auto`)")
    buckets: list[HistogramBucket] = Field(description="Every period from first to last match.")


class RelatedList(BaseModel):
    results: list[ArticleSummary] = Field(description="Most alike first; never the article itself.")


class SearchResponse(Envelope):
    query: SearchQueryEcho
    results: list[SearchResult]
    facets: dict[str, list[FacetCount]] | None = Field(
        None, description="Only when `facets` is asked for: counts per value, per facet."
    )
    facets_missing: dict[str, int] | None = Field(
        None,
        description="Only when the `source` or `author` facet is asked for: the matches "
        "without a source / without any author, so that the counts add up.",
    )
    histogram: HistogramSeries | None = Field(
        None, description="Only when `histogram` is asked for: matches per period."
    )
    suggestion: str | None = Field(
        None,
        description="Only when the query found few or no articles and a spelling from the "
        'archive\'s own vocabulary finds more: the corrected query ("did you mean").',
    )
    count: Literal["articles", "stories"] | None = Field(
        None,
        description="Only with `facets` or `histogram`: what they counted, `articles` (every "
        "matching copy) or `stories` (each story once per value or period; `count=stories`).",
    )
    folded_by_story: bool | None = Field(
        None,
        description="Only with collapse=story: true; results are stories (one copy each) and "
        "`total`, `pages` and `next` count stories, not articles.",
    )


class ArticleList(Envelope):
    results: list[ArticleSummary]


class NameCount(BaseModel):
    name: str
    articles: int
    links: dict[str, str] = Field(description="`articles`: the API list of this name's articles.")


class NameList(Envelope):
    results: list[NameCount]


class DateCount(BaseModel):
    key: int = Field(description="The year, month or day.")
    date: str = Field(description="YYYY, YYYY-MM or YYYY-MM-DD")
    articles: int
    links: dict[str, str]


class DateCounts(BaseModel):
    """Article counts by year, by month of a year, or by day of a month (the browse pages)."""

    level: str = Field(description="year, month or day")
    year: int | None
    month: int | None
    total: int
    results: list[DateCount]


class MonthCount(BaseModel):
    year: int
    month: int
    articles: int


class IndexStats(BaseModel):
    documents: int | None
    in_sync: bool
    pending: int
    oldest_pending_seconds: float | None
    state: str  # as Health.index
    detail: str


class Stats(BaseModel):
    articles: int
    sources: int
    authors: int
    first_date: dt.date | None
    last_date: dt.date | None
    database: str
    search_backend: str
    index: IndexStats
    years: list[DateCount]
    months: list[MonthCount]


class BulkLine(BaseModel):
    """One line of the streamed NDJSON answer to a bulk upload: a result per input line, then a
    last line with `summary` (and `error` too when the archive failed mid-stream)."""

    line: int | None = None
    status: str | None = Field(None, description="added, duplicate or error")
    id: int | None = None
    error: dict[str, Any] | None = None
    summary: dict[str, int] | None = None
    index: dict[str, Any] | None = Field(
        None,
        description="With wait=false, on the summary line: `searchable` (whether the index has "
        "caught up yet) and `pending` (index updates still waiting)",
    )


class HealthProblem(BaseModel):
    code: str  # database_unreachable, index_damaged, index_unreadable, index_rebuilding,
    # disk_full, read_only (each makes the answer a 503), or index_behind
    message: str


class ReplicaHealth(BaseModel):
    reachable: bool
    streaming: bool | None = None
    lag_bytes: int | None = None
    lag_seconds: float | None = None
    error: str | None = None


class Health(BaseModel):
    status: str  # ok, degraded (200) or unavailable (503)
    articles: int | None
    index_documents: int | None
    in_sync: bool
    # "in_sync", "behind" (updates pending: an import indexing behind, a catch-up running),
    # "disagrees" (run `newsarchive check --repair`) or "unreadable".
    index: str
    pending_index_updates: int
    # Age of the oldest pending update: how far behind the index is; null when none.
    oldest_pending_seconds: float | None
    database: str
    search_backend: str
    index_error: str | None
    problems: list[HealthProblem] = []
    # Only with NEWSARCHIVE_READ_DATABASE_URL: the replica searches and page reads go to.
    replica: ReplicaHealth | None = None


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[dict[str, Any]] | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class DiffPart(BaseModel):
    op: Literal["same", "added", "removed"]
    text: str


class StoryCopy(ArticleSummary):
    opening_diff: list[DiffPart] = Field(
        description="The opening paragraph against the first copy's, word by word "
        "(empty for the first copy)."
    )
    same_opening: bool


class StoryLinks(BaseModel):
    self: str
    html: str


class StoryOut(BaseModel):
    id: int = Field(description="The story id: the id of its first copy.")
    size: int = Field(description="How many articles are copies of this story.")
    copies: list[StoryCopy] = Field(description="Every copy, first copy first.")
    links: StoryLinks
