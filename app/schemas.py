"""Shapes the JSON API accepts and returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ArticleCreate(BaseModel):
    """An article posted as JSON. Without a title, one is derived from the lead."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=500, examples=["Blinken warns Russia"])
    date: dt.date = Field(examples=["2022-01-06"])
    body: str = Field(min_length=1, examples=["The top US diplomat said…"])
    source: str | None = Field(None, max_length=200, examples=["CNN"])
    authors: list[str] = Field(default_factory=list, max_length=50, examples=[["Kevin Liptak"]])
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


class Links(BaseModel):
    self: str
    html: str


class ArticleSummary(BaseModel):
    id: int
    title: str
    date: dt.date
    source: str | None
    authors: list[str]
    url: str | None
    links: Links


class SearchResult(ArticleSummary):
    snippet: str = Field(description="HTML: escaped text with matches in <mark>.")
    score: float | None = Field(description="Relevance score; null when sorted by date.")


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


class SearchQueryEcho(BaseModel):
    q: str | None
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None
    source: list[str]
    author: list[str]
    sort: str

    model_config = ConfigDict(populate_by_name=True)


class SearchResponse(BaseModel):
    query: SearchQueryEcho
    total: int
    page: int
    page_size: int
    pages: int
    results: list[SearchResult]


class ArticleList(BaseModel):
    total: int
    page: int
    page_size: int
    pages: int
    results: list[ArticleSummary]


class Health(BaseModel):
    status: str
    articles: int
    index_documents: int | None
    in_sync: bool
    pending_index_updates: int
    database: str
    search_backend: str
    index_error: str | None


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[dict[str, Any]] | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody
