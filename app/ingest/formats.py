"""Which reader a file needs: from `--format`, else its extension, else its first bytes.
`.gz` files are decompressed transparently (WARC readers get the compressed stream: gzipped
WARCs are record-by-record gzip members that warcio reads itself)."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, cast

from app.ingest.csv_reader import read_csv
from app.ingest.dated_text import decode, parse_dated_text
from app.ingest.export_reader import FORMAT as EXPORT_FORMAT
from app.ingest.export_reader import read_export_lines
from app.ingest.feed_reader import read_feed
from app.ingest.html_reader import parse_html
from app.ingest.json_reader import read_json, read_json_lines
from app.ingest.record import InvalidArticle, Item
from app.ingest.undated import UndatedFiles
from app.ingest.warc_reader import read_warc

FORMATS = ("text", "export", "json", "jsonl", "csv", "feed", "html", "warc")
_BY_SUFFIX = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".rss": "feed",
    ".atom": "feed",
    ".rdf": "feed",
    ".xml": "feed",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".warc": "warc",
    ".arc": "warc",
}
# What `newsarchive import DIR` picks up while walking a directory.
IMPORTABLE_SUFFIXES = {*_BY_SUFFIX, ""}


def logical_suffix(name: str) -> str:
    """The extension that names the format: `.warc` for `x.warc.gz`, `` for `README`."""
    path = Path(name.lower())
    if path.suffix == ".gz":
        path = path.with_suffix("")
    return path.suffix


def sniff(head: bytes) -> str | None:
    """A format from a file's first bytes, or None when they do not say."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:2048]
    lower = start.lower()
    if start.startswith((b"WARC/", b"filedesc://")):
        return "warc"
    if start.startswith(b"{"):
        first = start.split(b"\n", 1)[0]
        try:
            header = json.loads(first)
        except ValueError:
            header = None
        if isinstance(header, dict) and header.get("format") == EXPORT_FORMAT:
            return "export"
        if b"jsonfeed.org" in lower:  # the version URL, often written with escaped slashes
            return "feed"
        if header is not None and b"\n{" in start:
            return "jsonl"
        return "json"
    if start.startswith(b"["):
        return "json"
    if start.startswith(b"<"):
        if any(tag in lower for tag in (b"<rss", b"<feed", b"<rdf:rdf", b"<channel")):
            return "feed"
        if any(tag in lower for tag in (b"<!doctype html", b"<html", b"<head", b"<body")):
            return "html"
    return None


def detect(name: str, head: bytes) -> str:
    """Content first when it is unambiguous (an export saved as .jsonl, HTML saved as .txt), else
    the extension, else dated text."""
    sniffed = sniff(head)
    if sniffed in ("export", "warc") or (sniffed == "feed" and logical_suffix(name) == ".json"):
        return sniffed
    return _BY_SUFFIX.get(logical_suffix(name)) or sniffed or "text"


def _gunzip(data: bytes, *, max_bytes: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            out = f.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise InvalidArticle(f"not a readable .gz file: {exc}") from None
    if len(out) > max_bytes:
        raise InvalidArticle(f"decompressed size is over the limit of {max_bytes:,} bytes")
    return out


# Formats holding many articles per file: the file may be as large as a bulk upload; each
# article (line, row, entry) is still held to the per-article limit where the reader can tell.
_MULTI = {"json", "csv", "feed"}
_STREAMED = {"warc", "jsonl", "export"}


def read_path(
    name: str,
    *,
    max_bytes: int,
    encoding: str | None,
    fmt: str | None = None,
    max_file_bytes: int | None = None,
    on_position: Callable[[int], None] | None = None,
    undated: UndatedFiles | None = None,
) -> Iterator[Item]:
    """(label, article, error) for every item in one file, whatever its format. WARC, JSON Lines
    and export files are streamed (no size limit on the file, `max_bytes` per record); JSON, CSV
    and feeds may be up to `max_file_bytes`; single-article files up to `max_bytes`.
    `on_position` hears how many bytes of the file are behind each item, before it is yielded
    (for progress; a format read whole reports by its share of the items read)."""
    path = Path(name)
    origin = str(path.resolve())
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            raw_head = f.read(4096)
        gz = raw_head[:2] == b"\x1f\x8b"
        head = raw_head
        if gz:
            with gzip.open(path, "rb") as g:
                head = g.read(4096)
    except (OSError, EOFError, zlib.error) as exc:
        yield name, None, f"cannot read: {getattr(exc, 'strerror', None) or exc}"
        return
    kind = fmt or detect(name, head)
    try:
        if kind == "warc":
            with path.open("rb") as stream:
                items = read_warc(stream, origin=origin, max_bytes=max_bytes)
                yield from _tracked(items, stream, on_position)
            return
        if kind in ("jsonl", "export"):
            # Progress counts the bytes of the file itself, compressed or not.
            with (
                path.open("rb") as raw,
                cast(IO[bytes], gzip.GzipFile(fileobj=raw) if gz else raw) as lines,
            ):
                if kind == "export":
                    items = read_export_lines(lines, label=name, max_line_bytes=max_bytes)
                else:
                    items = read_json_lines(lines, origin=origin, max_line_bytes=max_bytes)
                yield from _tracked(items, raw, on_position)
            return
    except (OSError, EOFError, zlib.error) as exc:
        yield name, None, f"stopped reading: {getattr(exc, 'strerror', None) or exc}"
        return
    limit = max(max_file_bytes or max_bytes, max_bytes) if kind in _MULTI else max_bytes
    try:
        if size > limit:
            raise InvalidArticle(f"file too large ({size:,} bytes; the limit is {limit:,})")
        data = path.read_bytes()
        if gz:
            data = _gunzip(data, max_bytes=limit)
    except InvalidArticle as exc:
        yield name, None, str(exc)
        return
    except OSError as exc:
        yield name, None, f"cannot read: {exc.strerror or exc}"
        return
    yield from read_data(
        data,
        kind=kind,
        name=name,
        origin=origin,
        max_bytes=limit,
        encoding=encoding,
        on_fraction=(lambda done: on_position(int(done * size))) if on_position else None,
        undated=undated,
    )


def _tracked(
    items: Iterator[Item], stream: IO[bytes], on_position: Callable[[int], None] | None
) -> Iterator[Item]:
    for item in items:
        if on_position:
            on_position(stream.tell())
        yield item


def read_data(
    data: bytes,
    *,
    kind: str,
    name: str,
    origin: str,
    max_bytes: int,
    encoding: str | None,
    on_fraction: Callable[[float], None] | None = None,
    undated: UndatedFiles | None = None,
) -> Iterator[Item]:
    """Items from bytes already read (a file or an upload) in a known format; `on_fraction`
    hears how far through them a JSON, CSV or feed reader is."""
    try:
        if kind == "feed":
            yield from read_feed(data, origin=origin, on_fraction=on_fraction)
        elif kind == "html":
            yield name, parse_html(data, origin=origin, provenance={"file": origin}), None
        elif kind == "warc":
            yield from read_warc(io.BytesIO(data), origin=origin, max_bytes=max_bytes)
        elif kind == "export":
            yield from read_export_lines(io.BytesIO(data), label=name, max_line_bytes=max_bytes)
        elif kind == "jsonl":
            yield from read_json_lines(
                iter(io.BytesIO(data)), origin=origin, max_line_bytes=max_bytes
            )
        else:
            text = decode(data, max_bytes=max_bytes, encoding=encoding)
            if kind == "json":
                yield from read_json(text, origin=origin, on_fraction=on_fraction)
            elif kind == "csv":
                yield from read_csv(text, origin=origin, on_fraction=on_fraction)
            else:
                article = parse_dated_text(text, origin=origin, undated=undated, path=name)
                article.provenance = {"file": origin, **(article.provenance or {})}
                yield name, article, None
    except InvalidArticle as exc:
        yield name, None, str(exc)
