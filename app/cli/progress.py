"""The progress line of `newsarchive import`: a bar over the bytes of the input, which are known
before the first record is read (for a directory of files and for one big JSON Lines, CSV or
WARC file alike), so it has a rate and an ETA; the items stored and items/s beside it."""

from __future__ import annotations

import time
from typing import IO

from tqdm import tqdm

REFRESH_SECONDS = 0.1  # at most this often on screen


class ImportProgress:
    """Bytes done of `total_bytes` (None: unknown, e.g. standard input), items, files."""

    def __init__(
        self, *, total_bytes: int | None, files: int, show: bool | None, stream: IO[str]
    ) -> None:
        self.stream = stream
        self.files = files
        self.files_done = 0
        self.items = 0
        self.started = time.perf_counter()
        self.bar = tqdm(
            total=total_bytes,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            disable=None if show is None else not show,  # None: only on a terminal
            file=stream,
            dynamic_ncols=True,
            mininterval=REFRESH_SECONDS,
        )

    def bytes_done(self, count: int) -> None:
        self.bar.update(count)

    def items_done(self, count: int) -> None:
        self.items += count
        self._postfix()

    def file_done(self, count: int = 1) -> None:
        self.files_done += count
        self._postfix()

    def _postfix(self) -> None:
        elapsed = time.perf_counter() - self.started
        rate = self.items / elapsed if elapsed > 0 else 0.0
        text = f"{self.items:,} items, {rate:,.0f} items/s"
        if self.files > 1:
            text += f", file {min(self.files_done + 1, self.files)}/{self.files}"
        self.bar.set_postfix_str(text, refresh=False)

    def write(self, message: str) -> None:
        """A line above the bar (an error), without breaking it."""
        self.bar.write(message, file=self.stream)

    def close(self) -> None:
        self.bar.close()
