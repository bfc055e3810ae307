"""The `newsarchive` command: migrate, import, imports, export, backup, restore, serve, reindex,
check, stats and tokens (create, list, revoke), built on the same services as the pages and the
API."""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from tqdm import tqdm

from app.archive import Archive, WriteBusy, open_archive
from app.config import Settings
from app.ingest.undated import UndatedFiles

# How `newsarchive import` indexes unless told: measured end to end in docs/performance.md.
DEFAULT_INDEXING = "behind"
# The second phase of an import indexing behind: its own line, unlike the import's bar.
INDEXING_BAR = "indexing {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]"


def _settings(data_dir: Path | None) -> Settings:
    from pydantic import ValidationError

    try:
        settings = Settings()
    except ValidationError as exc:  # e.g. a too-short NEWSARCHIVE_API_TOKEN: say so, no traceback
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise click.ClickException(f"bad setting: {problems}") from None
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings


def _open(ctx: click.Context) -> Archive:
    from app.migrate import SchemaOutOfDate, check_schema

    archive = open_archive(ctx.obj["settings"])
    try:
        check_schema(archive.engine)
    except SchemaOutOfDate as exc:
        archive.close()
        raise click.ClickException(str(exc)) from None
    ctx.call_on_close(archive.close)
    return archive


class _Commands(click.Group):
    """Every command: an archive another writer holds past the timeout is one error line naming
    the reason (exit 1), not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except WriteBusy as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Commands)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Archive folder (default: $NEWSARCHIVE_DATA_DIR or ./data).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, verbose: bool) -> None:
    """News Archive: load, index and search dated news articles."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = {"settings": _settings(data_dir)}


@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Create or upgrade the database schema in place."""
    from app.migrate import upgrade

    settings: Settings = ctx.obj["settings"]
    settings.ensure_dirs()
    upgrade(settings.resolved_database_url())
    click.echo("database schema is up to date")


@contextmanager
def _term_as_interrupt() -> Iterator[Callable[[], None]]:
    """`kill` (SIGTERM) stops an import like Ctrl-C, so the run is recorded as interrupted.
    The handler only sets a flag; the import raises KeyboardInterrupt at the next batch
    boundary (the yielded checkpoint). Raising from the handler itself could land between a
    lock's acquire and its `with` block, and the clean-up would then wait on that lock forever."""
    stop = threading.Event()

    def on_term(signum: int, frame: object) -> None:
        stop.set()

    def checkpoint() -> None:
        if stop.is_set():
            raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield checkpoint  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield checkpoint
    finally:
        signal.signal(signal.SIGTERM, previous)


def _undated_files(value: str | None, *, from_path: bool) -> UndatedFiles | None:
    """--date and --date-from-path as the importer takes them; a bad --date is a usage error."""
    if value is None:
        return UndatedFiles(from_path=True) if from_path else None
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2005-03-01", param_hint="--date"
        ) from None
    return UndatedFiles(date=date, from_path=from_path)


@main.command("import")
@click.argument("paths", nargs=-1, required=True)
@click.option("--encoding", default=None, help="Text encoding of the files (default UTF-8).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "export", "json", "jsonl", "csv", "feed", "html", "warc"]),
    default=None,
    help="Reader to use for every file (default: from extension and content).",
)
@click.option("--dry-run", is_flag=True, help="Read and report what would be added; write nothing.")
@click.option(
    "--update",
    is_flag=True,
    help="An article already stored under the same URL with other text is updated, not skipped.",
)
@click.option(
    "--batch-size",
    default=1000,
    show_default=True,
    help="Articles per transaction (and per index commit with --indexing inline).",
)
@click.option(
    "--indexing",
    type=click.Choice(["inline", "behind"]),
    default=DEFAULT_INDEXING,
    show_default=True,
    help="inline: each batch is indexed before the next is read; behind: rows are stored "
    "first and the index catches up in large batches after (docs/performance.md).",
)
@click.option(
    "--no-wait",
    is_flag=True,
    help="Return once the rows are stored, before they are searchable: the index catches up "
    "later (`newsarchive catch-up`, `serve`, or the next import).",
)
@click.option(
    "--date",
    "undated_date",
    default=None,
    metavar="YYYY-MM-DD",
    help="Date for text files without a date header (a header in the file wins).",
)
@click.option(
    "--date-from-path",
    is_flag=True,
    help="Date text files without a date header from their path or name "
    "(2022-01-06, 20220106, 2022/01/06); --date is the fallback.",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Import only into an empty archive; else do nothing and record no run (first-run seeds).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--progress", is_flag=True, help="Show the progress bar even when not on a terminal.")
@click.pass_context
def import_cmd(
    ctx: click.Context,
    paths: tuple[str, ...],
    encoding: str | None,
    fmt: str | None,
    dry_run: bool,
    update: bool,
    batch_size: int,
    undated_date: str | None,
    date_from_path: bool,
    if_empty: bool,
    indexing: str,
    no_wait: bool,
    quiet: bool,
    progress: bool,
) -> None:
    """Import articles: dated text, `newsarchive export` files, JSON, JSON Lines, CSV, RSS/Atom/
    JSON Feed, saved HTML pages, WARC/ARC (also .gz): files, directories, globs, or - for
    standard input."""
    from app.cli.progress import ImportProgress
    from app.services.importer import (
        ImportHooks,
        ImportOptions,
        ImportSummary,
        expand_paths,
        file_size,
        import_files,
    )
    from app.services.imports import record_summary, recorded_run, start_import

    undated = _undated_files(undated_date, from_path=date_from_path)
    archive = _open(ctx)
    if if_empty:
        from app.services.counts import count_articles

        if (stored := count_articles(archive)) > 0:
            click.echo(f"the archive holds {stored:,} articles: nothing imported (--if-empty)")
            return
    files, problems = expand_paths(paths)
    for name, reason in problems:
        click.echo(f"error: {name}: {reason}", err=True)
    started = time.perf_counter()
    sizes = [file_size(name) for name in files]
    bar = ImportProgress(
        total_bytes=None if None in sizes else sum(s or 0 for s in sizes),
        files=len(files),
        show=False if quiet else (True if progress else None),
        stream=sys.stderr,
    )
    summary = ImportSummary(failed=list(problems))
    run_id = None if dry_run else start_import(archive, sources=list(paths))

    def on_error(name: str, reason: str) -> None:
        bar.write(f"error: {name}: {reason}")

    def on_items(count: int) -> None:
        checkpoint()  # a stop asked for by SIGTERM happens here, before the next batch
        bar.items_done(count)

    def on_batch(done: ImportSummary) -> None:
        if run_id is not None:
            record_summary(archive, run_id=run_id, summary=done)

    try:
        with (
            recorded_run(archive, run_id=run_id, summary=summary),
            _term_as_interrupt() as checkpoint,
        ):
            import_files(
                archive,
                files=files,
                options=ImportOptions(
                    encoding=encoding,
                    fmt=fmt,
                    batch_size=batch_size,
                    dry_run=dry_run,
                    update=update,
                    run_id=run_id,
                    undated=undated,
                    index="behind" if no_wait or indexing == "behind" else "all",
                ),
                hooks=ImportHooks(
                    on_error=on_error,
                    on_file=bar.file_done,
                    on_items=on_items,
                    on_bytes=bar.bytes_done,
                    on_batch=on_batch,
                ),
                summary=summary,
            )
    except KeyboardInterrupt:
        bar.close()
        click.echo(
            "interrupted: articles stored so far are kept; run the import again to "
            "continue (duplicates are skipped)",
            err=True,
        )
        sys.exit(130)
    bar.close()
    if not dry_run and (no_wait or indexing == "behind"):
        note = _index_behind(archive, wait=not no_wait, quiet=quiet, progress=progress)
    else:
        note = ""
    for asked, given in summary.renumbered[:20]:
        click.echo(f"note: article {asked} stored as {given} (id {asked} was taken)", err=True)
    if len(summary.renumbered) > 20:
        click.echo(f"note: … and {len(summary.renumbered) - 20} more given new ids", err=True)
    elapsed = time.perf_counter() - started
    items = summary.added + summary.duplicates + summary.updated + len(summary.failed)
    rate = items / elapsed if elapsed > 0 else 0.0
    prefix = "dry run, nothing written: would have " if dry_run else ""
    run = f" (import #{run_id})" if run_id is not None else ""
    click.echo(f"{prefix}{summary.line()} in {elapsed:.1f} s ({rate:,.0f} items/s){run}{note}")
    if not dry_run:
        _merge_index(archive, quiet=quiet)
    if summary.failed:
        sys.exit(1)


def _merge_index(archive: Archive, *, quiet: bool) -> None:
    """Merge the segments the batches left, outside the write lock: commits only fold small
    segments (app.search.whoosh.merging); a running server's indexer does the same when idle."""
    started = time.perf_counter()
    try:
        merged = archive.search.merge_segments()
    except Exception as exc:  # the import stands; the next run or the server merges
        click.echo(f"warning: merging index segments failed: {exc}", err=True)
        return
    if merged and not quiet:
        took = time.perf_counter() - started
        click.echo(f"merged {merged} index segments in {took:.1f} s", err=True)


def _index_behind(archive: Archive, *, wait: bool, quiet: bool, progress: bool) -> str:
    """After an import that left its index work in the outbox: drain it (the import returns
    when searchable), or say how much is left. Returns a note for the summary line."""
    from app.services.index_sync import catch_up, index_lag

    with archive.sessions() as session:
        pending = index_lag(session).pending
    if not wait:
        return f"; {pending:,} index updates pending (`newsarchive catch-up` applies them)"
    started = time.perf_counter()
    try:
        with tqdm(
            total=pending,
            file=sys.stderr,
            disable=True if quiet else (False if progress else None),
            bar_format=INDEXING_BAR,
        ) as bar:
            done = catch_up(archive, on_batch=bar.update)
    except KeyboardInterrupt:
        click.echo(
            "interrupted while indexing: the articles are stored; the index catches up on "
            "`newsarchive catch-up`, `serve` or the next import",
            err=True,
        )
        sys.exit(130)
    return f"; {done:,} index updates applied in {time.perf_counter() - started:.1f} s"


@main.command("catch-up")
@click.option(
    "--batch-size",
    type=click.IntRange(1),
    default=None,
    help="Index updates per index commit (default 5,000).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def catch_up_cmd(ctx: click.Context, batch_size: int | None, quiet: bool) -> None:
    """Apply the index updates still pending (after `import --no-wait`, or a killed run), in
    large batches, until every stored article is searchable."""
    from app.services.index_sync import CATCH_UP_BATCH, catch_up, index_lag

    archive = _open(ctx)
    started = time.perf_counter()
    with archive.sessions() as session:
        pending = index_lag(session).pending
    with tqdm(
        total=pending, unit=" indexed", file=sys.stderr, disable=True if quiet else None
    ) as bar:
        done = catch_up(archive, batch_size=batch_size or CATCH_UP_BATCH, on_batch=bar.update)
    click.echo(f"{done:,} index updates applied in {time.perf_counter() - started:.1f} s")
    _merge_index(archive, quiet=quiet)


@main.command("imports")
@click.option("--limit", default=20, show_default=True, help="How many recent runs.")
@click.option("--errors", "show_errors", is_flag=True, help="List each run's errors too.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def imports_cmd(ctx: click.Context, limit: int, show_errors: bool, as_json: bool) -> None:
    """The import history: each run with its counts of added, updated, duplicate and failed."""
    from app.services.imports import list_imports

    runs = list_imports(_open(ctx), limit=limit)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "started_at": r.started_at.isoformat(),
                        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                        "status": r.status,
                        "via": r.via,
                        "sources": r.sources.split("\n") if r.sources else [],
                        "files": r.files,
                        "added": r.added,
                        "updated": r.updated,
                        "duplicates": r.duplicates,
                        "failed": r.failed,
                        "errors": r.errors,
                        "pid": r.pid,
                        "host": r.host,
                        "heartbeat_at": r.heartbeat_at.isoformat() if r.heartbeat_at else None,
                    }
                    for r in runs
                ],
                indent=2,
            )
        )
        return
    if not runs:
        click.echo("no imports yet")
        return
    for r in runs:
        sources = ", ".join(r.sources.split("\n"))
        click.echo(
            f"#{r.id} {r.started_at:%Y-%m-%d %H:%M} {r.status:<11} {r.via:<6} "
            f"{r.added} added, {r.updated} updated, {r.duplicates} duplicates, {r.failed} failed"
            f"  {sources[:80]}"
        )
        if show_errors:
            for label, message in r.errors:
                click.echo(f"    {label}: {message}")


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="File to write (default: standard output).",
)
@click.pass_context
def export(ctx: click.Context, output: str) -> None:
    """Export every article as NDJSON; `newsarchive import FILE` restores it (either backend)."""
    from app.services.counts import count_articles
    from app.services.export import export_ndjson

    archive = _open(ctx)
    total = count_articles(archive)
    with (
        click.open_file(output, "w", encoding="utf-8") as out,
        tqdm(total=total, unit=" articles", file=sys.stderr, disable=None) as bar,
    ):
        count = export_ndjson(archive, out, on_progress=bar.update)
    click.echo(f"exported {count} articles", err=True)


@main.command()
@click.argument("dest", type=click.Path(path_type=Path))
@click.pass_context
def backup(ctx: click.Context, dest: Path) -> None:
    """Copy the archive (database, tokens, import history and index) into the new folder DEST,
    consistently, while the server and imports go on. SQLite only: on PostgreSQL use pg_dump."""
    from app.services.backup import BackupError
    from app.services.backup import backup as run_backup

    try:
        report = run_backup(_open(ctx), dest=dest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"backed up {report.articles} articles to {report.dest} in {report.seconds:.1f} s; "
        f"index: {report.index_note}"
    )


@main.command()
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an archive that already has articles.")
@click.pass_context
def restore(ctx: click.Context, src: Path, force: bool) -> None:
    """Replace the archive with the backup in SRC (made by `newsarchive backup`), then bring
    the index level with it. Stop the server first."""
    from app.services.backup import BackupError
    from app.services.backup import restore as run_restore
    from app.services.index_sync import check as run_check

    try:
        report = run_restore(ctx.obj["settings"], src=src, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {report.articles} articles from {src} in {report.seconds:.1f} s")
    if report.check.repaired:
        click.echo(f"index brought level with the database (was: {report.check.summary()})")
    after = run_check(_open(ctx))
    click.echo(f"check: {after.summary()}")
    sys.exit(0 if after.ok else 1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes (one per CPU core uses them all; each keeps its own search caches, "
    "and writes from all of them take turns through the archive's write lock).",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="uvicorn's line per request (the app logs each request with its id either way).",
)
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, reload: bool, workers: int, access_log: bool
) -> None:
    """Serve the web pages and the JSON API."""
    import os

    import uvicorn

    from app.cli.server import uvicorn_limits

    if workers > 1 and reload:
        raise click.UsageError("--workers and --reload cannot be combined (reload runs one)")
    settings: Settings = ctx.obj["settings"]
    os.environ["NEWSARCHIVE_DATA_DIR"] = str(settings.data_dir)
    if workers > 1:
        _serve_workers(host, port, workers, access_log=access_log, limits=uvicorn_limits(settings))
        return
    uvicorn.run(
        "app.cli.server:create_served_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        log_level="info",
        access_log=access_log,
        proxy_headers=False,  # the app reads X-Forwarded-For from NEWSARCHIVE_TRUSTED_PROXIES
        **uvicorn_limits(settings),
    )


def _serve_workers(
    host: str, port: int, workers: int, *, access_log: bool, limits: dict[str, object]
) -> None:
    """uvicorn's multi-process server, on a listening socket we bind ourselves: uvicorn 0.54
    binds it with protocol 0, so asyncio never sets TCP_NODELAY on accepted connections and
    every keep-alive response waits ~40 ms for the client's delayed ACK (uvicorn issue #3149;
    measured here: 44 ms per request instead of 5)."""
    import os
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from app.processes import PARENT_PID_ENV

    os.environ[PARENT_PID_ENV] = str(os.getpid())  # the workers stop once this process is gone
    config = uvicorn.Config(
        "app.cli.server:create_worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        proxy_headers=False,  # the app reads X-Forwarded-For from NEWSARCHIVE_TRUSTED_PROXIES
        **limits,  # type: ignore[arg-type]
    )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from None
    sock.set_inheritable(True)
    click.echo(f"serving on http://{host}:{port} with {workers} worker processes", err=True)
    Multiprocess(config, sockets=[sock]).run()


@main.command()
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Rebuild the search index from the database."""
    from app.services.counts import count_articles
    from app.services.index_sync import reindex as rebuild

    archive = _open(ctx)
    total = count_articles(archive)
    started = time.perf_counter()
    with tqdm(total=total, unit=" articles", file=sys.stderr, disable=None) as bar:
        count = rebuild(archive, progress=bar.update)
    elapsed = time.perf_counter() - started
    click.echo(f"indexed {count} articles in {elapsed:.1f} s")


@main.command()
@click.option(
    "--rebuild",
    is_flag=True,
    required=True,
    help="Recompute every story id from scratch (gives what importing in id order gave).",
)
@click.pass_context
def stories(ctx: click.Context, rebuild: bool) -> None:
    """Group near-duplicate copies into stories (done at import; this redoes it)."""
    from app.services.counts import count_articles
    from app.services.stories import rebuild as rebuild_stories

    archive = _open(ctx)
    total = count_articles(archive)
    started = time.perf_counter()
    with tqdm(total=total, unit=" articles", file=sys.stderr, disable=None) as bar:
        changed = rebuild_stories(archive, progress=bar.update)
    elapsed = time.perf_counter() - started
    click.echo(f"grouped {total} articles in {elapsed:.1f} s; {changed} changed story")


@main.command()
@click.option("--repair", is_flag=True, help="Make the index match the database.")
@click.option(
    "--full",
    is_flag=True,
    help="Compare every article even when nothing changed since they last agreed.",
)
@click.pass_context
def check(ctx: click.Context, repair: bool, full: bool) -> None:
    """Report whether the database and the search index agree. When neither has changed since
    a check last found them agreeing (same article count, ids and newest update, nothing
    pending, same index generation), that is trusted without reading the index."""
    from app.services.index_sync import check as run_check

    archive = _open(ctx)
    report = run_check(archive, repair=repair, full=full)
    click.echo(report.summary())
    for label, ids in (
        ("missing", report.missing),
        ("extra", report.extra),
        ("stale", report.stale),
    ):
        if ids:
            shown = ", ".join(map(str, ids[:20])) + (" …" if len(ids) > 20 else "")
            click.echo(f"  {label}: {shown}")
    if report.repaired:
        after = run_check(archive)
        click.echo(f"repaired: {after.summary()}")
        sys.exit(0 if after.ok else 1)
    sys.exit(0 if report.ok else 1)


@main.command("fix-bylines")
@click.option("--dry-run", is_flag=True, help="List what would change; write nothing.")
@click.pass_context
def fix_bylines(ctx: click.Context, dry_run: bool) -> None:
    """Move agencies stored as a last author ("Jane Doe, Reuters") to the source (for archives
    loaded before imports recognised them)."""
    from app.services.bylines import fix_agency_bylines

    fixes = fix_agency_bylines(_open(ctx), dry_run=dry_run)
    for fix in fixes[:20]:
        click.echo(f"  article {fix.article_id}: {fix.dropped!r} is the source, not an author")
    if len(fixes) > 20:
        click.echo(f"  … and {len(fixes) - 20:,} more")
    verb = "would move" if dry_run else "moved"
    click.echo(f"{verb} {len(fixes):,} agency bylines to the source")


@main.command()
@click.option("--dry-run", is_flag=True, help="List what would change; write nothing.")
@click.pass_context
def retitle(ctx: click.Context, dry_run: bool) -> None:
    """Re-derive headlines made from the lead with the current rule (for archives loaded
    before it); given titles are never touched."""
    from app.services.retitle import rederive_titles

    changed = rederive_titles(_open(ctx), dry_run=dry_run)
    for article_id, old, new in changed[:20]:
        click.echo(f"  article {article_id}: {old!r} -> {new!r}")
    if len(changed) > 20:
        click.echo(f"  … and {len(changed) - 20:,} more")
    click.echo(f"{'would change' if dry_run else 'changed'} {len(changed):,} derived headlines")


@main.command()
@click.option("--detect", is_flag=True, help="Detect the language of articles without one.")
@click.option("--all", "everything", is_flag=True, help="With --detect: every article, again.")
@click.pass_context
def languages(ctx: click.Context, detect: bool, everything: bool) -> None:
    """Articles per language; with --detect, detect the language of those without one (for an
    archive imported before imports detected it; new imports detect it themselves)."""
    from app.ingest.language import display_name
    from app.services.languages import count_to_detect, detect_languages, language_counts

    if everything and not detect:
        raise click.UsageError("--all goes with --detect")
    archive = _open(ctx)
    if detect:
        total = count_to_detect(archive, everything=everything)
        with tqdm(total=total, unit=" articles", file=sys.stderr, disable=None) as bar:
            done = detect_languages(archive, everything=everything, on_batch=bar.update)
        click.echo(
            f"checked {done.checked:,} articles: {done.changed:,} given a language, "
            f"{done.unknown:,} too short or unclear to tell"
        )
    for code, count in language_counts(archive).items():
        click.echo(f"{count:>10,}  {display_name(code) if code else '(unknown)'}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Counts: articles, sources, years, index health."""
    from app.services.stats import archive_stats

    archive = _open(ctx)
    data = archive_stats(archive)
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(f"database:  {data['database']}")
    click.echo(f"search:    {data['search_backend']} ({data['index']['detail']})")
    click.echo(f"articles:  {data['articles']}")
    click.echo(f"indexed:   {data['index']['documents']}  (agree: {data['index']['in_sync']})")
    if data["index"]["pending"]:
        click.echo(
            f"behind:    {data['index']['pending']} index updates pending, the oldest "
            f"{data['index']['oldest_pending_seconds']:.0f} s old (`newsarchive catch-up`)"
        )
    click.echo(f"dates:     {data['first_date']} .. {data['last_date']}")
    click.echo(f"sources:   {len(data['sources'])}")
    for source, n in data["sources"][:10]:
        click.echo(f"  {n:>7}  {source}")
    for year, n in data["years"]:
        click.echo(f"  {year}: {n}")


@main.group()
def tokens() -> None:
    """API tokens: create, list, revoke (stored hashed; shown once)."""


@tokens.command("create")
@click.argument("name")
@click.option(
    "--scope",
    type=click.Choice(["read", "write"]),
    default="read",
    show_default=True,
    help="read: GET endpoints only; write: also create, change and delete.",
)
@click.pass_context
def tokens_create(ctx: click.Context, name: str, scope: str) -> None:
    """Create a named token and print it (this is the only time it is shown)."""
    from app.services.tokens import TokenError, create_token

    try:
        _, plain = create_token(_open(ctx), name=name, scope=scope)  # type: ignore[arg-type]
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(plain)
    click.echo(
        f"token {name!r} ({scope}) created; it is stored hashed and will not be shown again",
        err=True,
    )


@tokens.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def tokens_list(ctx: click.Context, as_json: bool) -> None:
    """List tokens (names, scopes, dates; never the tokens themselves)."""
    from app.services.tokens import list_tokens

    rows = [
        {
            "name": t.name,
            "scope": t.scope,
            "created_at": t.created_at.isoformat(timespec="seconds"),
            "last_used_at": t.last_used_at.isoformat(timespec="seconds")
            if t.last_used_at
            else None,
            "revoked_at": t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else None,
        }
        for t in list_tokens(_open(ctx))
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no tokens (create one with `newsarchive tokens create NAME`)")
    for r in rows:
        state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
        used = r["last_used_at"] or "never"
        click.echo(
            f"{r['name']:<24} {r['scope']:<5} created {r['created_at']}  used {used}  {state}"
        )


@tokens.command("revoke")
@click.argument("name")
@click.pass_context
def tokens_revoke(ctx: click.Context, name: str) -> None:
    """Revoke a token by name; requests with it are refused from now on."""
    from app.services.tokens import TokenError, revoke_token

    try:
        revoke_token(_open(ctx), name=name)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"token {name!r} revoked")


if __name__ == "__main__":
    main()
