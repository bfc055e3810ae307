"""A sample of story groups to check by hand (docs/search.md, "Stories checked by hand").

    .venv/bin/python -m bench.story_sample [--corpora DIR] [--reuters 3000] [--seed 20]

Imports the BBC corpus and the first N Reuters stories into fresh archives (story ids assigned
at import, the real path, bench.stories.import_and_group), then prints, from a seeded draw:

- 20 story groups of two or more copies from each corpus, each copy beside the group's first:
  its headline, opening, ending, length, and the words only one of the two has;
- 20 pairs just under the threshold (5-word-shingle Jaccard 0.5-0.7 and containment under
  0.9) that the grouping left in different stories.

A person reads these and writes down, for each copy and each pair, whether it is the same
story; the grouping's precision and recall against that judgement go in docs/search.md. Prints
text from the corpora to the terminal only; nothing is stored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections import defaultdict
from pathlib import Path

from app.ingest.record import ArticleIn
from bench.dedup import read_bbc, similar_pairs
from bench.reuters import iter_stories
from bench.stories import DEFAULT_CORPORA, import_and_group

GROUPS_PER_CORPUS = 20
NEAR_PAIRS = 20


def load(corpora: Path, reuters: int) -> dict[str, list[tuple[str, str, str]]]:
    docs: dict[str, list[tuple[str, str, str]]] = {}
    bbc = corpora / "bbc_news" / "raw"
    if bbc.is_dir():
        docs["BBC"] = read_bbc(bbc)
    path = corpora / "reuters21578" / "reuters21578.derived.jsonl"
    if path.is_file():
        docs["Reuters"] = [
            (str(s.get("newid")), (s.get("title") or "").strip()[:200], s["body"].strip())
            for s in iter_stories(path, reuters)
            if (s.get("body") or "").strip()
        ]
    return docs


def differing(a: str, b: str, n: int = 25) -> tuple[list[str], list[str]]:
    wa, wb = a.split(), b.split()
    sa, sb = set(wa), set(wb)
    return [w for w in wa if w not in sb][:n], [w for w in wb if w not in sa][:n]


def show(label: str, doc: tuple[str, str, str], first: tuple[str, str, str]) -> None:
    key, title, body = doc
    flat = " ".join(body.split())
    print(f"  {label} {key} [{len(body.split())} words] {title}")
    print(f"     opening: {flat[:260]}")
    print(f"     ending:  ...{flat[-140:]}")
    if doc is not first:
        only_first, only_this = differing(first[2], body)
        print(f"     only in first: {' '.join(only_first)}")
        print(f"     only in this:  {' '.join(only_this)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--reuters", type=int, default=3000, help="first N Reuters stories")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    near: list[tuple[str, tuple[str, str, str], tuple[str, str, str], float, float]] = []
    for name, docs in load(args.corpora, args.reuters).items():
        items = [
            ArticleIn(body=b, published=dt.date(2005, 1, 1), title=t or "(untitled)", source=name)
            for _, t, b in docs
        ]
        _, story_of = import_and_group(items, with_stories=True)
        members: dict[int, list[int]] = defaultdict(list)
        for pos, story in story_of.items():
            if story is not None:
                members[story].append(pos)
        groups = sorted(m for m in members.values() if len(m) > 1)
        print(f"\n##### {name}: {len(docs)} articles, {len(groups)} groups of 2+ copies")
        for g, group in enumerate(rng.sample(groups, min(GROUPS_PER_CORPUS, len(groups))), 1):
            first = docs[group[0]]
            print(f"\n[{name} group {g}] {len(group)} copies")
            for k, pos in enumerate(group):
                show(f"{k}.", docs[pos], first)
        for i, j, jac, cont, folded in similar_pairs([d[2] for d in docs]):
            apart = story_of.get(i) != story_of.get(j) or story_of.get(i) is None
            if not folded and apart and jac < 0.7 and cont < 0.9:
                near.append((name, docs[i], docs[j], jac, cont))
    print(f"\n##### {len(near)} pairs just under the threshold; {NEAR_PAIRS} drawn")
    for p, (name, a, b, jac, cont) in enumerate(rng.sample(near, min(NEAR_PAIRS, len(near))), 1):
        print(f"\n[near {p}] {name} Jaccard {jac:.2f} containment {cont:.2f}")
        show("a.", a, a)
        show("b.", b, a)


if __name__ == "__main__":
    main()
