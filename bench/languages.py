"""Language detectors on short news text: py3langid (what app.ingest.language uses) against
lingua-language-detector, for accuracy and time per text.

    .venv/bin/python -m bench.languages [--reuters N]    (NEWSARCHIVE_CORPORA: other corpora)

Samples, each with its known language: the multilingual test fixtures (tests/fixtures), the
saved pages of ../shared/corpora/messy_formats that declare a language (German, Japanese and
English pages; the declared `lang` is the answer) and the first N Reuters stories (English).
Each is classified twice: the headline alone (the shortest text an archive has) and what the
importer reads (headline and the body's first DETECT_CHARS characters). lingua is optional:
it is measured only when installed (`pip install lingua-language-detector`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.ingest.html_reader import parse_html  # noqa: E402
from app.ingest.language import DETECT_CHARS, MIN_CONFIDENCE, _identifier, normalise  # noqa: E402
from app.ingest.record import InvalidArticle  # noqa: E402

CORPORA = Path(os.environ.get("NEWSARCHIVE_CORPORA", ROOT.parent / "shared" / "corpora"))
FIXTURES = ROOT / "tests" / "fixtures" / "multilingual.json"
Sample = tuple[str, str, str]  # (language, title, body)


def samples(reuters: int) -> list[Sample]:
    out: list[Sample] = [
        (f["lang"], f["title"], f["body"]) for f in json.loads(FIXTURES.read_text())
    ]
    pages = CORPORA / "messy_formats"
    for path in sorted(pages.glob("html_*/*.html")):
        try:
            article = parse_html(path.read_bytes(), origin=str(path))
        except InvalidArticle:
            continue
        code = normalise(article.language)
        if code:
            out.append((code, article.title or "", article.body))
    jsonl = CORPORA / "reuters21578" / "reuters21578.derived.jsonl"
    if jsonl.exists() and reuters:
        with jsonl.open(encoding="utf-8") as lines:
            for line in lines:
                story = json.loads(line)
                if story.get("title") and story.get("body"):
                    out.append(("en", story["title"].title(), story["body"]))
                if len(out) >= reuters + 60:
                    break
    return out


def py3langid() -> Callable[[str], str | None]:
    identifier = _identifier()

    def detect(text: str) -> str | None:
        code, confidence = identifier.classify(text)
        # As app.ingest.language.detect: an unsure guess is no answer (stored as unknown).
        return normalise(code) if confidence >= MIN_CONFIDENCE else None

    return detect


def lingua() -> Callable[[str], str | None] | None:
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        return None
    detector = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else None

    return detect


def measure(name: str, detect: Callable[[str], str | None], data: list[Sample]) -> None:
    detect("warm up: load the models")
    for label, make in (
        ("headline", lambda t, b: t),
        ("headline+body", lambda t, b: f"{t}\n{b[:DETECT_CHARS]}"),
    ):
        texts = [(lang, make(title, body)) for lang, title, body in data if make(title, body)]
        start = time.perf_counter()
        found = [detect(text) for _, text in texts]
        took = time.perf_counter() - start
        right = sum(f == lang for f, (lang, _) in zip(found, texts, strict=True))
        pairs = list(zip(found, texts, strict=True))
        unsure = sum(f is None for f, _ in pairs)
        wrong = sorted({f"{lang}->{f}" for f, (lang, _) in pairs if f not in (lang, None)})
        print(
            f"{name:10} {label:14} {right}/{len(texts)} right ({right / len(texts):.1%}), "
            f"{unsure} unknown, {len(texts) - right - unsure} wrong, "
            f"{1000 * took / len(texts):.2f} ms a text; wrong: {', '.join(wrong[:8]) or '-'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reuters", type=int, default=200, help="Reuters stories to add")
    args = parser.parse_args()
    data = samples(args.reuters)
    langs = sorted({lang for lang, _, _ in data})
    print(f"{len(data)} samples in {len(langs)} languages: {', '.join(langs)}")
    start = time.perf_counter()
    first = py3langid()
    print(f"py3langid model loaded in {time.perf_counter() - start:.2f} s")
    measure("py3langid", first, data)
    start = time.perf_counter()
    second = lingua()
    if second is None:
        print("lingua-language-detector is not installed: skipped")
        return
    print(f"lingua models loaded in {time.perf_counter() - start:.2f} s")
    measure("lingua", second, data)


if __name__ == "__main__":
    main()
