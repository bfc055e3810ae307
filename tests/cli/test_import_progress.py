"""The import progress line has a percentage, an ETA and items/s for every kind of input whose
size is known: a directory of files, and one big JSON Lines, CSV, JSON, feed or WARC file."""

from __future__ import annotations

import gzip
import io
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from app.cli import progress
from app.config import Settings
from tests.cli.test_cli import run

# tqdm's line: " 40%|####      | 12.0k/30.0k [00:01<00:02, 9.8kB/s, 200 items, 180 items/s]"
LINE = re.compile(
    r"(\d+)%\|[^\r\n]*\[(\d\d:\d\d)<(\d\d:\d\d|\?), [^,\]]+, ([\d,]+) items, ([\d,]+) items/s"
)
WORDS = "harbour council vote ferry storm budget market grain port strike court".split()


def text(i: int, words: int = 60) -> str:
    pick = random.Random(i)
    return " ".join(pick.choice(WORDS) for _ in range(words)) + f" (story {i})."


def rows(count: int) -> list[dict[str, str]]:
    return [{"date": "2021-05-04", "title": f"Story {i}", "body": text(i)} for i in range(count)]


def directory(folder: Path) -> Path:
    for i in range(40):
        (folder / "in" / f"{i % 4}").mkdir(parents=True, exist_ok=True)
        (folder / "in" / f"{i % 4}" / f"{i}.txt").write_text(f"date 2021-02-03\n\n{text(i)}\n")
    return folder / "in"


def jsonl(folder: Path) -> Path:
    path = folder / "wire.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows(400)))
    return path


def jsonl_gz(folder: Path) -> Path:
    # Progress follows the compressed bytes, read in blocks of several KiB: random tokens keep
    # the file big enough for a few blocks.
    noisy = [
        {**r, "body": f"{r['body']} {random.Random(i).getrandbits(512):x}"}
        for i, r in enumerate(rows(400))
    ]
    path = folder / "wire.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in noisy).encode()))
    return path


def csv_file(folder: Path) -> Path:
    path = folder / "wire.csv"
    path.write_text(
        "date,title,body\n" + "".join(f"2021-05-04,Story {i},{text(i)}\n" for i in range(400))
    )
    return path


def json_array(folder: Path) -> Path:
    path = folder / "wire.json"
    path.write_text(json.dumps(rows(400)))
    return path


def rss(folder: Path) -> Path:
    entries = "".join(
        f"<item><title>Story {i}</title><link>https://news.example/{i}</link>"
        "<pubDate>Tue, 04 May 2021 10:00:00 GMT</pubDate>"
        f"<description>{text(i)}</description></item>"
        for i in range(200)
    )
    path = folder / "news.rss"
    path.write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>News</title>"
        f"{entries}</channel></rss>"
    )
    return path


def warc(folder: Path) -> Path:
    path = folder / "crawl.warc"
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=False)
        for i in range(24):
            paragraphs = "".join(f"<p>{text(i * 10 + j, 40)}</p>" for j in range(6))
            html = (
                "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                f"<title>Story {i}</title></head><body><article><h1>Story {i}</h1>"
                f"<p>Published 2021-05-04.</p>{paragraphs}</article></body></html>"
            )
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.0"
            )
            record = writer.create_warc_record(
                f"https://news.example/{i}",
                "response",
                payload=io.BytesIO(html.encode()),
                http_headers=headers,
            )
            writer.write_record(record)
            record.raw_stream.close()
    return path


@pytest.mark.parametrize(
    ("make", "items", "batch"),
    [
        (directory, 40, "5"),
        (jsonl, 400, "40"),
        (jsonl_gz, 400, "40"),
        (csv_file, 400, "40"),
        (json_array, 400, "40"),
        (rss, 200, "20"),
        (warc, 24, "4"),
    ],
    ids=["directory", "jsonl", "jsonl.gz", "csv", "json", "rss", "warc"],
)
def test_progress_has_a_percentage_eta_and_items_per_second(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], Path],
    items: int,
    batch: str,
) -> None:
    monkeypatch.setattr(progress, "REFRESH_SECONDS", 0)  # every update, not ten a second
    source = make(tmp_path)
    result = run(settings, "import", "--progress", "--batch-size", batch, str(source))
    assert result.exit_code == 0, result.output
    assert f"{items} added" in result.stdout
    updates = [m for m in LINE.finditer(result.stderr)]
    assert updates, result.stderr
    percents = [int(m[1]) for m in updates]
    assert percents == sorted(percents) and percents[-1] == 100
    # Part-way states with a known time remaining: the total was known, and moved with the work.
    partway = [m for m in updates if 0 < int(m[1]) < 100 and m[3] != "?"]
    assert len({int(m[1]) for m in partway}) >= 2, result.stderr
    assert all(int(m[4].replace(",", "")) > 0 for m in partway)
    assert int(updates[-1][4].replace(",", "")) == items


def test_standard_input_has_items_per_second_without_a_total(settings: Settings) -> None:
    result = run(settings, "import", "--progress", "-", stdin=b"date 2021-01-01\n\nOne story.\n")
    assert result.exit_code == 0, result.output
    assert "1 items" in result.stderr and "items/s" in result.stderr
    assert "%|" not in result.stderr  # no size, no percentage


def test_quiet_shows_no_progress(settings: Settings, tmp_path: Path) -> None:
    result = run(settings, "import", "-q", str(jsonl(tmp_path)))
    assert result.exit_code == 0 and "items/s" not in result.stderr
