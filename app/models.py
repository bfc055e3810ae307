"""Database tables: articles, their people, and the outbox that keeps the search index in step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Article(Base):
    """One dated news article, stored exactly as loaded."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    # True when the title was derived from the lead because the input had none.
    title_derived: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    published: Mapped[dt.date] = mapped_column(Date, index=True)
    source: Mapped[str | None] = mapped_column(String(200), index=True)
    url: Mapped[str | None] = mapped_column(String(2000), unique=True)
    # ISO 639-1 (app.ingest.language), None when unknown; indexed for the `lang=` filter.
    language: Mapped[str | None] = mapped_column(String(20), index=True)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    # sha256 of the normalised body: the same story loaded twice is recognised.
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    origin: Mapped[str | None] = mapped_column(String(2000))
    # Input fields without a column of their own, kept as given (readers of JSON, CSV, feeds).
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Where it came from (file, feed URL, WARC record id and capture time) and which import run.
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Indexed: the counts cache fingerprints the archive with max(updated_at).
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, index=True
    )

    # The story it is a copy of: the id of the story's first article (its own id when it is the
    # first); near-duplicates are found at import (app.services.stories). None until assigned.
    story_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Its MinHash signature (app.services.stories.signature), uint32 little-endian.
    story_signature: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    people: Mapped[list[ArticlePerson]] = relationship(
        back_populates="article",
        cascade="all, delete-orphan",
        order_by="ArticlePerson.position",
        lazy="selectin",
    )

    @property
    def authors(self) -> list[str]:
        return [p.name for p in self.people if p.role == "author"]

    @property
    def contributors(self) -> list[str]:
        return [p.name for p in self.people if p.role == "contributor"]

    @property
    def all_people(self) -> list[str]:
        return [p.name for p in self.people]


class ArticlePerson(Base):
    """An author or contributor named on an article, in the order given."""

    __tablename__ = "article_people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(300), index=True)
    role: Mapped[str] = mapped_column(String(20), default="author")

    article: Mapped[Article] = relationship(back_populates="people")


class IndexOutbox(Base):
    """Index work recorded in the same transaction as the row change (a transactional outbox).

    If the process dies after the database commit but before the index commit, the entries stay
    here and are replayed by the next writer, so the index catches up without a manual repair.
    """

    __tablename__ = "index_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(10))  # "upsert" or "delete"
    # Set here in UTC (the server default stays for rows written by SQL): the index's lag is
    # the oldest entry's age.
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.now()
    )


Index("ix_articles_published_id", Article.published, Article.id)


class ApiToken(Base):
    """A named API bearer token. Only its sha256 is stored; the token is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(10))  # "read" or "write" (write includes read)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ImportRun(Base):
    """One `newsarchive import` (or upload) run: what it read and what became of each item."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # "running" until it ends; "interrupted" when Ctrl-C, a kill or a lost client stopped it.
    status: Mapped[str] = mapped_column(String(20), default="running")
    via: Mapped[str] = mapped_column(String(20), default="cli")  # "cli", "upload" or "api"
    sources: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # [[item label, message], ...]; capped so a run of bad files cannot bloat the row.
    errors: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    # The process doing the run, and when it last committed a batch: a "running" run whose
    # process is gone, or that has gone quiet for long, was killed (shown as "interrupted").
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class StoryBand(Base):
    """One LSH band of an article's signature: articles sharing a band key are candidates for
    being copies of one story, checked against their text (app.services.stories)."""

    __tablename__ = "story_bands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger, index=True)
    # No foreign key: on a partitioned PostgreSQL `articles` there is no unique id to point at;
    # the article service deletes an article's bands with it.
    article_id: Mapped[int] = mapped_column(Integer, index=True)
