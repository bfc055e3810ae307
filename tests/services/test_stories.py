"""Story ids at import (app.services.stories): copies share the id of the story's first article,
agree with the search-time near-duplicate rule, and `rebuild` gives what importing gave."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from app.archive import Archive, open_archive
from app.cli.commands import main
from app.config import Settings
from app.ingest.record import ArticleIn
from app.models import Article, StoryBand
from app.services import stories
from app.services.articles import (
    ArticleChanges,
    add_articles,
    delete_article,
    get_article,
    update_article,
)
from app.services.dedup import near_duplicates, shingles
from tests.factories import add, make_item

VOCAB = [f"w{i}" for i in range(3000)]


def story_text(rng: random.Random, words: int = 120) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(words))


def edited(rng: random.Random, text: str) -> str:
    """A syndicated copy: a dateline, a changed word or two, sometimes a cut ending."""
    words = text.split()
    for _ in range(rng.randint(0, 2)):
        words[rng.randrange(len(words))] = rng.choice(VOCAB)
    if rng.random() < 0.3:
        words = words[: int(len(words) * 0.85)]
    return f"CITY ({rng.choice(['AP', 'Reuters', 'AFP'])}) - " + " ".join(words)


def corpus(seed: int = 7, n: int = 40) -> list[ArticleIn]:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        base = story_text(rng)
        items.append(make_item(base, title=f"Story {i}", source="Origin"))
        items += [
            make_item(edited(rng, base), title=f"Copy {i}.{k}", source=f"Paper {k}")
            for k in range(rng.randint(0, 3))
        ]
    rng.shuffle(items)  # copies may come before the text they copy
    return items


def story_ids(archive: Archive) -> dict[int, int | None]:
    with archive.sessions() as session:
        return {i: s for i, s in session.execute(select(Article.id, Article.story_id))}


@pytest.fixture
def grouped(archive: Archive) -> Archive:
    items = corpus()
    for start in range(0, len(items), 7):  # several batches: matching across and within them
        add_articles(archive, items=items[start : start + 7])
    return archive


def test_copies_share_the_first_copy_id_and_agree_with_the_search_time_rule(
    grouped: Archive,
) -> None:
    ids = story_ids(grouped)
    with grouped.sessions() as session:
        bodies = dict(session.execute(select(Article.id, Article.body)).all())
    sets = {i: shingles(b) for i, b in bodies.items()}
    assert len(set(ids.values())) < len(ids)  # some copies were grouped
    for i, story in ids.items():
        assert story is not None and story <= i
        assert ids[story] == story  # the story id is its first article's id
    for i in ids:
        for j in ids:
            if i < j and near_duplicates(sets[i], sets[j]):
                assert ids[i] == ids[j], (i, j)
    # and only copies are grouped: each member is a near-duplicate of another member
    for i, story in ids.items():
        if story != i:
            assert any(
                near_duplicates(sets[i], sets[j]) for j, s in ids.items() if s == story and j != i
            )


def test_rebuild_from_scratch_gives_what_import_gave(grouped: Archive) -> None:
    imported = story_ids(grouped)
    with grouped.sessions() as session:
        session.execute(update(Article).values(story_id=None, story_signature=None))
        session.execute(delete(StoryBand))
        session.commit()
    assert set(story_ids(grouped).values()) == {None}
    stories.rebuild(grouped)
    assert story_ids(grouped) == imported


def test_cli_rebuild_repairs_story_ids(settings: Settings) -> None:
    archive = open_archive(settings)
    try:
        first, _ = add(archive, *corpus(seed=3, n=3)[:2])
        with archive.sessions() as session:
            session.execute(update(Article).values(story_id=999))
            session.commit()
    finally:
        archive.close()
    result = CliRunner().invoke(
        main, ["--data-dir", str(settings.data_dir), "stories", "--rebuild"]
    )
    assert result.exit_code == 0, result.output
    assert "2 changed story" in result.output
    archive = open_archive(settings)
    try:
        assert get_article(archive, article_id=first.id).story_id == first.id
    finally:
        archive.close()


def test_deleting_a_story_head_makes_the_next_copy_head_it(archive: Archive) -> None:
    rng = random.Random(1)
    base = story_text(rng)
    head, copy1, other, copy2 = add(
        archive,
        make_item(base, source="A"),
        make_item(edited(rng, base), source="B"),
        make_item(story_text(rng), source="C"),
        make_item(edited(rng, base), source="D"),
    )
    found = [a.story_id for a in (head, copy1, other, copy2)]
    assert found == [head.id, head.id, other.id, head.id]
    delete_article(archive, article_id=head.id)
    assert get_article(archive, article_id=copy1.id).story_id == copy1.id
    assert get_article(archive, article_id=copy2.id).story_id == copy1.id
    with archive.sessions() as session:
        assert not session.scalars(select(StoryBand).where(StoryBand.article_id == head.id)).all()
    # a new copy joins the story under its new head
    (late,) = add(archive, make_item(edited(rng, base) + " More.", source="E"))
    assert late.story_id == copy1.id


def test_changing_a_copy_text_takes_it_out_of_its_story(archive: Archive) -> None:
    rng = random.Random(2)
    base = story_text(rng)
    head, copy = add(archive, make_item(base), make_item(edited(rng, base)))
    assert copy.story_id == head.id
    update_article(archive, article_id=copy.id, changes=ArticleChanges(body=story_text(rng)))
    assert get_article(archive, article_id=copy.id).story_id == copy.id
    # and back: a text again a copy rejoins
    update_article(archive, article_id=copy.id, changes=ArticleChanges(body=edited(rng, base)))
    assert get_article(archive, article_id=copy.id).story_id == head.id


def test_signatures_are_the_same_in_every_process() -> None:
    # Python's str hash changes per process; stored signatures and band keys must not.
    text = "the quick brown fox jumps over the lazy dog"
    code = (
        "from app.services.stories import signature, band_keys;"
        f"print(band_keys(signature({text!r})))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {f"{stories.band_keys(stories.signature(text))}\n"}
    assert stories.signature("The quick, brown FOX jumps over the lazy dog!") == (
        stories.signature(text)
    )


@pytest.fixture
def pg_archive(pg_settings: Settings) -> Iterator[Archive]:
    a = open_archive(pg_settings)
    yield a
    a.close()


@pytest.mark.postgres
def test_postgres_import_and_rebuild_agree(pg_archive: Archive) -> None:
    items = corpus(seed=11, n=15)
    for start in range(0, len(items), 5):
        add_articles(pg_archive, items=items[start : start + 5])
    imported = story_ids(pg_archive)
    assert len(set(imported.values())) < len(imported)
    with pg_archive.sessions() as session:
        session.execute(update(Article).values(story_id=None))
        session.execute(delete(StoryBand))
        session.commit()
    stories.rebuild(pg_archive)
    assert story_ids(pg_archive) == imported


def test_signatures_from_the_shared_permutations_equal_a_fresh_minhash() -> None:
    # signature() copies one MinHash made once; stored signatures must not change by it.
    from datasketch import MinHash

    rng = random.Random(7)
    words = "wheat corn price rose fell tonnes export bank rate yen said the of".split()
    texts = ["", "one", "two words", " ".join(rng.choice(words) for _ in range(400))]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 60))) for _ in range(50)]
    for text in texts:
        fresh = MinHash(num_perm=stories.NUM_PERM, seed=stories._SEED)
        if runs := stories._shingle_bytes(text):
            fresh.update_batch(runs)
        assert stories.signature(text) == fresh.hashvalues.astype("<u4").tobytes(), text
