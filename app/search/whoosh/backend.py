"""The Whoosh search backend: the embedded default, an index folder next to the SQLite database.

Only this module (and its analyzers) imports Whoosh. Notes from measuring the forks
(docs/dependencies.md): `Searcher.refresh()` can return duplicate hits after merges, so stale
searchers are reopened instead; opening can race a commit replacing the TOC file, so opens retry;
filters are sets of document numbers passed as `filter=` (an `And` with a range miscounts
totals), computed from per-document values held in memory (app.search.whoosh.docvalues).
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import shutil
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from markupsafe import Markup
from whoosh import collectors
from whoosh import highlight as wh
from whoosh import index as windex
from whoosh import query as wq
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, IndexWriter

from app.search import query as q
from app.search.base import (
    DERIVED_TITLE_BOOST,
    RANKING,
    FacetField,
    IndexDamaged,
    IndexDoc,
    IndexHealth,
    Ranking,
    SearchFilters,
    SearchHits,
    SearchRequest,
    SearchUnavailable,
    StoryField,
)
from app.search.query import QuerySyntaxError
from app.search.snippets import widen
from app.search.whoosh.analysis import (
    LanguagesMarkFilter,
    MarkMatchesFilter,
    exact_analyzer,
    stem_analyzer,
)
from app.search.whoosh.buffers import install as read_segments_in_place
from app.search.whoosh.bulkwriter import BulkSegmentWriter
from app.search.whoosh.docvalues import DocValues, DocValuesCache
from app.search.whoosh.fastindex import FastMpWriter
from app.search.whoosh.fastindex import install as analyse_in_one_pass
from app.search.whoosh.folding import fold_dated, fold_scored
from app.search.whoosh.integrity import Verifier, generation_files, record
from app.search.whoosh.languages import (
    CJK,
    FAMILIES,
    family,
    has_cjk,
    language_analyzer,
    stem_function,
)
from app.search.whoosh.merge_process import merge_in_child
from app.search.whoosh.merging import bounded_merge, merge_due, merge_segments
from app.search.whoosh.postings import IntArray, PostingCache
from app.search.whoosh.scoring import Scored, score_matches
from app.search.whoosh.segments import install as read_segments_without_mmap
from app.search.whoosh.story_counts import count_stories
from app.search.whoosh.wordquery import Forms, words_query

log = logging.getLogger(__name__)

# Bump when the schema or analyzers change: an index with another name is rebuilt by `reindex`.
INDEX_NAME = "articles_v3"  # v2: language_key (the `lang=` filter); v3: fields per language
SNIPPET_CHARS = 240
# Searchers open at once. Each maps the index files anew, so each one in use adds about the
# index's size to the process's RSS (measured: ~110 MB per request in flight at 19k articles);
# searching is pure Python under the GIL, so more at once would not answer faster either.
POOL_SIZE = 3
# Batches at least this big are analysed and written by worker processes (Whoosh's MpWriter),
# one new segment each: starting the workers costs a few tenths of a second, which smaller
# batches would not win back.
PARALLEL_MIN_DOCS = 500


class NewsBM25F(BM25F):
    """Whoosh's per-field BM25 with `Ranking`'s idf, k1 and b: what Whoosh's own collector
    scores with (the top-k path of related articles, and a lone NOT). Every other search is
    scored by app.search.whoosh.scoring, with one saturation per word."""

    def __init__(self, ranking: Ranking) -> None:
        super().__init__(
            B=ranking.b_body, K1=ranking.k1, title_B=ranking.b_title, title_exact_B=ranking.b_title
        )
        self.ranking = ranking

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        return self.ranking.idf(parent.doc_count_all(), parent.doc_frequency(fieldname, text))


def make_schema() -> Schema:
    stem = stem_analyzer()
    exact = exact_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        hash=STORED(),
        title=TEXT(analyzer=stem, phrase=True),
        title_exact=TEXT(analyzer=exact, phrase=False),
        body=TEXT(analyzer=stem, phrase=True),
        body_exact=TEXT(analyzer=exact, phrase=False),
        source=TEXT(analyzer=exact, phrase=True),
        people=TEXT(analyzer=exact, phrase=True),
        source_key=ID(),
        person_key=KEYWORD(commas=True, lowercase=True),
        language_key=ID(),
        date=NUMERIC(int, bits=32, sortable=True, signed=False),
        # The story id (app.services.stories), a column read per segment (docvalues.py) to
        # fold copies; 0 for an article without one.
        story=NUMERIC(int, bits=32, sortable=True, signed=False),
        # Stemmed text of articles in other languages, a pair of fields per language family
        # (app.search.whoosh.languages); English and unknown-language articles use title/body.
        **{
            f"{name}_{fam}": TEXT(analyzer=language_analyzer(fam), phrase=True)
            for fam in FAMILIES
            for name in ("title", "body")
        },
    )


def date_key(day: Any) -> int:
    return int(day.year * 10000 + day.month * 100 + day.day)


def source_key(source: str | None) -> str:
    return " ".join((source or "").split()).casefold()


class WhooshBackend:
    """SearchBackend over a Whoosh index folder."""

    name = "whoosh"
    transactional = False

    def __init__(
        self,
        path: Path,
        *,
        writer_timeout: float = 120.0,
        cache_size: int = 64,
        processes: int = 1,
        ranking: Ranking = RANKING,
    ) -> None:
        read_segments_in_place()  # patches whoosh3 once per process (idempotent)
        read_segments_without_mmap()
        analyse_in_one_pass()
        self.path = Path(path)
        self.writer_timeout = writer_timeout
        self.processes = max(1, processes)
        # Searches read it at search time (bench.relevance_tune swaps it between runs).
        self.ranking = ranking
        self.schema = make_schema()
        self._stem = stem_analyzer()
        self._exact = exact_analyzer()
        self._forms = Forms()
        self._families: tuple[str, ...] = ("",)  # the language families of the last search
        self._ix: Any = None
        self._pool: list[Searcher] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(POOL_SIZE)
        self._values = DocValuesCache(cache_size)
        self._postings = PostingCache()
        self._verifier = Verifier(self.path)
        # Set when damage was found; every search verifies again until the files are sound.
        self._damage: str | None = None
        self._held: str | None = None
        self._names: list[str] = []  # the files of the generation verified last
        self._story_field: bool | None = None  # whether the index has the `story` field

    # -- opening -----------------------------------------------------------------------------
    def _index(self) -> Any:
        if self._ix is None:
            with self._lock:
                if self._ix is None:
                    self._ix = self._open_or_create()
        return self._ix

    def _open_or_create(self) -> Any:
        self.path.mkdir(parents=True, exist_ok=True)
        # Look for a TOC file rather than calling exists_in(), which opens (and can crash on) it.
        if not any(self.path.glob(f"_{INDEX_NAME}_*.toc")):
            ix = windex.create_in(str(self.path), self.schema, indexname=INDEX_NAME)
            self._record(ix)
            return ix
        error: Exception | None = None
        try:
            return _retry(lambda: windex.open_dir(str(self.path), indexname=INDEX_NAME))
        except Exception as exc:
            error = exc  # kept alive: its traceback holds the file Whoosh left open (below)
        failure = f"{error.__class__.__name__}: {error}"
        # Whoosh leaves the TOC file open when a damaged one fails to load: let it be closed
        # here, quietly, instead of surfacing as a ResourceWarning at some later point. Only on
        # this rare path: catch_warnings swaps process-wide filters, which races other threads.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            error = None
            gc.collect()
        raise SearchUnavailable(
            f"the search index at {self.path} cannot be read ({failure}); "
            "run `newsarchive reindex` to rebuild it from the database"
        )

    # -- integrity (app.search.whoosh.integrity) ---------------------------------------------
    def _record(self, ix: Any) -> None:
        """Checksum the files of the generation just committed (called under the write lock)."""
        try:
            record(self.path, generation_files(ix.storage, INDEX_NAME))
        except OSError as exc:  # the commit stands; its files are simply not verified
            log.warning("could not record the index checksums: %s", exc)

    def _verify(self, *, thorough: bool = False) -> None:
        """Raise IndexDamaged unless the latest generation's files are as committed."""
        ix = self._index()
        problems: list[str] = []
        for attempt in range(3):
            try:
                names = generation_files(ix.storage, INDEX_NAME)
                self._names = names
                problems = self._verifier.problems(names, thorough=thorough)
            except FileNotFoundError:
                problems = ["the table of contents is missing"]
            except Exception as exc:
                problems = [f"the table of contents cannot be read ({exc.__class__.__name__})"]
            # A commit may have replaced the generation while we looked: look again.
            if not problems or attempt == 2:
                break
            time.sleep(0.05)
        if problems:
            self._damage = "; ".join(problems[:3]) + (" …" if len(problems) > 3 else "")
            raise IndexDamaged(_damaged_message(self._damage))
        self._damage = None

    @contextmanager
    def _searcher(self) -> Iterator[Searcher]:
        with self._slots, self._pooled_searcher() as searcher:
            yield searcher

    @contextmanager
    def _pooled_searcher(self) -> Iterator[Searcher]:
        if self._held:
            raise SearchUnavailable(self._held)
        ix = self._index()
        searcher = None
        with self._lock:
            while self._pool and searcher is None:
                candidate = self._pool.pop()
                if _retry(candidate.up_to_date):
                    searcher = candidate
                else:
                    candidate.close()
        if searcher is not None and self._verifier.problems(self._names):
            # A file changed under us since it was verified (its size or modification time:
            # one stat per file): look again from the latest generation.
            self._damage = "changed"
        if searcher is None or self._damage:
            if searcher is not None:
                searcher.close()
                searcher = None
            self._verify()  # files verified once per process (new segments after a commit)
            try:
                searcher = _retry(lambda: ix.searcher(weighting=NewsBM25F(self.ranking)))
            except Exception as exc:
                raise SearchUnavailable(
                    f"the search index cannot be read ({exc}); run `newsarchive reindex`"
                ) from exc
        keep = True
        try:
            yield searcher
        except (QuerySyntaxError, TypeError):  # the request's fault (a bad query or cursor)
            raise
        except SearchUnavailable:
            keep = False
            raise
        except Exception:
            # A decoding error from inside Whoosh (zlib, pickle, struct) is damage when the
            # files no longer match their checksums; anything else is a bug, raised as is.
            keep = False
            self._verify(thorough=True)
            raise
        finally:
            with self._lock:
                if keep and len(self._pool) < POOL_SIZE:
                    self._pool.append(searcher)
                    searcher = None
            if searcher is not None:
                searcher.close()

    @contextmanager
    def _writer(self) -> Iterator[IndexWriter]:
        writer = BulkSegmentWriter(self._index(), timeout=self.writer_timeout, delay=0.05)
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        else:
            writer.commit(mergetype=bounded_merge)  # never a long merge under the lock
            self._record(self._index())

    # -- writing -----------------------------------------------------------------------------
    @property
    def _has_story(self) -> bool:
        # An index made before story ids has no `story` field until it is rebuilt (`reindex`).
        if self._story_field is None:
            self._story_field = "story" in self._index().schema
        return self._story_field

    def _fields(self, doc: IndexDoc) -> dict[str, Any]:
        people = [p for p in doc.people if p]
        # The stemmed fields of the article's language family ("": title and body, as always).
        fam = family(doc.language)
        title, body = ("title", "body") if not fam else (f"title_{fam}", f"body_{fam}")
        return {
            "id": str(doc.id),
            "hash": doc.content_hash,
            title: doc.title,
            "title_exact": doc.title,
            body: doc.body,
            "body_exact": doc.body,
            "source": doc.source or "",
            "people": "\n".join(people),
            "source_key": source_key(doc.source),
            "person_key": ",".join(" ".join(p.split()) for p in people),
            "date": date_key(doc.published),
            "language_key": doc.language or "",
            # Index-time field boosts: a derived title still matches `title:` searches but
            # scores like a few body words, not like a headline.
            f"_{title}_boost": DERIVED_TITLE_BOOST if doc.title_derived else 1.0,
            "_title_exact_boost": DERIVED_TITLE_BOOST if doc.title_derived else 1.0,
        } | ({"story": doc.story_id or 0} if self._has_story else {})

    def upsert(self, docs: list[IndexDoc]) -> None:
        if not docs:
            return
        if self.processes > 1 and len(docs) >= PARALLEL_MIN_DOCS:
            self._upsert_parallel(docs)
            return
        with self._writer() as writer:
            for doc in docs:
                writer.update_document(**self._fields(doc))

    def _upsert_parallel(self, docs: list[IndexDoc]) -> None:
        # Analysis is most of the cost of indexing and pure Python: worker processes share it.
        # forkserver, not fork: forking a threaded process (the web server) is unsafe, and
        # Python 3.12+ warns about it. multisegment: the workers' segments are kept as they are
        # instead of being merged again in this process; `merge_segments` folds them into
        # bigger segments later, outside the write lock (app.search.whoosh.merging).
        writer = FastMpWriter(
            self._index(),
            procs=self.processes,
            multisegment=True,
            start_method="forkserver",
            batchsize=max(50, len(docs) // (4 * self.processes)),
            timeout=self.writer_timeout,
            delay=0.05,
        )
        try:
            for doc in docs:
                writer.update_document(**self._fields(doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=bounded_merge)
        self._record(self._index())
        # MpWriter drops a worker's documents without a word if the worker dies; the outbox
        # entry is cleared after this returns, so check, and index what is missing here.
        with self._searcher() as s:
            missing = [d for d in docs if s.document_number(id=str(d.id)) is None]
        if missing:
            log.warning(
                "parallel indexing lost %d of %d documents; indexing them again",
                len(missing),
                len(docs),
            )
            with self._writer() as serial:
                for doc in missing:
                    serial.update_document(**self._fields(doc))

    def delete(self, ids: list[int]) -> None:
        if not ids:
            return
        with self._writer() as writer:
            for doc_id in ids:
                writer.delete_by_term("id", str(doc_id))

    def merge_segments(
        self, stop: threading.Event | None = None, *, separate_process: bool = False
    ) -> int:
        """Merge segments in the background, outside the write lock (a commit takes it only
        to swap a merged segment in); segments merged away. With `separate_process` (the
        server's), the merge runs in a child process, started only when one is due."""
        if self._held:
            return 0
        if separate_process:
            if not merge_due(self._index()):
                return 0
            return merge_in_child(self.path, timeout=self.writer_timeout, stop=stop)
        return merge_segments(
            self._index(),
            self.path,
            timeout=self.writer_timeout,
            after_commit=lambda: self._record(self._index()),
            stop=stop,
        )

    def _index_or_new(self) -> Any:
        """The index, or a new empty one when the folder cannot be read or its files are
        damaged (before a rebuild): a damaged segment must not be read by the new commit."""
        try:
            self._verify(thorough=True)
            return self._index()
        except SearchUnavailable:
            self.close()
            shutil.rmtree(self.path, ignore_errors=True)
            self._damage = None
            return self._index()

    def clear(self) -> None:
        ix = self._index_or_new()
        writer = ix.writer(timeout=self.writer_timeout, delay=0.05)
        writer.commit(mergetype=CLEAR)
        self._record(ix)

    def rebuild(self, batches: Iterator[list[IndexDoc]]) -> int:
        """Replace the whole index in one commit: searches see the old index until it is done."""
        ix = self._index_or_new()
        writer = ix.writer(timeout=self.writer_timeout, delay=0.05, limitmb=256)
        if "story" not in writer.schema:
            writer.add_field("story", self.schema["story"])
            self._story_field = True
        count = 0
        try:
            for batch in batches:
                for doc in batch:
                    writer.add_document(**self._fields(doc))
                    count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=CLEAR)
        self._record(ix)
        return count

    # -- reading -----------------------------------------------------------------------------
    def doc_count(self) -> int:
        with self._searcher() as s:
            return int(s.doc_count())

    def versions(self) -> dict[int, str]:
        self._verify(thorough=True)  # `check` reads every file again
        with self._searcher() as s:
            return {int(f["id"]): f.get("hash", "") for f in s.reader().all_stored_fields()}

    def generation(self) -> str | None:
        # The newest TOC's number and its file's identity: every commit writes a new TOC, and a
        # folder rebuilt from scratch gets new files even if its numbers start over.
        try:
            gen = self._index().latest_generation()
            toc = os.stat(self.path / f"_{INDEX_NAME}_{gen}.toc")
        except (SearchUnavailable, OSError):
            return None
        return f"{gen}:{toc.st_ino}:{toc.st_mtime_ns}:{toc.st_size}"

    def health(self) -> IndexHealth:
        if self._held:
            return IndexHealth(self.name, False, None, self._held, "index_rebuilding")
        try:
            self._verify()
            return IndexHealth(self.name, True, self.doc_count(), str(self.path))
        except IndexDamaged as exc:
            return IndexHealth(self.name, False, None, str(exc), "index_damaged")
        except SearchUnavailable as exc:
            return IndexHealth(self.name, False, None, str(exc), "index_unreadable")

    def hold(self, reason: str | None) -> None:
        self._held = reason

    def snapshot(self, dest: Path) -> list[str]:
        """Copy the latest committed generation. Committed files never change, but a commit
        may delete some of them while they are copied (merged away): then start again from
        the newer generation. The copies are verified against the checksums recorded at
        commit; the manifest goes with them."""
        ix = self._index()
        for attempt in range(10):
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir(parents=True)
            try:
                names = generation_files(ix.storage, INDEX_NAME)
                for name in names:
                    shutil.copy2(self.path / name, dest / name)
                manifest = self.path / "checksums.json"
                if manifest.exists():
                    shutil.copy2(manifest, dest / manifest.name)
            except FileNotFoundError:
                time.sleep(0.05 * (attempt + 1))
                continue
            problems = Verifier(dest).problems(names, thorough=True)
            if problems:
                raise IndexDamaged(_damaged_message("; ".join(problems[:3])))
            record(dest, names)  # the manifest of exactly these files
            return names
        raise SearchUnavailable("the index changed too often to be copied; try again")

    def search(self, request: SearchRequest) -> SearchHits:
        sort = request.sort
        if request.query is None and sort == "relevance":
            sort = "newest"
        with self._searcher() as s:
            values = self._values.for_searcher(s)
            wquery = self._query(request.query, values, request.filters)
            # The same page asked again (the API after the page, back and forward, a facet
            # removed) is answered from memory until the next write.
            key = (
                "hits",
                repr(wquery),
                request.filters,
                sort,
                request.offset,
                request.limit,
                request.after,
                self.ranking,
                request.fold_stories,
            )
            cached = values.cached(key)
            if cached is not None and (cached.exact or not request.exact_total):
                hits = cast(_CachedHits, cached).hits
                copies = None if hits.copies is None else list(hits.copies)
                return SearchHits(list(hits.ids), list(hits.scores), hits.total, copies)
            hits, exact = self._search(s, values, wquery, request, sort)
            values.remember(key, _CachedHits(hits, exact))
        return hits

    def _search(
        self, s: Searcher, values: DocValues, wquery: Any, request: SearchRequest, sort: str
    ) -> tuple[SearchHits, bool]:
        wanted = request.offset + request.limit
        allowed = _allowed(values, request.filters)
        if allowed is not None and not len(allowed):
            # whoosh3 treats an empty filter like no filter at all: never pass one.
            return SearchHits(ids=[], scores=[], total=0), True
        if request.fold_stories:
            return self._folded(s, values, wquery, request, sort, allowed), True
        if sort != "relevance":
            # Date order from the in-memory dates: one pass over the matches, no scoring.
            matches = _matches(s, values, wquery, allowed, request.filters, self._postings)
            ids = _date_page(s, values, matches, request, newest=sort == "newest")
            return SearchHits(ids=ids, scores=[None] * len(ids), total=len(matches)), True
        # replace=0 everywhere: whoosh3's matcher replacement (on by default) skips documents
        # that do belong in the top k, so small pages came back with wrong results and counts
        # (19 of 60 random queries on a 600-document index; tests/search/test_search_contract.py).
        match_key = _match_key(wquery, request.filters)
        if request.exact_total or request.after is not None:
            # Every match scored: the exact total, the match set for the page's facets and
            # timeline, and the page in (score, article id) order, the one order a cursor
            # (`after`) continues, whichever way the scores were computed. The term-at-a-time
            # scorer takes nearly every query; Whoosh scores the rest (a lone NOT).
            scored = score_matches(
                s, wquery, values.field_norms, self.ranking, self._postings, values.average_length
            )
            if scored is None:
                hits = sorted((hit.docnum, hit.score) for hit in s.search(wquery, limit=None))
                scored = Scored(
                    np.array([d for d, _ in hits], np.int64),
                    np.array([score for _, score in hits], np.float64),
                )
            return _page_of(s, values, scored, allowed, request, match_key), True
        # Only the top results (related articles): block-quality skipping, with the total a
        # lower bound. replace=0: whoosh3's matcher replacement (on by default) skips documents
        # that do belong in the top k (tests/search/test_search_contract.py).
        allow = None if allowed is None else set(allowed.tolist())
        results = _run(s, wquery, collectors.TopCollector(limit=wanted, replace=0), allow)
        page = results[request.offset : request.offset + request.limit]
        ids = [int(hit["id"]) for hit in page]
        scores: list[float | None] = [float(hit.score) if hit.score else None for hit in page]
        return SearchHits(ids=ids, scores=scores, total=results.scored_length()), False

    def _folded(
        self,
        s: Searcher,
        values: DocValues,
        wquery: Any,
        request: SearchRequest,
        sort: str,
        allowed: IntArray | None,
    ) -> SearchHits:
        """One result per story across every match: stories are picked over the whole match
        set first, then paged (offset, cursor) like plain results."""
        keys = values.story_keys()
        reader = s.reader()

        def article_id(docnum: int) -> int:
            return int(reader.stored_fields(docnum)["id"])

        if sort != "relevance":
            matches = _matches(s, values, wquery, allowed, request.filters, self._postings)
            chosen, copies = fold_dated(
                matches, values.date_array(), keys, article_id, newest=sort == "newest"
            )
            ids = _date_page(s, values, chosen, request, newest=sort == "newest")
            hits = SearchHits(ids=ids, scores=[None] * len(ids), total=len(chosen))
        else:
            scored = score_matches(
                s, wquery, values.field_norms, self.ranking, self._postings, values.average_length
            )
            if scored is None:
                found = sorted((hit.docnum, hit.score) for hit in s.search(wquery, limit=None))
                scored = Scored(
                    np.array([d for d, _ in found], np.int64),
                    np.array([score for _, score in found], np.float64),
                )
            if allowed is not None:
                keep = np.isin(scored.docs, allowed, assume_unique=True)
                scored = Scored(scored.docs[keep], scored.scores[keep])
            folded, copies = fold_scored(scored, keys, article_id)
            # The folded set is remembered under its own key: the plain match set (facets,
            # timeline) is another.
            hits = _page_of(
                s, values, folded, None, request, ("folded", repr(wquery), request.filters)
            )
        docnums = [s.document_number(id=str(i)) for i in hits.ids]
        hits.copies = [copies.get(int(d), 0) if d is not None else 0 for d in docnums]
        return hits

    def facet_counts(
        self, query: q.Node | None, filters: SearchFilters, *, fields: tuple[FacetField, ...]
    ) -> dict[FacetField, dict[str, int]]:
        if not fields:
            return {}
        with self._searcher() as s:
            values = self._values.for_searcher(s)
            wquery = self._query(query, values, filters)
            allowed = _allowed(values, filters)
            if allowed is not None and not len(allowed):
                return {field: {} for field in fields}
            matches = _matches(s, values, wquery, allowed, filters, self._postings)
            out: dict[FacetField, dict[str, int]] = {}
            # One count serves both: "" is the matches without a source.
            sources = values.count_sources(matches) if {"source", "no_source"} & set(fields) else {}
            for field in fields:
                if field == "source":
                    out[field] = {k: n for k, n in sources.items() if k}
                elif field == "no_source":
                    out[field] = {"": sources.get("", 0)}
                elif field == "author":
                    out[field] = dict(values.count_people(matches))
                elif field == "language":
                    out[field] = dict(values.count_languages(matches))
                elif field == "no_author":
                    out[field] = {"": values.count_unattributed(matches)}
                else:
                    out[field] = {
                        f"{k // 10000:04d}-{k // 100 % 100:02d}-{k % 100:02d}": n
                        for k, n in values.count_days(matches).items()
                    }
        return out

    def story_counts(
        self, query: q.Node | None, filters: SearchFilters, *, fields: tuple[StoryField, ...]
    ) -> dict[StoryField, dict[str, int]]:
        if not fields:
            return {}
        wquery = self._translate(query) if query is not None else wq.Every()
        with self._searcher() as s:
            values = self._values.for_searcher(s)
            allowed = _allowed(values, filters)
            if allowed is not None and not len(allowed):
                return {field: {} for field in fields}
            matches = _matches(s, values, wquery, allowed, filters, self._postings)
            return count_stories(values, matches, fields)

    def doc_frequencies(self, words: list[str]) -> dict[str, int]:
        with self._searcher() as s:
            out = {}
            reader = s.reader()
            families = self._values.for_searcher(s).families()
            for word in words:
                # Each article is in one family's fields: the counts add up. Deleted documents
                # still count until a merge: close enough for weighting.
                count = 0
                for fam in families:
                    stems = self._forms.stems(fam, word)
                    field = f"body_{fam}" if fam else "body"
                    if len(stems) > 1 and fam == CJK:  # the bigrams of one word: its rarest
                        count += min(int(reader.doc_frequency(field, t)) for t in stems)
                    elif stems:
                        count += int(reader.doc_frequency(field, stems[0]))
                out[word] = count
        return out

    # -- query translation -------------------------------------------------------------------
    def _tokens(self, analyzer: Any, text: str) -> list[str]:
        return [t.text for t in analyzer(text)]

    def _query(self, node: q.Node | None, values: DocValues, filters: SearchFilters) -> Any:
        """The Whoosh query for `node`, its words analysed for the language families present
        in the index, or for the `lang=` languages' families."""
        if node is None:
            return wq.Every()
        # Highlighting, which follows a search, marks the words of every family present.
        self._families = values.families()
        families = values.families(filters.languages or None)
        return self._translate(node, families)

    def _translate(self, node: q.Node, families: tuple[str, ...] = ("",)) -> Any:
        translated = self._node(node, families)
        if translated is None:
            raise QuerySyntaxError("the query has no searchable words")
        return translated

    def _node(self, node: q.Node, families: tuple[str, ...]) -> Any:
        if isinstance(node, q.Term | q.Phrase):
            return self._words(node, families)
        if isinstance(node, q.Prefix):
            return self._prefix(node)
        if isinstance(node, q.Not):
            child = self._node(node.child, families)
            return None if child is None else wq.Not(child)
        children = [c for c in (self._node(c, families) for c in node.children) if c is not None]
        if not children:
            return None
        if isinstance(node, q.Or):
            return children[0] if len(children) == 1 else wq.Or(children)
        if all(isinstance(c, wq.Not) for c in children):
            children.insert(0, wq.Every())
        return children[0] if len(children) == 1 else wq.And(children)

    def _words(self, node: q.Term | q.Phrase, families: tuple[str, ...]) -> Any:
        if node.field in ("source", "author"):
            exact = self._tokens(self._exact, node.text)
            if not exact:
                return None
            field = "source" if node.field == "source" else "people"
            return wq.Term(field, exact[0]) if len(exact) == 1 else wq.Phrase(field, exact)
        return words_query(
            self._forms,
            node.text,
            body=node.field in (None, "body"),
            title=node.field in (None, "title"),
            families=families,
            ranking=self.ranking,
        )

    def _prefix(self, node: q.Prefix) -> Any:
        exact = self._tokens(self._exact, node.text)
        if not exact:
            return None
        fields = {
            None: [("body_exact", 1.0), ("title_exact", self.ranking.title_weight)],
            "title": [("title_exact", 1.0)],
            "body": [("body_exact", 1.0)],
            "source": [("source", 1.0)],
            "author": [("people", 1.0)],
        }[node.field]
        per_field = []
        for field, boost in fields:
            head = [wq.Term(field, word) for word in exact[:-1]]
            last = wq.Prefix(field, exact[-1], boost=boost)
            per_field.append(wq.And([*head, last]) if head else last)
        return per_field[0] if len(per_field) == 1 else wq.Or(per_field)

    # -- highlighting ------------------------------------------------------------------------
    def _marker(self, query: q.Node | None) -> MarkMatchesFilter | None:
        """What highlighting marks for `query`: exact forms, stems and prefixes of its words."""
        exact: set[str] = set()
        stems: set[str] = set()
        prefixes: list[str] = []
        others: dict[str, set[str]] = {}
        inside: set[str] = set()
        for leaf in q.positive_leaves(query):
            if leaf.field not in (None, "body", "title"):
                continue
            words = self._tokens(self._exact, leaf.text)
            if isinstance(leaf, q.Prefix):
                exact.update(words[:-1])
                prefixes.extend(words[-1:])
            else:
                exact.update(words)
                stems.update(self._tokens(self._stem, leaf.text))
                for fam in self._families:  # the archive's other languages, if any
                    if fam == CJK:
                        inside.update(w for w in words if has_cjk(w))
                    elif fam:
                        others.setdefault(fam, set()).update(self._forms.stems(fam, leaf.text))
        if not (exact or stems or prefixes):
            return None
        if not (others or inside):
            return MarkMatchesFilter(frozenset(exact), frozenset(stems), tuple(prefixes))
        return LanguagesMarkFilter(
            frozenset(exact),
            frozenset(stems),
            tuple(prefixes),
            tuple((stem_function(fam), frozenset(found)) for fam, found in others.items()),
            tuple(sorted(inside)),
        )

    def locate(self, query: q.Node | None, text: str) -> int | None:
        marker = self._marker(query)
        return marker.locate(text) if marker else None

    def highlight(self, query: q.Node | None, text: str, *, whole: bool = False) -> Markup | None:
        marker = self._marker(query)
        if marker is None:
            return None
        analyzer = exact_analyzer() | marker
        fragmenter: Any = (
            wh.WholeFragmenter(charlimit=10_000_000)
            if whole
            else wh.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=70, charlimit=200_000)
        )
        formatter = _MarkFormatter(snippet=not whole)
        out = wh.highlight(text, {MarkMatchesFilter.MARK}, analyzer, fragmenter, formatter, top=2)
        # The formatter escapes every piece of the source text; only <mark> is ours.
        return Markup(out) if out else None

    def close(self) -> None:
        with self._lock:
            for searcher in self._pool:
                searcher.close()
            self._pool.clear()
            self._ix = None
        self._values.clear()
        self._postings.clear()


class _MarkFormatter(wh.Formatter):
    """HTML-escapes the text and wraps matches in <mark>, nothing else. Snippet fragments (not
    `whole` texts) are widened to sentence or word boundaries, with "…" where text goes on."""

    between = " … "

    def __init__(self, *, snippet: bool = False) -> None:
        self.snippet = snippet

    def _text(self, text: str) -> str:
        return str(Markup.escape(text))

    def format(self, fragments: Any, replace: bool = False) -> str:
        if not self.snippet:
            return super().format(fragments, replace)
        # In text order; fragments that meet once widened become one.
        kept: list[tuple[Any, bool, bool]] = []
        for fragment in sorted(fragments, key=lambda f: f.startchar):
            start, end, before, after = widen(fragment.text, fragment.startchar, fragment.endchar)
            fragment.startchar, fragment.endchar = start, end
            if kept and start <= kept[-1][0].endchar:
                last, first_cut, _ = kept[-1]
                last.matches = [*last.matches, *fragment.matches]
                last.endchar = max(last.endchar, end)
                kept[-1] = (last, first_cut, after)
            else:
                kept.append((fragment, before, after))
        if not kept:
            return ""
        parts = [self.format_fragment(f, replace=replace) for f, _, _ in kept]
        lead = "… " if kept[0][1] else ""
        tail = " …" if kept[-1][2] else ""
        return lead + self.between.join(parts) + tail

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{Markup.escape(wh.get_text(text, token, replace))}</mark>"


def _page_of(
    s: Searcher,
    values: DocValues,
    scored: Scored,
    allowed: IntArray | None,
    request: SearchRequest,
    match_key: Any,
) -> SearchHits:
    """One page of a whole scored match set in (score, article id) order, after
    `request.after` (a score and an article id) when given; the match set is remembered for
    the page's count, facets and timeline. Article ids are read for the page and for the
    matches that share its last score (equal scores are rare: copies of one text)."""
    docs, scores = scored.docs, scored.scores
    if allowed is not None:
        keep = np.isin(docs, allowed, assume_unique=True)
        docs, scores = docs[keep], scores[keep]
    values.remember(match_key, docs.astype(np.uint32))
    total = len(docs)
    reader = s.reader()

    def article_id(docnum: int) -> int:
        return int(reader.stored_fields(docnum)["id"])

    if request.after is not None:
        top_score, last = request.after
        if not isinstance(top_score, float):
            raise TypeError("a relevance-ordered page continues after a score")
        # Every write moves every score a little (idf depends on the article count), so the
        # page continues after where that article ranks now; its old score only if it is gone.
        current = s.document_number(id=str(last))
        if current is not None:
            at = int(np.searchsorted(docs, current))
            if at < total and docs[at] == current:
                top_score = float(scores[at])
        keep = scores < top_score
        for at in np.flatnonzero(scores == top_score).tolist():
            keep[at] = article_id(int(docs[at])) > last
        docs, scores = docs[keep], scores[keep]
    wanted = request.offset + request.limit
    if not len(docs) or wanted <= 0:
        return SearchHits(ids=[], scores=[], total=total)
    # The score of the wanted-th best: every match above it is on the page, and the matches
    # that share it compete by article id for the remaining places.
    edge = scores.min() if wanted >= len(scores) else -np.partition(-scores, wanted - 1)[wanted - 1]
    chosen = np.flatnonzero(scores >= edge)
    keyed = sorted(
        (-score, article_id(d))
        for d, score in zip(docs[chosen].tolist(), scores[chosen].tolist(), strict=True)
    )[:wanted]
    page = keyed[request.offset :]
    ids = [i for _, i in page]
    page_scores: list[float | None] = [float(-negated) if negated else None for negated, _ in page]
    return SearchHits(ids=ids, scores=page_scores, total=total)


def _date_page(
    s: Searcher, values: DocValues, matches: IntArray, request: SearchRequest, *, newest: bool
) -> list[int]:
    """Article ids of one page of `matches` in (date, article id) order, the API's keyset order
    (`request.after`): ranked by date in memory, and article ids read only for the page and
    for the matches that share the page's last day."""
    reader = s.reader()
    dates = values.date_array()

    def article_id(docnum: int) -> int:
        return int(reader.stored_fields(docnum)["id"])

    candidates = matches  # ascending document numbers
    if request.after is not None:
        if not isinstance(request.after[0], dt.date):
            raise TypeError("a date-ordered page continues after a date")
        day, last = date_key(request.after[0]), request.after[1]
        days = dates[candidates]
        keep = days < day if newest else days > day
        for at in np.flatnonzero(days == day).tolist():
            found = article_id(int(candidates[at]))
            keep[at] = found < last if newest else found > last
        candidates = candidates[keep]
    wanted = request.offset + request.limit
    top = values.by_date(candidates, wanted, newest=newest)  # (date, document number) order
    if not top:
        return []
    # Every match of the page's last day competes, by id, for that day's places on the page.
    edge = int(dates[top[-1]])
    inner = [d for d in top if dates[d] != edge]
    day_docs = np.asarray(values.in_dates(edge, edge), np.int64)
    on_edge = day_docs[np.isin(day_docs, candidates)].tolist()
    keyed = sorted(((int(dates[d]), article_id(d)) for d in inner + on_edge), reverse=newest)
    return [i for _, i in keyed[:wanted]][request.offset :]


def _run(s: Searcher, wquery: Any, collector: Any, allowed: set[int] | None) -> Any:
    wrapped = collector if allowed is None else collectors.FilterCollector(collector, allow=allowed)
    s.search_with_collector(wquery, wrapped)
    return wrapped.results()


def _match_key(wquery: Any, f: SearchFilters) -> tuple[str, str, SearchFilters]:
    return ("matches", repr(wquery), f)


@dataclass(frozen=True)
class _CachedHits:
    hits: SearchHits
    exact: bool  # False when the total is only a lower bound


def _allowed(values: DocValues, f: SearchFilters) -> IntArray | None:
    """The documents the filters let through, ascending (None when there are no filters), from
    the in-memory values rather than Whoosh range and term queries; cached per index version."""
    if not (f.date_from or f.date_to or f.sources or f.authors or f.languages):
        return None
    key = ("filter", f)
    cached = values.cached(key)
    if cached is not None:
        return cast(IntArray, cached)
    parts: list[Any] = []
    if f.date_from or f.date_to:
        low = date_key(f.date_from) if f.date_from else None
        high = date_key(f.date_to) if f.date_to else None
        parts.append(values.in_dates(low, high))
    if f.sources:
        parts.append(values.with_source({source_key(s) for s in f.sources}))
    if f.authors:
        parts.append(values.with_person({" ".join(a.split()).lower() for a in f.authors}))
    if f.languages:
        parts.append(values.with_language({lang.lower() for lang in f.languages}))
    allowed = np.unique(np.asarray(parts[0], np.uint32))
    for part in parts[1:]:
        allowed = np.intersect1d(allowed, np.asarray(part, np.uint32))
    values.remember(key, allowed)
    return allowed


def _matches(
    searcher: Searcher,
    values: DocValues,
    wquery: Any,
    allowed: IntArray | None,
    f: SearchFilters,
    cache: PostingCache,
) -> IntArray:
    """Every matching document number, ascending and filtered (from the array scorer where the
    query allows: faster than Whoosh's unscored walk); cached per index version so the exact
    total, the facets and the timeline of one results page walk the matches once."""
    key = _match_key(wquery, f)
    cached = values.cached(key)
    if cached is not None:
        return cast(IntArray, cached)
    scored = score_matches(  # scores unused
        searcher, wquery, values.field_norms, RANKING, cache, values.average_length
    )
    if scored is not None:
        docs = scored.docs.astype(np.uint32)
    else:
        docs = np.asarray(sorted(searcher.docs_for_query(wquery)), np.uint32)
    if allowed is not None:
        docs = docs[np.isin(docs, allowed, assume_unique=True)]
    values.remember(key, docs)
    return cast(IntArray, docs)


def _damaged_message(detail: str) -> str:
    return (
        f"the search index is damaged ({detail}); "
        "`newsarchive check --repair` rebuilds it from the database"
    )


def _retry(fn: Any, attempts: int = 5) -> Any:
    """Whoosh can race a concurrent commit replacing its TOC file; a retry succeeds."""
    for attempt in range(attempts):
        try:
            return fn()
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    return None
