"""Bulk import of every readable format (see app/ingest/formats.py): batched writes, one
transaction and one index commit per batch; one bad file or item never stops the rest."""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.archive import Archive
from app.ingest.dated_text import decode, parse_dated_text
from app.ingest.formats import IMPORTABLE_SUFFIXES, logical_suffix, read_path
from app.ingest.record import ArticleIn, InvalidArticle, content_hash
from app.ingest.undated import UndatedFiles
from app.models import ImportRun, utcnow
from app.services.articles import (
    AddOutcome,
    ArticleChanges,
    ArticleConflict,
    IndexMode,
    add_articles,
    known_articles,
    update_article,
    validate,
)


@dataclass
class ImportSummary:
    files: int = 0
    added: int = 0
    duplicates: int = 0
    updated: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    # (asked-for id, id given): restored articles whose id was already taken.
    renumbered: list[tuple[int, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def line(self) -> str:
        moved = len(self.renumbered)
        return (
            f"{self.files} files: {self.added} added, {self.duplicates} duplicates, "
            f"{len(self.failed)} failed"
            + (f", {self.updated} updated" if self.updated else "")
            + (f", {moved} given new ids (theirs were taken)" if moved else "")
        )


def count_added_with_batch(session: Session, *, run_id: int, added: int) -> None:
    """Inside the transaction that stores a batch: the run's added count so far (the history,
    app/services/imports.py), committed with the articles or not at all, so a run killed at any
    moment (`kill -9`) shows exactly what it stored. The other counts follow just after, in the
    `on_batch` heartbeat."""
    session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id, ImportRun.status == "running")
        .values(added=added, heartbeat_at=utcnow())
    )


def _changed_at_same_url(outcome: AddOutcome) -> bool:
    """A duplicate by URL whose text differs: the page or feed entry was edited since."""
    item, article = outcome.item, outcome.article
    return bool(item.url and article.url == item.url) and (
        content_hash(item.body) != article.content_hash
    )


def expand_paths(paths: Iterable[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Files named directly, found under directories (recursively) or matched by globs; `-` is
    standard input. Returns (files, problems)."""
    found: list[str] = []
    problems: list[tuple[str, str]] = []
    for raw in paths:
        if raw == "-":
            found.append("-")
            continue
        candidates = [raw]
        if glob.has_magic(raw):
            candidates = sorted(glob.glob(raw, recursive=True))
            if not candidates:
                problems.append((raw, "no files match this pattern"))
                continue
        for candidate in candidates:
            path = Path(candidate)
            if path.is_dir():
                for root, dirs, files in os.walk(path):
                    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                    for name in sorted(files):
                        child = Path(root) / name
                        if not name.startswith(".") and logical_suffix(name) in IMPORTABLE_SUFFIXES:
                            found.append(str(child))
            elif path.is_file():
                found.append(str(path))
            elif path.exists():
                problems.append((candidate, "not a regular file"))
            else:
                problems.append((candidate, "no such file or directory"))
    return found, problems


def read_file(
    name: str, *, max_bytes: int, encoding: str | None, undated: UndatedFiles | None = None
) -> ArticleIn:
    """Read and parse one file (`-` is standard input)."""
    if name == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        origin = "stdin"
    else:
        path = Path(name)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise InvalidArticle(
                    f"file too large ({size:,} bytes; the limit is {max_bytes:,} bytes)"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidArticle(f"cannot read: {exc.strerror or exc}") from None
        origin = str(path.resolve())
    text = decode(data, max_bytes=max_bytes, encoding=encoding)
    article = parse_dated_text(text, origin=origin, undated=undated, path=name)
    if article.provenance:  # a date from --date: say so, as files do
        article.provenance = {"file": origin, **article.provenance}
    return article


def read_records(
    name: str,
    *,
    max_bytes: int,
    encoding: str | None,
    fmt: str | None = None,
    max_file_bytes: int | None = None,
    on_position: Callable[[int], None] | None = None,
    undated: UndatedFiles | None = None,
) -> Iterator[tuple[str, ArticleIn | None, str | None]]:
    """(label, article, error) for every record in one file, the reader chosen by `fmt` or by
    the file's extension and first bytes (standard input is dated text). `on_position` hears
    the bytes of the file behind each record."""
    if name != "-":
        yield from read_path(
            name,
            max_bytes=max_bytes,
            encoding=encoding,
            fmt=fmt,
            max_file_bytes=max_file_bytes,
            on_position=on_position,
            undated=undated,
        )
        return
    try:
        yield name, read_file(name, max_bytes=max_bytes, encoding=encoding, undated=undated), None
    except InvalidArticle as exc:
        yield name, None, str(exc)


def file_size(name: str) -> int | None:
    """A file's size in bytes; None for standard input or an unreadable file."""
    if name == "-":
        return None
    try:
        return Path(name).stat().st_size
    except OSError:
        return None


@dataclass(frozen=True)
class ImportOptions:
    """How `import_files` reads and stores. `names` maps a file to the name to record in its
    place (an upload's own name, not its temp file). With `dry_run`, read and classify
    everything (added or duplicate) but write nothing. With `update`, a record whose URL is
    stored with different text replaces that article's text and fields (one transaction each)
    instead of counting as a duplicate. `index` "all" indexes each batch before the next
    (inline); "behind" only records the work in the outbox, for `catch_up` to do after."""

    encoding: str | None = None
    fmt: str | None = None
    batch_size: int = 1000
    dry_run: bool = False
    update: bool = False
    run_id: int | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    undated: UndatedFiles | None = None  # dates for text files without a date header
    index: IndexMode = "all"


@dataclass(frozen=True)
class ImportHooks:
    """What an import's caller hears, each hook optional: `on_error` each failed record (label,
    reason), `on_file` each file finished, `on_items` a batch's size before it is stored,
    `on_batch` the counts so far after each batch is committed, `on_bytes` how many more bytes
    of the files are behind the records stored (or found failed) since it last heard."""

    on_error: Callable[[str, str], None] | None = None
    on_file: Callable[[int], None] | None = None
    on_items: Callable[[int], None] | None = None
    on_batch: Callable[[ImportSummary], None] | None = None
    on_bytes: Callable[[int], None] | None = None


class _BytesDone:
    """Bytes read but not yet reported: reported once their records are stored, so the
    progress bar's rate and ETA follow what is done, not what is merely parsed."""

    def __init__(self, report: Callable[[int], None] | None) -> None:
        self._report = report
        self.unreported = 0
        self.position = 0  # how far into the current file

    def at(self, offset: int) -> None:
        if offset > self.position:
            self.unreported += offset - self.position
            self.position = offset

    def report(self) -> None:
        if self._report and self.unreported:
            self._report(self.unreported)
        self.unreported = 0


class _ImportRun:
    """One `import_files` call: read each file's records, stamp them, store them in batches."""

    def __init__(
        self, archive: Archive, options: ImportOptions, hooks: ImportHooks, summary: ImportSummary
    ) -> None:
        self.archive = archive
        self.options = options
        self.hooks = hooks
        self.summary = summary
        self.batch: list[tuple[str, ArticleIn]] = []
        self.seen: set[str] = set()  # dry run: what this run itself would already have added
        self.bytes = _BytesDone(hooks.on_bytes)
        self.imported_at = utcnow().isoformat(timespec="seconds")

    def run(self, files: list[str]) -> None:
        for name in files:
            self.summary.files += 1
            self.bytes.position = 0
            for label, item in self._records(name):
                self.batch.append((label, item))
                if len(self.batch) >= self.options.batch_size:
                    self._flush()
            self.bytes.at(file_size(name) or 0)  # what followed the last record, or a whole page
            if not self.batch:
                self.bytes.report()  # nothing of it is waiting to be stored
            if self.hooks.on_file:
                self.hooks.on_file(1)
        self._flush()

    def _records(self, name: str) -> Iterator[tuple[str, ArticleIn]]:
        """(label, article) for each readable record of one file, renamed and stamped; the
        unreadable ones are counted as failed."""
        settings = self.archive.settings
        shown = self.options.names.get(name)
        for label, item, error in read_records(
            name,
            max_bytes=settings.max_article_bytes,
            encoding=self.options.encoding,
            fmt=self.options.fmt,
            max_file_bytes=settings.max_bulk_bytes,
            on_position=self.bytes.at,
            undated=self.options.undated,
        ):
            if shown is not None:
                label = label.replace(str(Path(name).resolve()), shown).replace(name, shown)
            if item is None:
                self._fail(label, error or "unreadable")
                continue
            try:  # here, so that one bad record never costs its batch a retry one by one
                validate(item, max_bytes=settings.max_article_bytes)
            except InvalidArticle as exc:
                self._fail(label, str(exc))
                continue
            if shown is not None:
                item.origin = shown
                item.provenance = {**(item.provenance or {}), "file": shown}
            if item.created_at is None:  # a restored export keeps its original provenance
                item.provenance = {
                    **(item.provenance or {"file": item.origin or label}),
                    "imported_at": self.imported_at,
                    "import_id": self.options.run_id,
                }
            yield label, item

    def _fail(self, label: str, reason: str, *, recorded: str | None = None) -> None:
        self.summary.failed.append((label, recorded or reason))
        if self.hooks.on_error:
            self.hooks.on_error(label, reason)

    def _flush(self) -> None:
        if not self.batch:
            return
        if self.hooks.on_items:
            self.hooks.on_items(len(self.batch))
        if self.options.dry_run:
            self._classify()
        else:
            self._store()
        self.batch.clear()
        self.bytes.report()

    def _classify(self) -> None:
        """Dry run: count what would be added and what is a duplicate, writing nothing."""
        stored = known_articles(self.archive, items=[item for _, item in self.batch])
        for (_, item), exists in zip(self.batch, stored, strict=True):
            keys = {content_hash(item.body), item.url or ""} - {""}
            if exists or keys & self.seen:
                self.summary.duplicates += 1
            else:
                self.summary.added += 1
            self.seen.update(keys)

    def _add(self, items: list[ArticleIn], committed: list[AddOutcome]) -> list[AddOutcome]:
        """add_articles, committing the run's added count (`committed` already stored in this
        batch, plus these) in the same transaction as the articles."""

        def count(session: Session, outcomes: list[AddOutcome]) -> None:
            if self.options.run_id is not None:
                added = sum(o.status == "added" for o in [*committed, *outcomes])
                count_added_with_batch(
                    session, run_id=self.options.run_id, added=self.summary.added + added
                )

        return add_articles(
            self.archive, items=items, index=self.options.index, in_transaction=count
        )

    def _store(self) -> None:
        outcomes: list[AddOutcome] = []
        try:
            outcomes = self._add([item for _, item in self.batch], outcomes)
        except InvalidArticle:
            # One record the batch could not store: retry one by one so only it fails.
            for name, item in self.batch:
                try:
                    outcomes.extend(self._add([item], outcomes))
                except InvalidArticle as exc:
                    self._fail(name, str(exc))
        for outcome in outcomes:
            if outcome.status == "added":
                self.summary.added += 1
                if outcome.renumbered_from is not None:
                    self.summary.renumbered.append((outcome.renumbered_from, outcome.article.id))
            elif self.options.update and _changed_at_same_url(outcome):
                self._update(outcome)
            else:
                self.summary.duplicates += 1
        if self.hooks.on_batch:
            self.hooks.on_batch(self.summary)

    def _update(self, outcome: AddOutcome) -> None:
        item, article_id = outcome.item, outcome.article.id
        try:
            update_article(
                self.archive,
                article_id=article_id,
                changes=ArticleChanges(
                    body=item.body,
                    title=None if item.title_derived else item.title,
                    published=item.published,
                    source=item.source,
                    authors=item.authors or None,
                    language=item.language,
                ),
            )
        except (InvalidArticle, ArticleConflict) as exc:
            label = item.url or str(article_id)
            self._fail(label, str(exc), recorded=f"cannot update article {article_id}: {exc}")
            return
        self.summary.updated += 1


def import_files(
    archive: Archive,
    *,
    files: list[str],
    options: ImportOptions | None = None,
    hooks: ImportHooks | None = None,
    summary: ImportSummary | None = None,
) -> ImportSummary:
    """Import files in batches (one transaction and one index commit per batch), counting into
    `summary` (a new one if not given) as it goes."""
    summary = summary if summary is not None else ImportSummary()
    _ImportRun(archive, options or ImportOptions(), hooks or ImportHooks(), summary).run(files)
    return summary
