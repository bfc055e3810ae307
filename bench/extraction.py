"""Extraction quality of the HTML reader on the messy_formats corpora.

    .venv/bin/python bench/extraction.py [CORPUS_DIR]

For every page in html_newspaper and html_trafilatura: token-level F1 of the extracted body
against `<page>.expected.txt` (where the corpus gives one), and whether title, date and author
were found. Prints per-page rows, then the mean F1 and the found-rates.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.ingest.html_reader import parse_html
from app.ingest.record import InvalidArticle

_TOKEN = re.compile(r"\w+")
DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared/corpora/messy_formats"


def tokens(text: str) -> Counter[str]:
    return Counter(t.casefold() for t in _TOKEN.findall(text))


# Some expected files in html_newspaper are only the upstream project's note about its own
# failure ("FAILED, MISSING ARTICLE ..."), not article text: they cannot be scored against.
_NOTE = re.compile(r"^[A-Z0-9 ,.'-]+$")


def is_note(expected: str) -> bool:
    return len(expected) < 200 and bool(_NOTE.match(expected.strip()))


def f1(found: str, expected: str) -> tuple[float, float, float]:
    """(precision, recall, F1) over bags of word tokens."""
    got, want = tokens(found), tokens(expected)
    common = sum((got & want).values())
    if not common:
        return 0.0, 0.0, 0.0
    p, r = common / sum(got.values()), common / sum(want.values())
    return p, r, 2 * p * r / (p + r)


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    pages = sorted(root.glob("html_newspaper/*.html")) + sorted(
        root.glob("html_trafilatura/*.html")
    )
    if not pages:
        print(f"no pages under {root}", file=sys.stderr)
        return 2
    scores: list[float] = []
    found = Counter[str]()
    print(f"{'page':48} {'P':>5} {'R':>5} {'F1':>5}  title date author")
    for page in pages:
        expected_file = page.with_suffix(".expected.txt")
        name = f"{page.parent.name}/{page.name}"
        try:
            article = parse_html(page.read_bytes(), origin=str(page))
        except InvalidArticle as exc:
            print(f"{name:48} failed: {exc}")
            if expected_file.exists():
                scores.append(0.0)
            continue
        flags = {
            "title": not article.title_derived,
            "date": True,  # parse_html refuses pages without a date (no fallback given here)
            "author": bool(article.authors),
        }
        found.update(k for k, v in flags.items() if v)
        marks = "  ".join(f"{'yes' if flags[k] else 'no ':>4}" for k in ("title", "date", "author"))
        expected = expected_file.read_text(encoding="utf-8") if expected_file.exists() else None
        if expected is not None and is_note(expected):
            print(
                f"{name:48} {'-':>5} {'-':>5} {'-':>5}  {marks}  "
                f"(expected file is a note: {expected.strip()[:40]!r})"
            )
        elif expected is not None:
            p, r, score = f1(article.body, expected)
            scores.append(score)
            print(f"{name:48} {p:5.2f} {r:5.2f} {score:5.2f}  {marks}")
        else:
            print(f"{name:48} {'-':>5} {'-':>5} {'-':>5}  {marks}")
    n = len(pages)
    print()
    if scores:
        print(
            f"mean body F1: {sum(scores) / len(scores):.3f} "
            f"over {len(scores)} pages with expected text"
        )
    for key in ("title", "date", "author"):
        print(f"{key} found: {found[key]}/{n} ({found[key] / n:.0%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
