"""Stories: the near-duplicate copies of one text (a wire story carried by many papers, lightly
edited), grouped at import so that searches and counts can count each story once.

Every article gets a MinHash signature of its 5-word shingles (datasketch) when it is stored.
The signature is cut into LSH bands; an article sharing a band with an earlier one is a
candidate copy of it, and a candidate is a copy only if their texts pass the same test search
results fold by today (app.services.dedup.near_duplicates: Jaccard >= 0.7 or containment >=
0.9), so the two never disagree about a pair. The story id is the id of the story's first
(lowest id) article; an article matching nothing starts a story.

A story is a connected group of copies (a wire text joins two differently cut copies of it that
are not copies of each other), so it does not depend on the order articles came in: `rebuild`
(every story id recomputed from scratch) gives what importing gave.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVarTuple, cast

import numpy as np
from datasketch import MinHash
from sqlalchemy import ARRAY, Row, Select, Table, any_, bindparam, delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.archive import Archive
from app.models import Article, IndexOutbox, StoryBand
from app.services.index_sync import drain_outbox
from app.services.near_copies import SHINGLE_WORDS, near_duplicates, shingles
from app.services.pg_bulk import copy_rows

# 32 bands of 3 rows: a pair with Jaccard s becomes a candidate with probability
# 1 - (1 - s^3)^32: 0.99 at s = 0.5, 0.93 at 0.43 (a 0.9-contained copy half the other's
# length), 3e-5 at 0.01 (unrelated texts), so few candidates are read and checked.
# Measured recall on real copies: bench/stories.py, docs/search.md.
BANDS = 32
ROWS = 3
NUM_PERM = BANDS * ROWS
_SEED = 1  # fixed: signatures must be the same in every process and every run
_WORD = re.compile(r"\w+")
_Columns = TypeVarTuple("_Columns")
_IN_CHUNK = 900  # values per IN (...) list, under every database's parameter limit
REBUILD_BATCH = 1000
# Candidates compared per candidate story: copies of one story are alike, so when the few
# sharing the most bands are not copies of the new text, the rest are not either.
TRIES_PER_STORY = 5
# Copies of one story counted per band when ranking candidates (its lowest ids): a wire text
# re-sent thousands of times would otherwise make every import of it quadratic in its copies.
SAMPLE_PER_STORY = 16


def _shingle_bytes(text: str) -> list[bytes]:
    """The 5-word runs app.services.dedup compares, as bytes (a text under 5 words: one run)."""
    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE_WORDS:
        return [" ".join(words).encode()] if words else []
    return [
        " ".join(words[k : k + SHINGLE_WORDS]).encode()
        for k in range(len(words) - SHINGLE_WORDS + 1)
    ]


@functools.cache
def _empty_minhash() -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=_SEED)


def signature(text: str) -> bytes:
    """The text's MinHash signature (NUM_PERM uint32 values, little-endian)."""
    # A copy shares the permutations drawn once: drawing them per article (a seeded random
    # generator, NUM_PERM pairs) was a seventh of the signature's time (cProfile).
    minhash = _empty_minhash().copy()
    runs = _shingle_bytes(text)
    if runs:
        minhash.update_batch(runs)
    return np.asarray(minhash.hashvalues, "<u4").tobytes()


def band_keys(sig: bytes) -> list[int]:
    """One signed 64-bit key per band (band number mixed in: equal rows in different bands are
    no evidence)."""
    width = 4 * ROWS
    keys = []
    for band in range(BANDS):
        rows = sig[band * width : (band + 1) * width]
        digest = hashlib.blake2b(rows, digest_size=8, person=band.to_bytes(16, "little")).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _where_in(
    session: Session,
    query: Select[*_Columns],
    column: InstrumentedAttribute[int],
    values: list[int],
) -> Iterator[Row[*_Columns]]:
    """The rows of `query` whose `column` is one of `values`: on PostgreSQL one statement with
    the values as an array (32,000 band keys a batch of 1,000: IN lists of _IN_CHUNK values
    took 36 statements, each rendered and parsed anew), elsewhere an IN list per chunk."""
    if not values:
        return
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam("values", values, type_=ARRAY(column.type))
        yield from session.execute(query.where(column == any_(array)))
        return
    for chunk in _chunks(values):
        yield from session.execute(query.where(column.in_(chunk)))


@dataclass
class _Known:
    """What the assignment needs of an earlier article: its story and (lazily) its shingles."""

    story: int
    body: str | None = None
    runs: frozenset[int] | None = None

    def shingled(self) -> frozenset[int]:
        if self.runs is None:
            self.runs = shingles(self.body or "")
        return self.runs


@dataclass
class Assigned:
    """What `assign` decided: story ids of the articles given, and the ids of stored articles
    whose story id changed because their story merged into an older one (to re-index)."""

    stories: dict[int, int]
    moved: list[int]


@dataclass
class Plan:
    """Story ids decided for new articles before anything is written: their signatures and
    band keys, and the older stories they join into one (old story id -> the one it joins)."""

    stories: dict[int, int]
    signatures: dict[int, bytes]
    keys: dict[int, list[int]]
    merged: dict[int, int]


def assign(session: Session, articles: Sequence[tuple[int, str]]) -> Assigned:
    """Give these stored articles (id, body) signatures, band keys and story ids, in id order.
    A story is a connected group: an article that is a copy of articles in two stories joins
    them into the older one (a wire text and two differently cut copies of it). Runs in the
    caller's transaction."""
    decided = plan(session, articles)
    return Assigned(decided.stories, write(session, decided, rows=True))


def plan(session: Session, articles: Sequence[tuple[int, str]]) -> Plan:
    """Decide the story ids of articles (id, body) with their ids given, reading only: the
    articles need not be stored yet (the bulk import writes their story ids with the rows)."""
    todo = sorted(articles)
    sigs = {i: signature(body) for i, body in todo}
    keys = {i: band_keys(sig) for i, sig in sigs.items()}
    bodies = dict(todo)
    stored_bands: dict[int, list[int]] = defaultdict(list)
    wanted = sorted({k for ks in keys.values() for k in ks})
    for key, article_id in _where_in(
        session, select(StoryBand.key, StoryBand.article_id), StoryBand.key, wanted
    ):
        if article_id not in bodies:
            stored_bands[key].append(article_id)
    known: dict[int, _Known] = {}
    stored = sorted({a for ids in stored_bands.values() for a in ids})
    for article_id, story in _where_in(
        session, select(Article.id, Article.story_id), Article.id, stored
    ):
        known[article_id] = _Known(story=story if story is not None else article_id)
    # Band key -> story -> its articles with that key, in id order.
    buckets: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for key, ids in stored_bands.items():
        for c in sorted(ids):
            if c in known:
                buckets[key][known[c].story].append(c)

    def shingled(candidate: int) -> frozenset[int]:
        # Texts are read only for the candidates actually compared (a story with thousands
        # of copies has thousands of candidates, of which one or two are read).
        entry = known[candidate]
        if entry.body is None and entry.runs is None:
            entry.body = session.scalar(select(Article.body).where(Article.id == candidate))
        return entry.shingled()

    merged: dict[int, int] = {}  # a story joined into an older one -> that one

    def resolve(story: int) -> int:
        while story in merged:
            story = merged[story]
        return story

    for article_id, body in todo:
        shared: dict[int, int] = defaultdict(int)  # candidate -> bands shared
        for key in keys[article_id]:
            for copies in buckets[key].values() if key in buckets else ():
                for c in copies[:SAMPLE_PER_STORY]:
                    shared[c] += 1
        mine = _Known(story=article_id, body=body)
        found: set[int] = set()
        tried: dict[int, int] = defaultdict(int)
        # Most bands shared first; one match decides a story, so its other copies are skipped,
        # and after TRIES_PER_STORY misses in a story the rest of it is too.
        for c in sorted(shared, key=lambda c: (-shared[c], c)):
            story = resolve(known[c].story)
            if story in found or tried[story] >= TRIES_PER_STORY:
                continue
            tried[story] += 1
            if near_duplicates(mine.shingled(), shingled(c)):
                found.add(story)
        mine.story = min(found | {article_id})
        for story in found - {mine.story}:
            merged[story] = mine.story
        known[article_id] = mine
        for key in keys[article_id]:
            buckets[key][mine.story].append(article_id)
    return Plan(
        stories={i: resolve(known[i].story) for i, _ in todo},
        signatures=sigs,
        keys=keys,
        merged={old: resolve(old) for old in merged},
    )


def write(session: Session, decided: Plan, *, rows: bool) -> list[int]:
    """Store a plan: the older articles of merged stories moved, the new articles' band keys
    and, with `rows`, their story ids and signatures (without: the rows were stored with
    them). Returns the older articles whose story id changed (to re-index)."""
    new = sorted(decided.stories)
    moved: list[int] = []
    for old, into in sorted(decided.merged.items()):
        ids = [
            i
            for i in session.scalars(select(Article.id).where(Article.story_id == old))
            if i not in decided.stories
        ]
        if ids:
            session.execute(
                update(Article)
                .where(Article.story_id == old, Article.id.not_in(new))
                .values(story_id=into, updated_at=Article.updated_at)
                .execution_options(synchronize_session=False)
            )
            moved += ids
    if rows and new:
        table = cast(Table, Article.__table__)
        session.execute(
            table.update()
            .where(table.c.id == bindparam("aid"))
            .values(
                story_id=bindparam("sid"),
                story_signature=bindparam("sig"),
                updated_at=table.c.updated_at,  # a story id is derived, not an edit
            ),
            [{"aid": i, "sid": decided.stories[i], "sig": decided.signatures[i]} for i in new],
        )
    bands = [(k, i) for i in new for k in decided.keys[i]]
    if bands and session.get_bind().dialect.name == "postgresql":
        copy_rows(session, "story_bands", ("key", "article_id"), bands)
    elif bands:
        session.execute(
            cast(Table, StoryBand.__table__).insert(),
            [{"key": k, "article_id": i} for k, i in bands],
        )
    return sorted(moved)


def release(session: Session, article_id: int) -> list[int]:
    """Take an article out of its story before it is deleted or its text changes: its bands go,
    and if it headed a story, the next copy (lowest id) heads it (its copies stay together, even
    if they were joined only through it: `rebuild` would split them). Returns the ids whose story id
    changed (their index entries need updating)."""
    session.execute(delete(StoryBand).where(StoryBand.article_id == article_id))
    followers = list(
        session.scalars(
            select(Article.id)
            .where(Article.story_id == article_id, Article.id != article_id)
            .order_by(Article.id)
        )
    )
    if followers:
        session.execute(
            update(Article)
            .where(Article.story_id == article_id, Article.id != article_id)
            .values(story_id=followers[0], updated_at=Article.updated_at)
            .execution_options(synchronize_session=False)
        )
    return followers


def rebuild_in_session(
    session: Session, *, progress: Callable[[int], None] | None = None
) -> list[int]:
    """Recompute every story id from scratch, in id order (what importing in id order gives),
    in the caller's transaction. Returns the ids whose story id changed."""
    before = {i: s for i, s in session.execute(select(Article.id, Article.story_id))}
    session.execute(delete(StoryBand))
    changed: list[int] = []
    last = 0
    while True:
        batch = session.execute(
            select(Article.id, Article.body)
            .where(Article.id > last)
            .order_by(Article.id)
            .limit(REBUILD_BATCH)
        ).all()
        if not batch:
            break
        found = assign(session, [(i, b) for i, b in batch])
        # A merge can move articles of earlier batches: compared once all are done.
        changed += [i for i, story in found.stories.items() if before.get(i) != story]
        changed += found.moved
        last = batch[-1][0]
        if progress is not None:
            progress(len(batch))
    now = {i: s for i, s in session.execute(select(Article.id, Article.story_id))}
    return sorted(i for i in set(changed) if now.get(i) != before.get(i))


def members(session: Session, story_id: int) -> list[int]:
    """Ids of a story's articles, first copy first."""
    return list(
        session.scalars(select(Article.id).where(Article.story_id == story_id).order_by(Article.id))
    )


def sizes(session: Session, story_ids: Iterable[int]) -> dict[int, int]:
    """How many articles each of these stories has."""
    wanted = sorted(set(story_ids))
    out: dict[int, int] = {}
    for chunk in _chunks(wanted):
        stmt = (
            select(Article.story_id, func.count(Article.id))
            .where(Article.story_id.in_(chunk))
            .group_by(Article.story_id)
        )
        out.update({int(s): int(n) for s, n in session.execute(stmt) if s is not None})
    return out


def rebuild(archive: Archive, *, progress: Callable[[int], None] | None = None) -> int:
    """`newsarchive stories --rebuild`: every story id recomputed from scratch under the write
    lock; articles whose story id changed are re-indexed. Returns how many changed."""
    with archive.write_lock():
        with archive.sessions() as session:
            changed = rebuild_in_session(session, progress=progress)
            if not archive.search.transactional:
                session.add_all(IndexOutbox(article_id=i, op="upsert") for i in changed)
            session.commit()
        if changed:
            drain_outbox(archive)
    return len(changed)
