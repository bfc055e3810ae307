"""Function words in a ranked any-word query are left out; everywhere else every word counts."""

from __future__ import annotations

from app.archive import Archive
from app.search.query import parse_query, to_text
from app.search.stopwords import parse_search
from app.services.searching import SearchParams, search_articles
from tests.factories import add, make_item


def to_text_or_none(node: object) -> str | None:
    return None if node is None else to_text(node)  # type: ignore[arg-type]


def test_function_words_leave_ors_of_bare_words() -> None:
    assert to_text_or_none(parse_search("what OR is OR the OR harbour OR strike")) == (
        "harbour OR strike"
    )
    # Nested ORs too, and NOT's child.
    assert to_text_or_none(parse_search("ports -(the OR strike)")) == "ports NOT strike"


def test_words_stay_where_they_carry_meaning() -> None:
    for q in (
        "the",  # alone
        "the OR of",  # nothing else left
        "will smith",  # implied AND
        '"the who"',  # phrase
        "title:the OR strike",  # field
        "WHO OR vaccines",  # typed in capitals
        "us OR may OR will OR 2 OR can",  # not function words here
    ):
        assert parse_search(q) == parse_query(q), q


def _ranked(archive: Archive, q: str) -> list[tuple[int, float | None]]:
    page = search_articles(archive, params=SearchParams(q=q), snippets=False)
    return [(item.article.id, item.score) for item in page.items]


def test_a_question_ranks_as_its_content_words(archive: Archive) -> None:
    add(
        archive,
        make_item("The harbour strike is over, the union said.", title="One"),
        make_item("What the minister said of the budget is not clear.", title="Two"),
        make_item("Is there a strike? There is, and it is at the harbour.", title="Three"),
        make_item("US and May talks: it will take 2 more weeks.", title="Four"),
    )
    question = _ranked(archive, "what OR is OR the OR strike OR at OR the OR harbour")
    assert question == _ranked(archive, "strike OR harbour")
    assert len(question) == 2


def test_single_common_words_stay_searchable(archive: Archive) -> None:
    (four,) = add(archive, make_item("US and May talks: it will take 2 more weeks.", title="X"))
    for q in ("US", "us", "May", "will", "2", "it", "and"):
        assert [i for i, _ in _ranked(archive, q)] == [four.id], q
