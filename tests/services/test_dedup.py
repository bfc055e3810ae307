"""Near-duplicates folded in results: a syndicated copy of the seed article (real text)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.services.dedup import (
    containment,
    group_near_duplicates,
    jaccard,
    near_duplicates,
    shingles,
)
from tests.api.test_api import post_json, post_seed
from tests.conftest import SEED


def _copy() -> str:
    # The same story as carried by another outlet: new dateline and attribution, one sentence cut.
    body = SEED.read_text(encoding="utf-8").split("\n", 1)[1]
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    return "WASHINGTON (Wire) -\n\n" + "\n\n".join(paragraphs[:-2]) + "\n\nWire staff report."


def test_shingles_tell_copies_from_other_stories() -> None:
    seed = SEED.read_text(encoding="utf-8")
    assert jaccard(shingles(seed), shingles(_copy())) >= 0.7
    other = "Blinken said Russia must choose diplomacy or face costs, officials in Geneva said."
    assert jaccard(shingles(seed), shingles(other)) < 0.1
    assert group_near_duplicates([seed, other, _copy()]) == [[0, 2], [1]]
    assert group_near_duplicates([]) == []


def test_a_copy_cut_short_is_folded_but_a_rewritten_update_is_not() -> None:
    body = SEED.read_text(encoding="utf-8").split("\n", 1)[1]
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    cut = "\n\n".join(paragraphs[: len(paragraphs) // 2])  # an outlet kept the first half
    full, short = shingles(body), shingles(cut)
    assert jaccard(full, short) < 0.7 and containment(full, short) == 1.0
    assert near_duplicates(full, short)
    # An update: the first paragraphs kept, the rest new (from another story).
    other = "Officials in Geneva said the talks would resume next week. " * 3
    update = "\n\n".join([*paragraphs[:2], other, "The foreign ministers spoke by phone."])
    assert not near_duplicates(full, shingles(update))
    assert group_near_duplicates([body, update, cut]) == [[0, 2], [1]]


def test_search_folds_copies_on_the_page_and_in_the_api(
    client: TestClient, auth: dict[str, str]
) -> None:
    seed = post_seed(client, auth)
    copy = post_json(client, auth, date="2022-01-06", title="Blinken: two paths", body=_copy())
    other = post_json(
        client, auth, date="2022-01-07", title="Geneva", body="Blinken and Russia in Geneva talks."
    )
    plain = client.get("/api/v1/search", params={"q": "blinken", "sort": "oldest"}).json()
    assert [r["id"] for r in plain["results"]] == [seed["id"], copy["id"], other["id"]]
    folded = client.get(
        "/api/v1/search", params={"q": "blinken", "sort": "oldest", "collapse": "true"}
    ).json()
    assert folded["total"] == 3
    assert [r["id"] for r in folded["results"]] == [seed["id"], other["id"]]
    assert [s["id"] for s in folded["results"][0]["similar"]] == [copy["id"]]
    assert "similar" not in folded["results"][1]

    # every copy (story=0): the page folds its near-duplicates; by default it folds by story
    page = client.get("/search", params={"q": "blinken", "sort": "oldest", "story": "0"}).text
    assert "1 similar" in page and "<details" in page
    page = client.get("/search", params={"q": "blinken", "sort": "oldest"}).text
    assert "1 similar" not in page and "1 other copy of this story" in page
