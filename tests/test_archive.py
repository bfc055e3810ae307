"""The archive's write lock: a writer that arrives while an import holds the archive batch after
batch gets its turn after the batch in flight, not after the whole import (issue 17, item 14)."""

from __future__ import annotations

import threading
import time

import pytest

from app.archive import Archive, WriteBusy, open_archive
from app.config import Settings

BATCHES = 12
HOLD = 0.15  # seconds per "batch"


def test_a_waiting_writer_goes_in_between_two_batches_of_an_import(archive: Archive) -> None:
    writer_takes_its_turn(archive)


@pytest.mark.postgres
def test_on_postgresql_too_a_waiting_writer_goes_in_between_two_batches(
    pg_settings: Settings,
) -> None:
    archive = open_archive(pg_settings)
    try:
        writer_takes_its_turn(archive)
    finally:
        archive.close()


def writer_takes_its_turn(archive: Archive) -> None:
    done: list[int] = []  # batches the import has finished, in order
    started = threading.Event()
    stop = threading.Event()

    def importer() -> None:
        # What an import does: lock, store a batch, unlock, and straight back for the next one.
        for number in range(BATCHES):
            with archive.write_lock():
                started.set()
                time.sleep(HOLD)
            done.append(number)
            if stop.is_set():
                return

    thread = threading.Thread(target=importer)
    thread.start()
    try:
        assert started.wait(10)
        with archive.write_lock():
            batches_before_me = len(done)
        assert batches_before_me <= 2, f"the writer waited for {batches_before_me} batches"
    finally:
        stop.set()
        thread.join(timeout=30)


def test_a_nested_write_does_not_queue_behind_itself(archive: Archive) -> None:
    with archive.write_lock(), archive.write_lock(timeout=1):
        pass


def test_a_writer_still_gives_up_after_its_timeout(archive: Archive) -> None:
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with archive.write_lock():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        with pytest.raises(WriteBusy), archive.write_lock(timeout=0.3):
            pass
    finally:
        release.set()
        thread.join(timeout=10)
    with archive.write_lock(timeout=1):  # and nothing was left held
        pass
