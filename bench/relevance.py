"""Ranking quality of the project's search on classic test collections: MAP and nDCG@10.

    .venv/bin/python -m bench.relevance [--collections time,cisi,med] [--out FILE.json]

Steps, per collection:

1. Read the documents, queries and relevance judgements from `../shared/corpora` (TIME 1963 from
   `time1963/`, CISI and MEDLINE from `ir_classic/`). A missing collection is skipped with a
   printed reason; when none is present the script prints `skipped: ...` and exits 0.
2. Each document becomes one dated-text record (`date`, optional `title`, `source`, `author`
   header lines, a blank line, the text) parsed by the project's own reader
   (`parse_dated_text`) and stored with `add_articles` into a fresh archive (migrated SQLite +
   Whoosh index in a temporary folder). TIME has its issue date in each header; CISI and
   MEDLINE have none, so they get a fixed date (`FAKE_DATE`). TIME and MEDLINE have no marked
   title: the reader derives one from the lead, as it does for any untitled article.
3. Every query goes through `search_articles` (the service pages and the API use). Natural-
   language text is not a query in our language, and its implied AND would match almost nothing,
   so `to_query` lower-cases it (operators are upper-case only), keeps the distinct words, drops
   a short English stop list (`STOP_WORDS`, the kind of words a person would not type) and joins
   the rest with `OR`: a ranked "any of these words" search. Longer queries keep their first
   `MAX_TERMS` words (the query language allows 64 clauses).
4. The first `DEPTH` results are scored against the judgements: MAP (average precision over all
   judged-relevant documents present in the collection) and nDCG@10 (binary gains, log2
   discount), averaged over the queries that have judgements.

The corpora are research-only (see each SOURCE.txt): they are read in place and loaded into a
temporary folder that is deleted afterwards; nothing of them enters the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.archive import open_archive
from app.config import Settings
from app.ingest.dated_text import parse_dated_text
from app.migrate import upgrade
from app.services.articles import add_articles
from app.services.searching import SearchParams, search_articles
from bench.bm25_reference import SETTINGS, bm25s_rankings
from bench.reuters import write_json

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = REPO_ROOT.parent / "shared" / "corpora"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "relevance.json"
FAKE_DATE = dt.date(2000, 1, 1)
DEPTH = 1000
MAX_TERMS = 60
BATCH = 200
REPEAT = False

TARGETS = {"time": {"map": 0.62, "ndcg10": 0.68}}

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass
class Doc:
    key: str  # the collection's own id
    text: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: dt.date = FAKE_DATE


@dataclass
class Collection:
    name: str
    source: str
    docs: list[Doc]
    queries: dict[str, str]
    qrels: dict[str, set[str]]


# -- reading the collections -------------------------------------------------------------------


def _smart_records(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """SMART format: `.I n`, then `.T`/`.A`/`.W`/`.X`/`.B` sections until the next `.I`."""
    key = None
    fields: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith(".I"):
            if key is not None:
                yield key, {k: "\n".join(v).strip() for k, v in fields.items()}
            key, fields, current = line[2:].strip(), {}, None
        elif re.match(r"^\.[A-Z]\s*$", line):
            current = line[1]
            fields.setdefault(current, [])
        elif current is not None:
            fields[current].append(line)
    if key is not None:
        yield key, {k: "\n".join(v).strip() for k, v in fields.items()}


def read_adi(folder: Path) -> Collection:
    docs = [
        Doc(key=key, text=_one_paragraph(rec.get("W", "")), title=_one_paragraph(rec.get("T", "")))
        for key, rec in _smart_records(folder / "ADI.ALL")
    ]
    queries = {
        key: _one_paragraph(rec.get("W", "")) for key, rec in _smart_records(folder / "ADI.QRY")
    }
    qrels: dict[str, set[str]] = {}
    for line in (folder / "ADI.REL").read_text("latin-1").splitlines():
        parts = line.split()  # "<query> <doc> 0 0.000000"
        if len(parts) >= 2:
            qrels.setdefault(parts[0], set()).add(parts[1])
    return Collection("adi", "ADI", docs, queries, qrels)


def read_lisa(folder: Path) -> Collection:
    # Documents are spread over LISA0.001 ... LISA5.850 (in name order): "Document N", the
    # title up to the first blank line, the abstract, then a line of asterisks.
    docs = []
    for path in sorted(folder.glob("LISA[0-9].[0-9]*")):
        for chunk in re.split(r"^\*{10,}\s*$", path.read_text("latin-1"), flags=re.M):
            m = re.match(r"\s*Document\s+(\d+)\s*\n(.*?)(?:\n\s*\n(.*))?$", chunk, re.S)
            if m:
                title, text = _one_paragraph(m[2]), _one_paragraph(m[3] or "")
                docs.append(Doc(key=m[1], text=text or title, title=title or None))
    queries = {}
    for block in re.split(r"#\s*$", (folder / "LISA.QUE").read_text("latin-1"), flags=re.M):
        head, _, text = block.strip().partition("\n")
        if head.strip().isdigit():
            queries[head.strip()] = _one_paragraph(text)
    qrels = {}
    rel = (folder / "LISA.REL").read_text("latin-1")
    for m in re.finditer(r"Query\s+(\d+)\s*\n\s*\d+\s+Relevant Refs:\s*\n([\d\s-]*?)-1", rel):
        qrels[m[1]] = set(m[2].split())
    return Collection("lisa", "LISA", docs, queries, qrels)


def read_time(folder: Path) -> Collection:
    docs = []
    raw = (folder / "TIME.ALL").read_text(encoding="latin-1")
    for i, chunk in enumerate(re.split(r"^\*TEXT", raw, flags=re.MULTILINE)[1:], start=1):
        header, _, text = chunk.partition("\n")
        m = re.search(r"(\d{1,2})/(\d{1,2})[/ ]+(\d{2})", header)
        published = dt.date(1900 + int(m[3]), int(m[1]), int(m[2])) if m else FAKE_DATE
        docs.append(Doc(key=str(i), text=_one_paragraph(text), published=published))
    queries = {}
    for block in re.split(r"^\*FIND", (folder / "TIME.QUE").read_text("latin-1"), flags=re.M)[1:]:
        head, _, text = block.partition("\n")
        queries[head.strip()] = _one_paragraph(text.replace("*STOP", ""))
    qrels: dict[str, set[str]] = {}
    for line in (folder / "TIME.REL.ALL").read_text("latin-1").splitlines():
        parts = line.split()
        if len(parts) > 1:
            qrels[parts[0]] = set(parts[1:])
    return Collection("time", "TIME", docs, queries, qrels)


def read_cisi(folder: Path) -> Collection:
    docs = [
        Doc(
            key=key,
            text=_one_paragraph(rec.get("W", "")),
            title=_one_paragraph(rec.get("T", "")) or None,
            authors=[a.strip() for a in rec.get("A", "").splitlines() if a.strip()],
        )
        for key, rec in _smart_records(folder / "CISI.ALL")
    ]
    queries = {
        key: _one_paragraph(rec.get("W", "")) for key, rec in _smart_records(folder / "CISI.QRY")
    }
    qrels: dict[str, set[str]] = {}
    for line in (folder / "CISI.REL").read_text("latin-1").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            qrels.setdefault(parts[0], set()).add(parts[1])
    return Collection("cisi", "CISI", docs, queries, qrels)


def read_med(folder: Path) -> Collection:
    docs = [
        Doc(key=key, text=_one_paragraph(rec.get("W", "")))
        for key, rec in _smart_records(folder / "MED.ALL")
    ]
    queries = {
        key: _one_paragraph(rec.get("W", "")) for key, rec in _smart_records(folder / "MED.QRY")
    }
    qrels: dict[str, set[str]] = {}
    for line in (folder / "MED.REL").read_text("latin-1").splitlines():
        parts = line.split()  # "<query> 0 <doc> <relevance>"
        if len(parts) == 4 and parts[3] != "0":
            qrels.setdefault(parts[0], set()).add(parts[2])
    return Collection("med", "MEDLINE", docs, queries, qrels)


READERS = {
    "time": ("time1963", read_time),
    "cisi": ("ir_classic/cisi", read_cisi),
    "med": ("ir_classic/med", read_med),
    "lisa": ("ir_classic/lisa", read_lisa),
    "adi": ("ir_classic/adi", read_adi),
}


def _one_paragraph(text: str) -> str:
    # These collections wrap lines (TIME double-spaces them); a line is not a paragraph.
    return " ".join(text.split())


def to_dated_text(doc: Doc, source: str) -> str:
    header = [f"date {doc.published.isoformat()}", f"source {source}"]
    if doc.title:
        header.append(f"title {doc.title[:500]}")
    if doc.authors:
        # The header splits authors on commas; "Comaromi, J.P." is one name.
        header.append("author " + "; ".join(a.replace(",", "") for a in doc.authors))
    return "\n".join(header) + "\n\n" + doc.text + "\n"


def to_query(text: str) -> str | None:
    """Natural-language text as typed, as an OR of its distinct words, lower-cased (so no word
    is an operator). No stop list here: what a query's function words do is the product's
    business (app.search.stopwords)."""
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        if REPEAT or word not in words:
            words.append(word)
    return " OR ".join(words[:MAX_TERMS]) or None


# -- measures ----------------------------------------------------------------------------------


def average_precision(ranked: list[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for rank, key in enumerate(ranked, start=1):
        if key in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant) if relevant else 0.0


def ndcg_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, key in enumerate(ranked[:k]) if key in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


# -- running -----------------------------------------------------------------------------------


@dataclass
class Loaded:
    """One collection in a fresh archive: what `run_queries` needs."""

    coll: Collection
    archive: Any
    keys_of: dict[int, list[str]]  # one article can stand for several documents (same text)
    load_seconds: float

    @property
    def present(self) -> set[str]:
        return {k for keys in self.keys_of.values() for k in keys}


def load(coll: Collection, work: Path, postgres: str | None = None) -> Loaded:
    """Load one collection into a fresh archive (the caller closes `archive`). With `postgres`
    (a URL), the archive is that database, emptied first, searched by the PostgreSQL backend."""
    settings = Settings(data_dir=work / coll.name, database_url=None, index_dir=None)
    if postgres:
        from sqlalchemy import create_engine

        from app.migrate import reset_postgres_schema

        engine = create_engine(postgres)
        reset_postgres_schema(engine)
        engine.dispose()
        settings = settings.model_copy(
            update={"database_url": postgres, "search_backend": "postgres"}
        )
    settings.ensure_dirs()
    upgrade(settings.resolved_database_url())
    archive = open_archive(settings)
    started = time.perf_counter()
    keys_of: dict[int, list[str]] = {}
    for start in range(0, len(coll.docs), BATCH):
        batch = coll.docs[start : start + BATCH]
        items = [parse_dated_text(to_dated_text(d, coll.source)) for d in batch]
        for doc, outcome in zip(batch, add_articles(archive, items=items), strict=True):
            keys_of.setdefault(outcome.article.id, []).append(doc.key)
    return Loaded(coll, archive, keys_of, time.perf_counter() - started)


def judged_queries(coll: Collection) -> dict[str, str]:
    return {qid: text for qid, text in coll.queries.items() if coll.qrels.get(qid)}


def measure(coll: Collection, present: set[str]) -> Any:
    """(query id, ranked keys) -> average precision and nDCG@10 against the judgements."""

    def scores(qid: str, ranked: list[str]) -> dict[str, float]:
        relevant = coll.qrels[qid] & present
        return {"ap": average_precision(ranked, relevant), "ndcg10": ndcg_at(ranked, relevant)}

    return scores


def run_queries(loaded: Loaded) -> dict[str, dict[str, float]]:
    """Every judged query through `search_articles`, scored."""
    score = measure(loaded.coll, loaded.present)
    per_query = {}
    for qid, text in judged_queries(loaded.coll).items():
        q = to_query(text)
        ranked: list[str] = []
        if q:
            page = search_articles(
                loaded.archive, params=SearchParams(q=q, page_size=DEPTH), snippets=False
            )
            ranked = [k for item in page.items for k in loaded.keys_of[item.article.id]]
        per_query[qid] = score(qid, ranked)
    return per_query


def summary(per_query: dict[str, dict[str, float]]) -> dict[str, float | None]:
    n = len(per_query)
    return {
        "map": round(sum(v["ap"] for v in per_query.values()) / n, 4) if n else None,
        "ndcg10": round(sum(v["ndcg10"] for v in per_query.values()) / n, 4) if n else None,
    }


def reference(coll: Collection, present: set[str]) -> dict[str, Any]:
    """bm25s's figures on the same documents and queries (empty without bm25s)."""
    docs = [(d.key, f"{d.title or ''}\n{d.text}") for d in coll.docs]
    found = bm25s_rankings(docs, judged_queries(coll), depth=DEPTH, measure=measure(coll, present))
    return {name: summary(per_query) for name, per_query in (found or {}).items()}


def evaluate(coll: Collection, work: Path, postgres: str | None = None) -> dict[str, Any]:
    """Load one collection into a fresh archive and score every judged query, ours and bm25s's."""
    loaded = load(coll, work, postgres)
    try:
        started = time.perf_counter()
        per_query = run_queries(loaded)
        search_s = time.perf_counter() - started
    finally:
        loaded.archive.close()
    present = loaded.present
    missing_judged = sum(len(coll.qrels[q] - present) for q in per_query)
    return {
        "collection": coll.name,
        "documents": len(coll.docs),
        "articles": len(loaded.keys_of),
        "queries_judged": len(per_query),
        "judged_docs_missing_from_collection": missing_judged,
        **summary(per_query),
        "reference": reference(coll, present),
        "target": TARGETS.get(coll.name),
        "load_seconds": round(loaded.load_seconds, 2),
        "search_seconds": round(search_s, 2),
        "per_query": {k: {m: round(x, 4) for m, x in v.items()} for k, v in per_query.items()},
    }


def report(results: list[dict[str, Any]]) -> str:
    """A table of MAP / nDCG@10, ours beside bm25s's two settings, and the means."""
    names = list(SETTINGS)
    lines = [f"{'collection':<10} {'ours':>15}   " + "   ".join(f"{n:>15}" for n in names)]
    rows: list[list[float]] = []
    for r in results:
        refs = [r["reference"].get(n) or {"map": 0.0, "ndcg10": 0.0} for n in names]
        cells = [(r["map"] or 0.0, r["ndcg10"] or 0.0)] + [(x["map"], x["ndcg10"]) for x in refs]
        rows.append([c[0] for c in cells])
        lines.append(
            f"{r['collection']:<10} " + "   ".join(f"{m:>7.4f} / {n:.4f}" for m, n in cells)
        )
    if rows:
        means = [sum(col) / len(rows) for col in zip(*rows, strict=True)]
        lines.append(f"{'mean MAP':<10} " + "   ".join(f"{m:>15.4f}" for m in means))
        best = max(means[1:], default=0.0)
        if best:
            lines.append(f"ours / best bm25s mean: {means[0] / best:.3f}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--collections", default="time,cisi,med,lisa,adi")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--backend",
        choices=("whoosh", "postgres"),
        default="whoosh",
        help="postgres: a scratch database from scripts/ensure-postgres (emptied per collection)",
    )
    parser.add_argument(
        "--depth", type=int, default=DEPTH, help="results scored per query (nDCG@10 needs 10)"
    )
    parser.add_argument(
        "--candidates",
        type=int,
        default=None,
        help="postgres: how many matches BM25 scores when more match than the page needs "
        "(postgres_rank.CANDIDATES); with a small --depth, measures what the bound loses",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    global DEPTH
    args = parse_args(argv)
    DEPTH = args.depth
    if args.candidates is not None:
        from app.search import postgres_rank

        postgres_rank.CANDIDATES = args.candidates
    names = [n.strip() for n in args.collections.split(",") if n.strip()]
    unknown = [n for n in names if n not in READERS]
    if unknown:
        print(f"unknown collection(s): {', '.join(unknown)}; choose from {', '.join(READERS)}")
        return 2
    results = []
    postgres = None
    if args.backend == "postgres":
        from bench.scale import postgres_available, postgres_url

        if not postgres_available():
            print("skipped: no PostgreSQL server (scripts/ensure-postgres says why)")
            return 0
        postgres = postgres_url()
    with tempfile.TemporaryDirectory(prefix="relevance-") as tmp:
        for name in names:
            folder_name, reader = READERS[name]
            folder = args.corpora / folder_name
            if not folder.is_dir():
                print(f"skipped {name}: {folder} not found")
                continue
            results.append(evaluate(reader(folder), Path(tmp), postgres))
    if not results:
        print(f"skipped: no collection found under {args.corpora}")
        return 0
    print(report(results))
    write_json(args.out, {"backend": args.backend, "results": results})
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
