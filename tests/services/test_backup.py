"""Consistent backups while writes go on, restore, and an export from one snapshot (issue 17,
D15)."""

from __future__ import annotations

import io
import json
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.archive import open_archive
from app.cli.commands import main
from app.config import Settings
from app.services.articles import delete_article
from app.services.export import export_ndjson
from app.services.index_sync import check
from app.services.searching import SearchParams, search_articles
from app.services.tokens import create_token
from tests.factories import add, make_item


def cli(data: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--data-dir", str(data), *args])


def test_export_reads_one_snapshot_while_writes_go_on(settings: Settings) -> None:
    archive = open_archive(settings)
    try:
        add(archive, *[make_item(f"Story number {i}.") for i in range(30)])
        out = io.StringIO()
        writes: list[str] = []

        def write_between_batches(n: int) -> None:
            if not writes:  # after the first batch: delete one still to come, add one more
                delete_article(archive, article_id=25)
                add(archive, make_item("A story added during the export."))
                writes.append("done")

        count = export_ndjson(archive, out, on_progress=write_between_batches, batch_size=10)
    finally:
        archive.close()
    ids = [json.loads(line)["id"] for line in out.getvalue().splitlines()[1:]]
    assert writes and count == 30
    assert ids == list(range(1, 31))  # as it was when the export began: 25 kept, 31 not yet


def test_backup_while_writing_then_restore(settings: Settings, tmp_path: Path) -> None:
    archive = open_archive(settings)
    add(archive, *[make_item(f"Harbour story {i}.") for i in range(40)])
    create_token(archive, name="robot", scope="write")
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        i = 0
        while not stop.is_set():
            add(archive, make_item(f"Harbour story written during the backup {i}."))
            written.append(i)
            i += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        result = cli(settings.data_dir, "backup", str(tmp_path / "bk"))
    finally:
        stop.set()
        writer.join()
        archive.close()
    assert result.exit_code == 0, result.output
    assert written, "the writer made no writes during the backup"
    meta = json.loads((tmp_path / "bk" / "backup.json").read_text())
    assert meta["articles"] >= 40 and "checksums verified" in meta["index"]

    # Restore into a fresh folder: the database as at one instant, the index level with it.
    target = tmp_path / "restored"
    assert cli(target, "migrate").exit_code == 0
    result = cli(target, "restore", str(tmp_path / "bk"))
    assert result.exit_code == 0, result.output
    assert f"restored {meta['articles']} articles" in result.output
    assert "they agree" in result.output
    restored = open_archive(settings.model_copy(update={"data_dir": target}))
    try:
        assert check(restored).ok
        total = search_articles(restored, params=SearchParams(q="harbour")).total
        assert total == meta["articles"]
        from app.services.tokens import list_tokens

        assert [t.name for t in list_tokens(restored)] == ["robot"]
    finally:
        restored.close()


def test_restore_refuses_to_replace_articles_without_force(
    settings: Settings, tmp_path: Path
) -> None:
    archive = open_archive(settings)
    try:
        add(archive, make_item("The one story."))
    finally:
        archive.close()
    assert cli(settings.data_dir, "backup", str(tmp_path / "bk")).exit_code == 0
    result = cli(settings.data_dir, "restore", str(tmp_path / "bk"))
    assert (
        result.exit_code == 1 and "has 1 articles" in result.output and "--force" in result.output
    )
    assert cli(settings.data_dir, "restore", "--force", str(tmp_path / "bk")).exit_code == 0
    # A backup folder must be new (or empty); a damaged backup is refused with the reason.
    assert "not an empty folder" in cli(settings.data_dir, "backup", str(tmp_path / "bk")).output
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "archive.db").write_bytes(b"not a database at all" * 100)
    result = cli(settings.data_dir, "restore", "--force", str(tmp_path / "bad"))
    assert result.exit_code == 1 and "not a readable SQLite database" in result.output


def test_a_backup_without_its_index_is_rebuilt_on_restore(
    settings: Settings, tmp_path: Path
) -> None:
    archive = open_archive(settings)
    try:
        add(archive, *[make_item(f"Quay story {i}.") for i in range(5)])
    finally:
        archive.close()
    assert cli(settings.data_dir, "backup", str(tmp_path / "bk")).exit_code == 0
    shutil.rmtree(tmp_path / "bk" / "index")
    target = tmp_path / "restored"
    result = cli(target, "restore", str(tmp_path / "bk"))
    assert result.exit_code == 0 and "5 articles in the database, 5 in the index" in result.output


@pytest.mark.postgres
def test_backup_on_postgres_points_to_pg_dump(pg_settings: Settings, tmp_path: Path) -> None:
    from app.services.backup import BackupError, backup

    archive = open_archive(pg_settings)
    try:
        with pytest.raises(BackupError, match="pg_dump"):
            backup(archive, dest=tmp_path / "bk")
    finally:
        archive.close()
