"""WARC and ARC archives via warcio: every HTML response record goes through the HTML reader,
keeping the target URL and capture time. A broken or truncated archive yields what was
readable before the damage, then one error naming where it stopped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from app.ingest.html_reader import parse_html
from app.ingest.record import InvalidArticle, Item

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _capture_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def read_warc(stream: IO[bytes], *, origin: str, max_bytes: int) -> Iterator[Item]:
    """(label, article, error) per HTML response record; other records are skipped silently."""
    records = 0
    html_records = 0
    try:
        for record in ArchiveIterator(stream, arc2warc=True):
            records += 1
            if record.rec_type != "response" or record.http_headers is None:
                continue
            content_type = (record.http_headers.get_header("Content-Type") or "").lower()
            if not content_type.startswith(_HTML_TYPES):
                continue
            html_records += 1
            url = record.rec_headers.get_header("WARC-Target-URI") or None
            record_id = record.rec_headers.get_header("WARC-Record-ID")
            captured = _capture_time(record.rec_headers.get_header("WARC-Date"))
            label = f"{origin}#{url or records}"
            status = record.http_headers.get_statuscode()
            if status and not status.startswith("2"):
                yield label, None, f"HTTP status {status}, not a page"
                continue
            payload = record.content_stream().read(max_bytes + 1)
            if len(payload) > max_bytes:
                yield label, None, f"record larger than {max_bytes:,} bytes"
                continue
            url = url.strip("<> ") if url else None
            try:
                article = parse_html(
                    payload,
                    origin=origin,
                    url=url if url and url.startswith(("http://", "https://")) else None,
                    fallback_date=captured.date() if captured else None,
                    provenance={
                        "file": origin,
                        "warc_record_id": record_id,
                        "target_uri": url,
                        "capture_time": captured.isoformat() if captured else None,
                    },
                )
            except InvalidArticle as exc:
                yield label, None, str(exc)
                continue
            yield label, article, None
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
        # warcio raises on the first damaged record; what came before is already yielded.
        yield (
            f"{origin}@record{records + 1}",
            None,
            (f"archive unreadable after {records} records: {' '.join(str(exc).split())}"),
        )
        return
    if html_records == 0:
        yield origin, None, f"no HTML response records among {records} records"
