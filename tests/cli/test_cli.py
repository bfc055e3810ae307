"""The `newsarchive` command: import (good and bad files), reindex, check, stats."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.archive import open_archive
from app.cli.commands import main
from app.config import Settings
from tests.conftest import SEED


def run(settings: Settings, *args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(
        main, ["--data-dir", str(settings.data_dir), *args], input=stdin, catch_exceptions=False
    )


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def good(i: int) -> str:
    return (
        f"date 2021-02-{i % 27 + 1:02d}\ntitle Story {i}\nsource Wire\n\n"
        f"Body of story {i} on trade.\n"
    )


def test_import_seed_and_reimport_adds_nothing(settings: Settings) -> None:
    first = run(settings, "import", str(SEED))
    assert first.exit_code == 0, first.output
    assert "1 files: 1 added, 0 duplicates, 0 failed" in first.output
    again = run(settings, "import", str(SEED))
    assert again.exit_code == 0
    assert "0 added, 1 duplicates" in again.output
    stats = json.loads(run(settings, "stats", "--json").output)
    assert stats["articles"] == 1 and stats["index"]["documents"] == 1
    assert stats["sources"] == [["CNN", 1]]


def test_bad_files_each_get_one_line_and_the_rest_imports(
    settings: Settings, tmp_path: Path
) -> None:
    src = tmp_path / "in"
    for i in range(5):
        write(src, f"good{i}.txt", good(i))
    bad = {
        "nodate.txt": ("Just a body.\n\nNo header.", "no 'date YYYY-MM-DD' header"),
        "impossible.txt": ("date 2022-02-30\n\nBody.", "impossible date '2022-02-30'"),
        "empty.txt": ("", "empty file"),
        "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file"),
        "latin1.txt": (
            "date 2022-01-01\n\nCaf\xe9 society".encode("latin-1"),
            "not valid UTF-8: byte 0xe9",
        ),
        "huge.txt": ("date 2022-01-01\n\n" + "word " * 2000, "file too large"),
    }
    for name, (data, _) in bad.items():
        write(src, name, data)
    small = settings.model_copy(update={"max_article_bytes": 5000})
    # max_article_bytes comes from the environment for the CLI; set it the same way
    result = CliRunner(env={"NEWSARCHIVE_MAX_ARTICLE_BYTES": "5000"}).invoke(
        main, ["--data-dir", str(small.data_dir), "import", str(src)], catch_exceptions=False
    )
    assert result.exit_code == 1
    for name, (_, reason) in bad.items():
        lines = [
            line
            for line in result.output.splitlines()
            if line.startswith("error:") and name in line
        ]
        assert len(lines) == 1, (name, result.output)
        assert reason in lines[0], (reason, lines[0])
    assert "11 files: 5 added, 0 duplicates, 6 failed" in result.output
    assert json.loads(run(settings, "stats", "--json").output)["articles"] == 5


def test_import_globs_directories_missing_paths_and_stdin(
    settings: Settings, tmp_path: Path
) -> None:
    src = tmp_path / "tree"
    write(src, "a/one.txt", good(1))
    write(src, "a/b/two.txt", good(2))
    write(src, "three.md", good(3))
    write(src, "skip.png", b"\x89PNG")
    r = run(settings, "import", str(src / "a"))
    assert "2 files: 2 added" in r.output and r.exit_code == 0
    r = run(settings, "import", str(src / "*.md"))
    assert "1 files: 1 added" in r.output
    r = run(settings, "import", str(tmp_path / "missing.txt"), str(tmp_path / "nomatch*.txt"))
    assert r.exit_code == 1
    assert "missing.txt: no such file or directory" in r.output
    assert "nomatch*.txt: no files match this pattern" in r.output
    r = run(settings, "import", "-", stdin=good(4).encode())
    assert r.exit_code == 0 and "1 added" in r.output


def test_import_with_explicit_encoding(settings: Settings, tmp_path: Path) -> None:
    path = write(
        tmp_path, "latin.txt", "date 2022-01-01\n\nCaf\xe9 society returns".encode("cp1252")
    )
    r = run(settings, "import", "--encoding", "cp1252", str(path))
    assert r.exit_code == 0, r.output
    r = run(settings, "import", "--encoding", "nope", str(path))
    assert "unknown encoding 'nope'" in r.output


def test_check_and_reindex_after_deleting_the_index(settings: Settings, tmp_path: Path) -> None:
    for i in range(3):
        write(tmp_path / "in", f"s{i}.txt", good(i))
    run(settings, "import", str(tmp_path / "in"))
    assert run(settings, "check").exit_code == 0
    shutil.rmtree(settings.resolved_index_dir())
    r = run(settings, "check")
    assert r.exit_code == 1 and "3 missing from the index" in r.output
    r = run(settings, "reindex")
    assert r.exit_code == 0 and "indexed 3 articles" in r.output
    r = run(settings, "check")
    assert r.exit_code == 0 and "they agree" in r.output


def test_check_repair_after_corrupting_the_index(settings: Settings, tmp_path: Path) -> None:
    for i in range(3):
        write(tmp_path / "in", f"s{i}.txt", good(i))
    run(settings, "import", str(tmp_path / "in"))
    for f in settings.resolved_index_dir().iterdir():
        if f.suffix in (".toc", ".seg"):
            f.write_bytes(b"garbage")
    r = run(settings, "check")
    assert r.exit_code == 1 and "index unreadable" in r.output
    r = run(settings, "check", "--repair")
    assert r.exit_code == 0, r.output
    assert "repaired: 3 articles in the database, 3 in the index; they agree" in r.output
    r = run(settings, "import", "-", stdin=good(9).encode())
    assert "1 added" in r.output


def test_check_repair_finds_extra_and_stale(settings: Settings, tmp_path: Path) -> None:
    from app.archive import open_archive
    from app.search.base import IndexDoc

    for i in range(2):
        write(tmp_path / "in", f"s{i}.txt", good(i))
    run(settings, "import", str(tmp_path / "in"))
    archive = open_archive(settings)
    try:
        import datetime as dt

        archive.search.upsert(
            [
                IndexDoc(99, "ghost", "ghost body", dt.date(2020, 1, 1), None, (), "x"),
                IndexDoc(1, "changed", "changed body", dt.date(2020, 1, 1), None, (), "old-hash"),
            ]
        )
    finally:
        archive.close()
    r = run(settings, "check")
    assert "1 in the index but not the database" in r.output
    assert "1 indexed with outdated content" in r.output
    r = run(settings, "check", "--repair")
    assert r.exit_code == 0 and "they agree" in r.output


def test_commands_refuse_an_unmigrated_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh")  # type: ignore[call-arg]
    r = run(settings, "stats")
    assert r.exit_code == 1 and "run `newsarchive migrate`" in r.output
    assert run(settings, "migrate").exit_code == 0
    assert run(settings, "stats").exit_code == 0


@pytest.mark.parametrize("command", ["import", "reindex", "check", "stats", "serve", "migrate"])
def test_help(command: str) -> None:
    assert CliRunner().invoke(main, [command, "--help"]).exit_code == 0


def test_serve_with_several_worker_processes(settings: Settings) -> None:
    import http.client
    import time

    from bench.serving import clean_env, server_process

    serve = ["-c", "from app.cli.commands import main; main()", "serve", "--workers", "2"]
    log = settings.data_dir / "serve.log"
    with server_process(serve, env=clean_env(settings.data_dir), log_path=log) as (base, proc):
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        commands = [Path(f"/proc/{c}/cmdline").read_bytes() for c in children]
        workers = [c for c in commands if b"resource_tracker" not in c]
        assert len(workers) == 2, commands  # the supervisor's two uvicorn workers
        # Keep-alive requests must not wait for the client's delayed ACK (>= 40 ms on Linux):
        # uvicorn's own --workers socket leaves Nagle on (uvicorn issue #3149).
        connection = http.client.HTTPConnection(base.removeprefix("http://"))
        times = []
        for _ in range(6):
            started = time.perf_counter()
            connection.request("GET", "/api/v1/health")
            connection.getresponse().read()
            times.append(time.perf_counter() - started)
        connection.close()
        assert min(times[1:]) < 0.035, times
    assert "Started parent process" in log.read_text()


def test_serve_refuses_workers_with_reload(settings: Settings) -> None:
    result = run(settings, "serve", "--workers", "2", "--reload")
    assert result.exit_code == 2
    assert "--workers and --reload cannot be combined" in result.output


def test_fix_bylines_moves_agencies_stored_as_authors(settings: Settings) -> None:
    from app.archive import open_archive
    from app.services.articles import get_article
    from app.services.searching import SearchParams, search_articles
    from tests.factories import add, make_item

    def by_reuters() -> int:
        archive = open_archive(settings)
        try:
            params = SearchParams(q="author:reuters")
            return search_articles(archive, params=params, snippets=False).total
        finally:
            archive.close()

    archive = open_archive(settings)
    try:
        old, kept = add(
            archive,
            make_item("Oil rose.", authors=["MICHAEL FITZPATRICK", "Reuters"]),
            make_item("Gold fell.", authors=["Jane Doe", "John Roe"]),
        )
    finally:
        archive.close()
    assert by_reuters() == 1
    dry = run(settings, "fix-bylines", "--dry-run")
    assert dry.exit_code == 0 and "would move 1 agency bylines" in dry.output
    result = run(settings, "fix-bylines")
    assert result.exit_code == 0, result.output
    assert f"article {old.id}: 'Reuters'" in result.output
    archive = open_archive(settings)
    try:
        fixed = get_article(archive, article_id=old.id)
        assert (fixed.authors, fixed.source) == (["MICHAEL FITZPATRICK"], "Reuters")
        assert get_article(archive, article_id=kept.id).authors == ["Jane Doe", "John Roe"]
    finally:
        archive.close()
    assert by_reuters() == 0  # re-indexed
    assert "moved 0 agency" in run(settings, "fix-bylines").output
    assert run(settings, "check").exit_code == 0


def _provenance(settings: Settings) -> dict[str, dict[str, object]]:
    from sqlalchemy import select

    from app.archive import open_archive
    from app.models import Article

    archive = open_archive(settings)
    try:
        with archive.sessions() as session:
            rows = session.execute(select(Article.origin, Article.provenance)).all()
            return {Path(str(origin)).name: dict(prov or {}) for origin, prov in rows}
    finally:
        archive.close()


def test_import_undated_files_with_date_options(settings: Settings, tmp_path: Path) -> None:
    undated = "Headline\n\nA story without a date header.\n"
    write(tmp_path / "in" / "2022" / "01" / "06", "a.txt", undated)
    write(tmp_path / "in", "story-20230315.txt", undated.replace("story", "tale"))
    write(tmp_path / "in", "plain.txt", undated.replace("story", "note"))
    folder = str(tmp_path / "in")

    first = run(settings, "import", "-q", folder)
    assert first.exit_code == 1 and first.output.count("--date-from-path") == 3

    by_path = run(settings, "import", "-q", "--date-from-path", folder)
    assert by_path.exit_code == 1, by_path.output
    assert "plain.txt: no 'date YYYY-MM-DD' header line, and no date" in by_path.output
    assert "2 added" in by_path.output

    both = run(settings, "import", "-q", "--date-from-path", "--date", "2005-03-01", folder)
    assert both.exit_code == 0 and "1 added, 2 duplicates" in both.output
    seen = _provenance(settings)
    assert seen["a.txt"]["date"] == {"from": "path", "text": "2022/01/06"}
    assert seen["story-20230315.txt"]["date"] == {"from": "path", "text": "20230315"}
    assert seen["plain.txt"]["date"] == {"from": "--date"}

    bad = run(settings, "import", "--date", "2005-13-01", folder)
    assert bad.exit_code == 2 and "'2005-13-01' is not a date" in bad.output


def test_import_bbc_corpus_with_a_date(settings: Settings, corpora: Path, tmp_path: Path) -> None:
    """The BBC corpus as distributed has no dates: one folder of it loads with --date."""
    tech = sorted((corpora / "bbc_news" / "raw" / "tech").glob("*.txt"))[:40]
    assert len(tech) == 40
    folder = tmp_path / "bbc"  # apart from the archive's own data folder under tmp_path
    folder.mkdir()
    for path in tech:
        shutil.copy(path, folder / path.name)
    assert run(settings, "import", "-q", str(folder)).output.count("error:") == 40
    result = run(settings, "import", "-q", "--date", "2005-01-01", str(folder))
    assert result.exit_code == 0, result.output
    assert "40 files: " in result.output and "0 failed" in result.output
    assert all(p["date"] == {"from": "--date"} for p in _provenance(settings).values())


def test_import_if_empty_seeds_once_and_records_nothing_after(settings: Settings) -> None:
    first = run(settings, "import", "-q", "--if-empty", str(SEED))
    assert first.exit_code == 0 and "1 added" in first.output
    again = run(settings, "import", "-q", "--if-empty", str(SEED))
    assert again.exit_code == 0 and "nothing imported (--if-empty)" in again.output
    history = json.loads(run(settings, "imports", "--json").output)
    assert len(history) == 1


def test_retitle_rederives_derived_headlines_only(settings: Settings) -> None:
    import dataclasses

    from app.archive import open_archive
    from app.ingest.dated_text import parse_dated_text
    from app.services.articles import add_articles, get_article
    from tests.factories import add, make_item

    old_cut = (
        "The top US diplomat said the path of “diplomacy and de-escalation” was one of two the US…"
    )
    archive = open_archive(settings)
    try:
        seed = parse_dated_text(SEED.read_text(encoding="utf-8"))
        [stored] = add_articles(archive, items=[dataclasses.replace(seed, title=old_cut)])
        [given] = add(archive, make_item("Gold fell.", title="A given headline that stays"))
    finally:
        archive.close()
    dry = run(settings, "retitle", "--dry-run")
    assert dry.exit_code == 0 and "would change 1 derived headlines" in dry.output
    assert run(settings, "retitle").exit_code == 0
    archive = open_archive(settings)
    try:
        assert get_article(archive, article_id=stored.article.id).title == seed.title
        assert get_article(archive, article_id=given.id).title == "A given headline that stays"
    finally:
        archive.close()
    assert "changed 0 derived" in run(settings, "retitle").output
    assert run(settings, "check").exit_code == 0


def test_a_busy_archive_is_one_error_line_not_a_traceback(settings: Settings) -> None:
    holder = open_archive(settings)  # another writer: its own lock handle
    try:
        with holder.write_lock():
            result = CliRunner(env={"NEWSARCHIVE_WRITE_LOCK_TIMEOUT": "0.2"}).invoke(
                main, ["--data-dir", str(settings.data_dir), "reindex"]
            )
    finally:
        holder.close()
    assert result.exit_code == 1
    assert "Error: another writer has held the archive" in result.output
    assert "Traceback" not in result.output
