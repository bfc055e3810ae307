"""`newsarchive export` and `import` of the export restore an archive losslessly."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from app.cli.commands import main
from app.config import Settings
from tests.conftest import SEED


def cli(settings: Settings, *args: str) -> Result:
    env = {
        "NEWSARCHIVE_DATABASE_URL": settings.database_url or "",
        "NEWSARCHIVE_SEARCH_BACKEND": settings.search_backend,
    }
    return CliRunner(env=env).invoke(
        main, ["--data-dir", str(settings.data_dir), *args], catch_exceptions=False
    )


def populate(settings: Settings, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(5):
        (src / f"s{i}.txt").write_text(
            f"date 2020-0{i + 1}-1{i}\ntitle Story {i} – “quoted”\nsource Wire\nauthor Ann Lee\n"
            f"url https://example.org/{i}\nlanguage en\n\nBody {i} with café and <b>tags</b>.\n",
            encoding="utf-8",
        )
    assert cli(settings, "import", str(src), str(SEED)).exit_code == 0


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def roundtrip(source: Settings, target: Settings, tmp_path: Path) -> None:
    populate(source, tmp_path)
    # a gap in the ids must survive too
    from app.archive import open_archive
    from app.services.articles import delete_article

    archive = open_archive(source)
    delete_article(archive, article_id=2)
    archive.close()
    first = tmp_path / "first.ndjson"
    assert cli(source, "export", "-o", str(first)).exit_code == 0
    r = cli(target, "import", str(first))
    assert r.exit_code == 0, r.output
    assert "5 added" in r.output
    second = tmp_path / "second.ndjson"
    assert cli(target, "export", "-o", str(second)).exit_code == 0
    a, b = lines(first), lines(second)
    assert a[0]["format"] == b[0]["format"] == "newsarchive-export"
    assert a[1:] == b[1:]  # every field, ids and timestamps included
    assert [r["id"] for r in a[1:]] == [1, 3, 4, 5, 6]
    # importing the export again adds nothing; new articles continue after the highest id
    again = cli(target, "import", str(first))
    assert "0 added, 5 duplicates" in again.output
    new = tmp_path / "new.txt"
    new.write_text("date 2023-01-01\n\nA brand new story.\n", encoding="utf-8")
    assert cli(target, "import", str(new)).exit_code == 0
    archive = open_archive(target)
    try:
        from app.services.searching import SearchParams, search_articles

        page = search_articles(archive, params=SearchParams(q="brand new"))
        assert [i.article.id for i in page.items] == [7]
        assert search_articles(archive, params=SearchParams(q="café")).total == 4  # 2 deleted
    finally:
        archive.close()


def test_export_roundtrip_sqlite(settings: Settings, tmp_path: Path, migrated_db: Path) -> None:
    import shutil

    target_dir = tmp_path / "target"
    target_dir.mkdir()
    shutil.copy(migrated_db, target_dir / "archive.db")
    target = settings.model_copy(update={"data_dir": target_dir})
    roundtrip(settings, target, tmp_path)


def test_damaged_export_lines_are_reported(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_text(
        '{"format": "newsarchive-export", "version": 1}\n'
        '{"published": "2020-01-01", "body": "Fine body.", "title": "ok"}\n'
        "not json\n"
        '{"published": "2020-13-01", "body": "x", "title": "t"}\n'
        '{"published": "2020-01-01", "body": "Tampered.", "title": "t", "content_hash": "00"}\n'
        '{"body": "no date", "title": "t"}\n',
        encoding="utf-8",
    )
    r = cli(settings, "import", str(path))
    assert r.exit_code == 1
    assert "1 added" in r.output and "4 failed" in r.output
    assert f"{path}:3: not JSON" in r.output
    assert f"{path}:4: bad value" in r.output
    assert f"{path}:5: content_hash does not match" in r.output
    assert f"{path}:6: missing field 'published'" in r.output


def restore_into_a_busy_archive(source: Settings, target: Settings, tmp_path: Path) -> None:
    """An export restored into an archive that already has articles keeps the ids that are
    free, gives the others new ones and says so (issue 17, D16)."""
    from app.archive import open_archive
    from app.models import Article

    src = tmp_path / "six"
    src.mkdir()
    for i in range(6):
        (src / f"a{i}.txt").write_text(f"date 2020-01-0{i + 1}\n\nSource story {i}.\n")
    assert cli(source, "import", str(src)).exit_code == 0
    mine = tmp_path / "three"
    mine.mkdir()
    for i in range(3):
        (mine / f"b{i}.txt").write_text(f"date 2021-01-0{i + 1}\n\nTarget story {i}.\n")
    assert cli(target, "import", str(mine)).exit_code == 0
    dump = tmp_path / "six.ndjson"
    assert cli(source, "export", "-o", str(dump)).exit_code == 0
    r = cli(target, "import", str(dump))
    assert r.exit_code == 0, r.output
    assert "6 added" in r.output and "3 given new ids (theirs were taken)" in r.output
    assert "note: article 1 stored as 7 (id 1 was taken)" in r.output
    archive = open_archive(target)
    try:
        with archive.sessions() as session:
            rows = {a.id: a.body for a in session.query(Article)}
    finally:
        archive.close()
    assert sorted(rows) == list(range(1, 10))
    assert [rows[i] for i in (4, 5, 6)] == [f"Source story {i}." for i in (3, 4, 5)]  # kept
    assert cli(target, "check").exit_code == 0


def test_restore_into_a_non_empty_archive_sqlite(
    settings: Settings, tmp_path: Path, migrated_db: Path
) -> None:
    import shutil

    target_dir = tmp_path / "target"
    target_dir.mkdir()
    shutil.copy(migrated_db, target_dir / "archive.db")
    target = settings.model_copy(update={"data_dir": target_dir})
    restore_into_a_busy_archive(settings, target, tmp_path)
