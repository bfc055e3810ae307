"""The PostgreSQL search backend: full-text search inside the database itself.

The searchable text lives in generated `tsvector` columns of the `articles` row (migration
b7c1e2f0a9d3), so the "index" is written in the same transaction as the row: database and index
cannot disagree, and upsert/delete/clear have nothing to do. Queries in the project's language
become SQL conditions, one `@@` per term, combined with AND / OR / NOT in SQL; that keeps field
terms (`title:`, `source:`, `author:`) exact. Ranking is the Whoosh backend's BM25 over the
matches (app.search.postgres_rank, with statistics kept by triggers, migration e3a91c5d7b20);
snippets come from `ts_headline`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, cast

from markupsafe import Markup
from sqlalchemy import (
    Select,
    and_,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import ColumnElement, column

from app.models import Article, ArticlePerson
from app.search import postgres_fold as folding
from app.search import postgres_lang as languages
from app.search import postgres_rank as ranking
from app.search import query as q
from app.search.base import (
    FacetField,
    IndexDoc,
    IndexHealth,
    SearchFilters,
    SearchHits,
    SearchRequest,
    StoryField,
)
from app.search.postgres_counts import count_values
from app.search.query import QuerySyntaxError

# Constants, never user input: the configurations created by the migration.
STEMMED: ColumnElement[Any] = literal_column("'na_english'::regconfig")
SIMPLE: ColumnElement[Any] = literal_column("'na_simple'::regconfig")
BODY_WEIGHT: ColumnElement[Any] = literal_column("'{d}'::\"char\"[]")
# Sentinels for ts_headline: the text is HTML-escaped after PostgreSQL marks the matches.
_START, _STOP = "\x02", "\x03"
_SNIPPET_OPTIONS = (
    f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=40, MinWords=20, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)
_WHOLE_OPTIONS = f'StartSel="{_START}", StopSel="{_STOP}", HighlightAll=true'
_WORD = re.compile(r"\w+")
_ACRONYM = re.compile(r"\b([^\W\d_])\.([^\W\d_])\.(?:([^\W\d_])\.)?")

search_vector: ColumnElement[Any] = column("search_vector")
title_vector: ColumnElement[Any] = column("title_vector")


def _normalize(text: str) -> str:
    """The same acronym folding as na_normalize() in the database ("U.S." -> "US")."""
    return _ACRONYM.sub(lambda m: "".join(g for g in m.groups() if g), text)


def _prefix_words(text: str) -> list[str]:
    """A prefix query's words, lower-cased: all but the last must occur as they are."""
    return [w.lower() for w in _WORD.findall(_normalize(text))]


def _after(ranked: ranking.Ranked, after: tuple[Any, int] | None) -> int:
    """Where a keyset page starts in `ranked`: after the cursor's article where it ranks now
    (every write moves every score a little), after its old score if it is gone."""
    if after is None:
        return 0
    top, last = after
    if not isinstance(top, float):
        raise TypeError("a relevance-ordered page continues after a score")
    edge = top
    for score, article_id in zip(ranked.scores, ranked.ids, strict=True):
        if article_id == last:
            edge = score
            break
    for index, (score, article_id) in enumerate(zip(ranked.scores, ranked.ids, strict=True)):
        if score < edge or (score == edge and article_id > last):
            return index
    return len(ranked.ids)


def _tsquery(config: ColumnElement[Any], text: str) -> ColumnElement[Any]:
    # phraseto_tsquery keeps word order for phrases and hyphenated words and is a plain AND-free
    # lexeme for one word; the text is a bound parameter, never spliced into SQL.
    return func.phraseto_tsquery(config, _normalize(text))


def _stemmed(langs: tuple[str, ...], text: str) -> ColumnElement[Any]:
    """A text leaf as a tsquery over the stemmed vectors: one phrase per analysis, OR-ed."""
    return languages.tsquery(langs, _normalize(text))


class PostgresBackend:
    """SearchBackend over PostgreSQL full-text search."""

    name = "postgres"
    transactional = True

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError(
                "the postgres search backend needs a PostgreSQL database "
                "(NEWSARCHIVE_DATABASE_URL=postgresql+psycopg://...)"
            )
        self.engine = engine
        # The RUM distance operator, schema-qualified, once looked up ("" when there is none).
        self._rum_operator: str | None = None

    # -- writing: nothing to do, the row carries its own index ------------------------------
    def upsert(self, docs: list[IndexDoc]) -> None:
        return None

    def delete(self, ids: list[int]) -> None:
        return None

    def clear(self) -> None:
        return None

    def rebuild(self, batches: Iterator[list[IndexDoc]]) -> int:
        # The rows are the index: the batches need not even be read.
        return self.doc_count()

    # -- reading -----------------------------------------------------------------------------
    @contextmanager
    def _searching(self) -> Iterator[Connection]:
        """A connection for search statements, with sequential scans priced out.

        The planner costs `@@` like any operator, but on a TOASTed tsvector each evaluation
        reads and decompresses a few kilobytes: for a word in a third of the articles it picks a
        sequential scan that reads every vector (EXPLAIN ANALYZE at 100k: 1,830 ms) over the GIN
        bitmap scan that reads none for a count (152 ms cold). SET LOCAL ends with the
        connection's transaction, so nothing else on the connection is affected."""
        with self.engine.connect() as conn:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            yield conn

    def doc_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count(Article.id))) or 0)

    def versions(self) -> dict[int, str]:
        with self.engine.connect() as conn:
            return {
                int(i): str(h) for i, h in conn.execute(select(Article.id, Article.content_hash))
            }

    def generation(self) -> str | None:
        return None  # the index is the rows themselves: nothing to trust instead of comparing

    def health(self) -> IndexHealth:
        try:
            with self.engine.connect() as conn:
                count = int(conn.scalar(select(func.count(Article.id))) or 0)
                version = conn.scalar(select(func.current_setting("server_version")))
            return IndexHealth(self.name, True, count, f"PostgreSQL {version}")
        except Exception as exc:  # the database itself is down: report, don't raise
            return IndexHealth(
                self.name, False, None, f"{exc.__class__.__name__}: {exc}", "database_unreachable"
            )

    def snapshot(self, dest: Path) -> list[str]:
        return []  # the index is part of the rows: pg_dump backs it up with them

    def hold(self, reason: str | None) -> None:
        """Nothing to hold: the index is part of the rows, so it never disagrees with them."""

    def merge_segments(
        self, stop: threading.Event | None = None, *, separate_process: bool = False
    ) -> int:
        return 0  # PostgreSQL maintains its indexes itself (autovacuum)

    def _languages(self, filters: SearchFilters) -> tuple[str, ...]:
        """The analyses a query is built with (app.search.postgres_lang)."""
        if filters.languages:
            return languages.analyses(filters.languages)
        with self.engine.connect() as conn:
            return languages.query_languages(conn, ())

    def search(self, request: SearchRequest) -> SearchHits:
        langs = self._languages(request.filters) if request.query is not None else ()
        condition = self._condition(request.query, langs) if request.query is not None else true()
        where = and_(condition, *self._filters(request.filters))
        sort = request.sort
        if request.query is None and sort == "relevance":
            sort = "newest"
        if sort == "relevance" and request.query is not None:
            return self._ranked(request, request.query, where, langs)
        if request.fold_stories:
            with self._searching() as conn:
                return folding.dated(conn, where, request, newest=sort == "newest")
        stmt: Select[Any] = select(Article.id).where(where)
        if sort == "newest":
            stmt = stmt.order_by(Article.published.desc(), Article.id.desc())
        else:
            stmt = stmt.order_by(Article.published.asc(), Article.id.asc())
        if request.after is not None:
            if sort == "relevance":
                raise TypeError("a relevance-ordered page continues after a score")
            key = tuple_(Article.published, Article.id)
            stmt = stmt.where(key < request.after if sort == "newest" else key > request.after)
        stmt = stmt.offset(request.offset).limit(request.limit)
        with self._searching() as conn:
            if request.exact_total:
                total = self._count(conn, where)
                rows = conn.execute(stmt).all() if total > request.offset else []
            else:
                rows = conn.execute(stmt).all()
                total = request.offset + len(rows)
        ids = [int(r[0]) for r in rows]
        return SearchHits(ids=ids, scores=[None] * len(ids), total=total)

    def _rum(self, conn: Connection) -> str | None:
        """`OPERATOR(schema.<=>)` when the RUM index of migration b5a997eac358 exists (looked up
        once per backend: a RUM index made later is used after a restart)."""
        if self._rum_operator is None:
            schema = conn.scalar(
                text(
                    "SELECT n.nspname FROM pg_extension e "
                    "JOIN pg_namespace n ON n.oid = e.extnamespace "
                    "WHERE e.extname = 'rum' "
                    "AND to_regclass('ix_articles_rum_search_vector') IS NOT NULL"
                )
            )
            valid = schema is not None and re.fullmatch(r"[a-z_][a-z0-9_]*", schema)
            self._rum_operator = f"OPERATOR({schema}.<=>)" if valid else ""
        return self._rum_operator or None

    def _count(self, conn: Connection, where: ColumnElement[bool]) -> int:
        return int(conn.scalar(select(func.count(Article.id)).where(where)) or 0)

    def _ranked(
        self, request: SearchRequest, query: q.Node, where: Any, langs: tuple[str, ...]
    ) -> SearchHits:
        """Relevance order: BM25 over the matches (app.search.postgres_rank), then the page."""
        page_end = request.offset + request.limit
        with self._searching() as conn:
            total = self._count(conn, where) if request.exact_total else None
            stories = 0
            if request.fold_stories:
                # Every match ranked, so each story's best copy is known; then paged.
                folding.without_jit(conn)
                total = self._count(conn, where)
                stories = folding.count_stories(conn, where)
                if stories <= request.offset and request.after is None:
                    return SearchHits(ids=[], scores=[], total=stories, copies=[])
            elif total is not None and total <= request.offset and request.after is None:
                return SearchHits(ids=[], scores=[], total=total)
            the_plan = ranking.plan(
                conn,
                query,
                normalize=_normalize,
                tsquery=partial(self._leaf_tsquery, langs=langs),
                prefix_words=_prefix_words,
                condition=partial(self._node, langs=langs),
                languages=langs,
            )
            need = max(page_end, total or 0) if request.fold_stories else page_end
            while True:
                ranked = ranking.rank(
                    conn,
                    query,
                    the_plan,
                    where,
                    need=need,
                    total=total,
                    rum_operator=self._rum(conn),
                )
                copies: dict[int, int] | None = None
                if request.fold_stories:
                    ranked, copies = folding.fold_ranked(conn, ranked)
                start = _after(ranked, request.after)
                if request.fold_stories or ranked.complete or start + page_end <= len(ranked.ids):
                    break
                # The cursor is deep in the order: score more candidates.
                need = max(need, len(ranked.ids)) * 4
        ids = ranked.ids[start + request.offset : start + page_end]
        scores: list[float | None] = list(ranked.scores[start + request.offset : start + page_end])
        if copies is not None:
            return SearchHits(ids, scores, stories, [copies[i] for i in ids])
        if total is None:
            total = request.offset + len(ids)
        return SearchHits(ids=ids, scores=scores, total=total)

    def facet_counts(
        self, query: q.Node | None, filters: SearchFilters, *, fields: tuple[FacetField, ...]
    ) -> dict[FacetField, dict[str, int]]:
        if not fields:
            return {}
        langs = self._languages(filters) if query is not None else ()
        condition = self._condition(query, langs) if query is not None else true()
        where = and_(condition, *self._filters(filters))
        with self._searching() as conn:
            counts = count_values(conn, where, fields, stories=False)
        return cast(dict[FacetField, dict[str, int]], counts)

    def story_counts(
        self, query: q.Node | None, filters: SearchFilters, *, fields: tuple[StoryField, ...]
    ) -> dict[StoryField, dict[str, int]]:
        if not fields:
            return {}
        langs = self._languages(filters) if query is not None else ()
        condition = self._condition(query, langs) if query is not None else true()
        with self._searching() as conn:
            return count_values(
                conn, and_(condition, *self._filters(filters)), fields, stories=True
            )

    def doc_frequencies(self, words: list[str]) -> dict[str, int]:
        out = {word: 0 for word in words}
        wanted = [w for w in dict.fromkeys(words) if _WORD.search(w)]
        if not wanted:
            return out
        # One round trip: an index-backed count per word (the words are bound, never spliced).
        stmt = text(
            "SELECT w, (SELECT count(*) FROM articles a WHERE a.search_vector @@ "
            "phraseto_tsquery('na_english'::regconfig, na_word.n)) "
            "FROM unnest(CAST(:words AS text[]), CAST(:normal AS text[])) AS na_word(w, n)"
        )
        params = {"words": wanted, "normal": [_normalize(w) for w in wanted]}
        with self._searching() as conn:
            for word, count in conn.execute(stmt, params):
                out[str(word)] = int(count or 0)
        return out

    # -- translation -------------------------------------------------------------------------
    def _filters(self, f: SearchFilters) -> list[ColumnElement[bool]]:
        parts: list[ColumnElement[bool]] = []
        if f.date_from:
            parts.append(Article.published >= f.date_from)
        if f.date_to:
            parts.append(Article.published <= f.date_to)
        if f.sources:
            keys = [" ".join(s.split()).casefold() for s in f.sources]
            parts.append(func.lower(Article.source).in_(keys))
        if f.languages:
            parts.append(Article.language.in_([lang.lower() for lang in f.languages]))
        if f.authors:
            names = [" ".join(a.split()).casefold() for a in f.authors]
            parts.append(
                exists().where(
                    ArticlePerson.article_id == Article.id,
                    func.lower(ArticlePerson.name).in_(names),
                )
            )
        return parts

    def _condition(self, node: q.Node, langs: tuple[str, ...]) -> ColumnElement[bool]:
        translated = self._node(node, langs=langs)
        if translated is None:
            raise QuerySyntaxError("the query has no searchable words")
        return translated

    def _node(self, node: q.Node, *, langs: tuple[str, ...]) -> ColumnElement[bool] | None:
        if isinstance(node, q.Term | q.Phrase):
            return self._words(node, langs)
        if isinstance(node, q.Prefix):
            return self._prefix(node)
        if isinstance(node, q.Not):
            child = self._node(node.child, langs=langs)
            return None if child is None else not_(child)
        found = (self._node(c, langs=langs) for c in node.children)
        children = [c for c in found if c is not None]
        if not children:
            return None
        return or_(*children) if isinstance(node, q.Or) else and_(*children)

    def _match(self, field: str | None, tsquery: ColumnElement[Any]) -> ColumnElement[bool]:
        if field is None:
            return search_vector.op("@@")(tsquery)
        if field == "title":
            return title_vector.op("@@")(tsquery)
        if field == "body":
            return func.ts_filter(search_vector, BODY_WEIGHT).op("@@")(tsquery)
        raise AssertionError(field)

    def _meta(self, field: str, tsquery: ColumnElement[Any]) -> ColumnElement[bool]:
        if field == "source":
            return func.to_tsvector(SIMPLE, func.coalesce(Article.source, "")).op("@@")(tsquery)
        return exists().where(
            ArticlePerson.article_id == Article.id,
            func.to_tsvector(SIMPLE, ArticlePerson.name).op("@@")(tsquery),
        )

    def _words(self, node: q.Term | q.Phrase, langs: tuple[str, ...]) -> ColumnElement[bool] | None:
        if not _WORD.search(node.text):
            return None
        if node.field in ("source", "author"):
            return self._meta(node.field, _tsquery(SIMPLE, node.text))
        return self._match(node.field, _stemmed(langs, node.text))

    def _prefix_query(self, text: str) -> ColumnElement[Any] | None:
        words = _prefix_words(text)
        if not words:
            return None
        # Only word characters reach the tsquery string, so it cannot be malformed.
        expression = " & ".join([*words[:-1], f"{words[-1]}:*"])
        return func.to_tsquery(SIMPLE, expression)

    def _prefix(self, node: q.Prefix) -> ColumnElement[bool] | None:
        tsquery = self._prefix_query(node.text)
        if tsquery is None:
            return None
        if node.field in ("source", "author"):
            return self._meta(node.field, tsquery)
        return self._match(node.field, tsquery)

    def _leaf_tsquery(
        self, leaf: q.Term | q.Phrase | q.Prefix, *, langs: tuple[str, ...]
    ) -> ColumnElement[Any] | None:
        """What a text leaf matches, as a tsquery over the stemmed vectors."""
        if not _WORD.search(leaf.text):
            return None
        if isinstance(leaf, q.Prefix):
            return self._prefix_query(leaf.text)
        return _stemmed(langs, leaf.text)

    def _rank_query(self, node: q.Node | None) -> ColumnElement[Any] | None:
        """All positive text terms ORed together: what snippets look for."""
        parts = self._rank_parts(node)
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = combined.op("||")(part)
        return combined

    def _rank_parts(self, node: q.Node | None) -> list[ColumnElement[Any]]:
        """One tsquery per positive text term of the query."""
        parts: list[ColumnElement[Any]] = []
        for leaf in q.positive_leaves(node):
            if leaf.field not in (None, "title", "body") or not _WORD.search(leaf.text):
                continue
            if isinstance(leaf, q.Prefix):
                prefix = self._prefix_query(leaf.text)
                if prefix is not None:
                    parts.append(prefix)
            else:
                parts.append(_tsquery(STEMMED, leaf.text))
        return parts

    # -- highlighting ------------------------------------------------------------------------
    def locate(self, query: q.Node | None, text: str) -> int | None:
        # PostgreSQL's stems are only known to the server, so this is a guess: a word's first
        # five letters, which its stemmed forms nearly always share. 0 when nothing is seen (the
        # caller then highlights the whole text), never None: a miss here is not proof.
        words = {
            word[:5]
            for leaf in q.positive_leaves(query)
            if leaf.field in (None, "body", "title")
            for word in re.findall(r"\w+", leaf.text.lower())
        }
        if not words:
            return None
        alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        found = re.search(rf"\b(?:{alternatives})", text, re.IGNORECASE)
        return found.start() if found else 0

    def highlight(self, query: q.Node | None, text: str, *, whole: bool = False) -> Markup | None:
        tsquery = self._rank_query(query)
        if tsquery is None or not text:
            return None
        options = _WHOLE_OPTIONS if whole else _SNIPPET_OPTIONS
        # Escape first: ts_headline drops anything that parses as an HTML tag, so "<script>" in
        # an article would vanish instead of showing as text. Entities pass through untouched, so
        # its output is our escaped text plus the sentinels.
        escaped = str(Markup.escape(text.replace(_START, "").replace(_STOP, "")))
        headline = func.ts_headline(STEMMED, literal(escaped), tsquery, literal(options))
        with self.engine.connect() as conn:
            marked = conn.scalar(select(headline))
        if not marked or _START not in marked:
            return None
        return Markup(marked.replace(_START, "<mark>").replace(_STOP, "</mark>"))

    def close(self) -> None:
        return None
