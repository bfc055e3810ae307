"""A deterministic synthetic news corpus for scale runs, built at run time from real sentences.

SYNTHETIC: every article is a random recombination of real sentences from Reuters-21578 and BBC
News 2004-05 (read from ../shared/corpora, never copied into the repository), with realistic
lengths (median ~300 words), dates spread over 1990-2025, a dozen sources and a pool of authors.
The same seed always gives the same corpus.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path

from app.ingest.record import ArticleIn

# A checkout outside /work (a worktree in /tmp) names the corpora with NEWSARCHIVE_CORPORA.
CORPORA = Path(
    os.environ.get("NEWSARCHIVE_CORPORA")
    or Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"
)
SOURCES = [
    ("Reuters", 30),
    ("BBC", 20),
    ("Associated Press", 12),
    ("The Guardian", 8),
    ("The New York Times", 8),
    ("CNN", 6),
    ("Bloomberg", 5),
    ("Al Jazeera", 3),
    ("Financial Times", 3),
    ("Le Monde", 2),
    ("Der Spiegel", 2),
    ("NHK", 1),
]
FIRST = "Ann Ben Carla Dev Elena Farid Grace Hiro Ines Jonas Kemi Liam Maya Nils Omar Priya".split()
LAST = "Adams Brown Chen Diaz Evans Fischer Garcia Haddad Ito Jones Khan Lopez Moreau Nowak".split()
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
START, END = dt.date(1990, 1, 1), dt.date(2025, 12, 31)


def load_sentences(corpora: Path = CORPORA) -> tuple[list[str], list[str]]:
    """(sentences, headlines) from the real corpora; raises FileNotFoundError when absent."""
    sentences: list[str] = []
    headlines: list[str] = []
    reuters = corpora / "reuters21578" / "reuters21578.derived.jsonl"
    with reuters.open(encoding="utf-8") as f:
        for line in f:
            story = json.loads(line)
            if story.get("title"):
                headlines.append(" ".join(story["title"].split()).title())
            body = " ".join((story.get("body") or "").split())
            sentences += [s for s in _SENTENCE.split(body) if 30 <= len(s) <= 400]
    for path in sorted((corpora / "bbc_news" / "raw").glob("*/*.txt")):
        raw = path.read_bytes().decode("utf-8", errors="replace")
        first, _, rest = raw.partition("\n")
        headlines.append(first.strip())
        text = " ".join(rest.split())
        sentences += [s for s in _SENTENCE.split(text) if 30 <= len(s) <= 400]
    return sentences, [h for h in headlines if 10 <= len(h) <= 120]


def generate(
    count: int, *, seed: int = 1987, start: int = 0, corpora: Path = CORPORA
) -> Iterator[ArticleIn]:
    """Articles number `start` .. `start + count - 1` of the corpus for `seed`."""
    sentences, headlines = load_sentences(corpora)
    names = [f"{f} {last}" for f in FIRST for last in LAST]
    sources = [s for s, _ in SOURCES]
    weights = [w for _, w in SOURCES]
    span = (END - START).days
    for number in range(start, start + count):
        rng = random.Random(seed * 1_000_003 + number)  # article n is the same in every run
        target = max(60, min(1500, int(rng.lognormvariate(5.7, 0.5))))  # median ~300 words
        paragraphs: list[str] = []
        words = 0
        while words < target:
            paragraph = " ".join(rng.choice(sentences) for _ in range(rng.randint(1, 4)))
            paragraphs.append(paragraph)
            words += paragraph.count(" ") + 1
        yield ArticleIn(
            body="\n\n".join(paragraphs),
            published=START + dt.timedelta(days=rng.randrange(span)),
            title=f"{rng.choice(headlines)} ({number})",
            source=rng.choices(sources, weights)[0],
            authors=rng.sample(names, rng.choice([0, 1, 1, 1, 2])),
            origin=f"synthetic:{seed}:{number}",
        )
