"""Index-time analysis without a Token object per word: one regular-expression pass per text,
and one cached function from a raw word to its indexed term.

Whoosh analyses a text field by running every word through a chain of generators (tokenizer,
fold, possessive, stem), each touching a shared Token object: that chain was a quarter of
`newsarchive import`'s time on Reuters (cProfile, docs/performance.md). For a field whose
analyzer is exactly one of ours (`exact_analyzer()`, or it followed by PossessiveFilter and a
StemFilter with any stem function), `install()` makes TEXT.index produce the same postings
(terms, frequencies, weights, encoded positions) directly; any other analyzer (an index made
before NewsFoldFilter, a changed chain) keeps Whoosh's own path.
tests/search/test_whoosh_fastindex.py compares the two on real text.
Imported by the Whoosh backend only.

A stemmer swap stays one line in analysis.stem_analyzer(): the stemming (language or function)
is read from the analyzer's StemFilter, and each gets its own cache of raw word -> term. The
per-language fields (languages.py) take this path the same way: their StemFilter holds a
SnowballStem, equal per language, so each language has one word cache. The CJK bigram fields
keep Whoosh's own path.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from whoosh import fields, multiproc
from whoosh.analysis import RegexTokenizer, StemFilter
from whoosh.analysis.analyzers import CompositeAnalyzer
from whoosh.formats import Frequency, Positions
from whoosh.lang import stemmer_for_language
from whoosh.system import pack_uint

from app.processes import exit_with_parent
from app.search.whoosh.analysis import (
    _TOKEN,
    TOKEN_PATTERN,
    NewsFoldFilter,
    PossessiveFilter,
    fold_word,
    strip_possessive,
)
from app.search.whoosh.bulkwriter import BulkSegmentWriter

Posting = tuple[bytes, int, float, bytes]
Plan = Callable[[str], list[Posting]]

# Raw words seen (case and accents as written) -> term: a news vocabulary is a few hundred
# thousand words, so each cache stays a few tens of MB at most.
WORD_CACHE = 400_000

_original_index = fields.TEXT.index
_plans: dict[int, tuple[Any, Plan | None]] = {}  # id(field) -> (field, plan): fields are unhashable
# A StemFilter's language (it overrides the function) or its stem function; None: no stemming.
StemKey = tuple[str, Any] | None
_terms: dict[StemKey, Callable[[str], str]] = {}  # -> cached raw word -> term


def term_function(key: StemKey) -> Callable[[str], str]:
    """raw word -> indexed term: folded (exact), or folded, possessive stripped and stemmed."""
    known = _terms.get(key)
    if known is not None:
        return known
    if key is None:
        made: Callable[[str], str] = functools.lru_cache(maxsize=WORD_CACHE)(fold_word)
    else:
        kind, how = key
        stem = stemmer_for_language(how) if kind == "lang" else how

        def stemmed(word: str) -> str:
            return str(stem(strip_possessive(fold_word(word))))

        made = functools.lru_cache(maxsize=WORD_CACHE)(stemmed)
    _terms[key] = made
    return made


def _stem_of(analyzer: Any) -> tuple[bool, StemKey]:
    """(recognised, which stemming) for one of our analyzer chains."""
    if type(analyzer) is not CompositeAnalyzer:
        return False, None
    items = analyzer.items
    if not (
        len(items) in (2, 4)
        and type(items[0]) is RegexTokenizer
        and items[0].expression.pattern == TOKEN_PATTERN
        and not items[0].gaps
        and type(items[1]) is NewsFoldFilter
    ):
        return False, None
    if len(items) == 2:
        return True, None
    stemmer = items[3]
    if type(items[2]) is PossessiveFilter and type(stemmer) is StemFilter and not stemmer.ignore:
        # StemFilter.clear(): a language, when given, overrides the stem function.
        return True, ("lang", stemmer.lang) if stemmer.lang else ("fn", stemmer.stemfn)
    return False, None


def plan_for(field: Any) -> Plan | None:
    """The fast path for a TEXT field, or None when Whoosh's own analysis must run."""
    known = _plans.get(id(field))
    if known is not None and known[0] is field:
        return known[1]
    plan: Plan | None = None
    recognised, stemming = _stem_of(field.analyzer)
    fmt = field.format
    if recognised and type(fmt) in (Positions, Frequency):
        plan = _make_plan(term_function(stemming), positions=type(fmt) is Positions, fmt=fmt)
    if len(_plans) > 1024:  # a schema is loaded per writer and searcher: forget old ones
        _plans.clear()
    _plans[id(field)] = (field, plan)
    return plan


def _make_plan(term: Callable[[str], str], *, positions: bool, fmt: Any) -> Plan:
    boost = fmt.field_boost
    encode = fmt.encode if positions else pack_uint  # Positions: delta-coded positions
    findall = _TOKEN.findall
    # Most terms occur once in a text: their encoded value depends on the position alone.
    once: dict[int, bytes] = {}

    def value(poses: list[int]) -> bytes:
        if not positions:
            return bytes(encode(len(poses)))
        if len(poses) == 1:
            found = once.get(poses[0])
            if found is None:
                found = once[poses[0]] = encode(poses) if poses[0] < 100_000 else b""
            return found or bytes(encode(poses))
        return bytes(encode(poses))

    def index(text: str) -> list[Posting]:
        where: dict[str, list[int]] = {}
        for pos, word in enumerate(map(term, findall(text))):
            seen = where.get(word)
            if seen is None:
                where[word] = [pos]
            else:
                seen.append(pos)
        return [
            (word.encode("utf-8"), len(poses), len(poses) * 1.0 * boost, value(poses))
            for word, poses in where.items()
        ]

    return index


def _index(self: Any, value: Any, **kwargs: Any) -> Any:
    if not kwargs and isinstance(value, str):
        plan = plan_for(self)
        if plan is not None:
            return iter(plan(value))
    return _original_index(self, value, **kwargs)


def install() -> None:
    """Route TEXT.index through the fast path where it applies (idempotent)."""
    fields.TEXT.index = _index  # type: ignore[method-assign]


def _run_subwriter(owner_pid: int, *args: Any) -> None:
    exit_with_parent(owner_pid)  # the process indexing: a `kill -9` of it ends this worker too
    install()  # a worker process starts from a fresh interpreter (forkserver)
    # The worker's SegmentWriter is looked up in multiproc's namespace: this process's only
    # writer, so it writes its postings in bulk too.
    multiproc.SegmentWriter = BulkSegmentWriter  # type: ignore[misc,assignment]
    multiproc._run_subwriter(*args)


class FastMpWriter(multiproc.MpWriter):
    """Whoosh's multi-process writer whose workers analyse with the fast path too."""

    def _new_task(self) -> Any:
        args = (
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        task = self._mpctx.Process(target=_run_subwriter, args=(os.getpid(), *args))
        self.tasks.append(task)
        task.start()
        return task
