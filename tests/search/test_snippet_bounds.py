"""Snippets start and stop at sentence or word boundaries, with "…" where the text goes on."""

from __future__ import annotations

from app.archive import Archive
from app.search.snippets import widen
from app.services.searching import SearchParams, lead_snippet, search_articles
from tests.factories import add, make_item

TEXT = (
    "The council met on Monday. Councillors argued over the cost of the old bridge, "
    "which has been closed since the spring floods damaged its piers. "
    "A decision is expected next month."
)


def test_widen_reaches_the_sentence_around_a_passage() -> None:
    start = TEXT.index("argued")
    s, e, before, after = widen(TEXT, start, TEXT.index("closed"))
    assert TEXT[s:e].startswith("Councillors argued") and TEXT[s:e].endswith("its piers.")
    assert not before and not after


def test_widen_cuts_at_words_with_ellipses_when_no_sentence_is_near() -> None:
    long = "word " * 40 + "alpha beta gamma delta " + "word " * 40
    s, e, before, after = widen(long, long.index("lpha"), long.index("gamma") + 2)
    assert long[s:e] == "alpha beta gamma"
    assert before and after
    assert widen(long, 0, 10)[2] is False  # the start of the text is no cut


def test_search_snippets_say_where_text_was_left_out(archive: Archive) -> None:
    filler = " ".join(f"Sentence {n} has nothing to do with it." for n in range(40))
    body = f"{filler} lower case start then the pipeline word appears mid way {filler}"
    add(archive, make_item(body=body))
    page = search_articles(archive, params=SearchParams(q="pipeline"))
    snippet = str(page.items[0].snippet)
    # from where a sentence starts (the context before the match is widened back to one)
    assert snippet.startswith("Sentence 3"), snippet
    assert "lower case start then the <mark>pipeline</mark> word" in snippet
    assert snippet.endswith(".") or snippet.endswith(" …")
    # the lead: to the end of a sentence when one is near, else a word and "…"
    assert str(lead_snippet(TEXT, chars=24)) == "The council met on Monday."
    assert str(lead_snippet(TEXT, chars=40)) == "The council met on Monday. Councillors argued …"
