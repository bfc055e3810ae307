"""Unit tests for the query language parser (app.search.query)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.search.query import (
    MAX_CLAUSES,
    MAX_QUERY_CHARS,
    And,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    QuerySyntaxError,
    Term,
    parse_query,
    positive_leaves,
    to_text,
)


def T(text: str, field: str | None = None) -> Term:
    return Term(text, field)


def syntax_error(query: str) -> str:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    return str(info.value)


# --- trees ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("russia", T("russia")),
        ("  russia  ", T("russia")),
        ("russia ukraine", And((T("russia"), T("ukraine")))),
        ("russia AND ukraine", And((T("russia"), T("ukraine")))),
        ("russia && ukraine", And((T("russia"), T("ukraine")))),
        ("a b c", And((T("a"), T("b"), T("c")))),
        ("russia OR ukraine", Or((T("russia"), T("ukraine")))),
        ("russia || ukraine", Or((T("russia"), T("ukraine")))),
        ("a OR b OR c", Or((T("a"), T("b"), T("c")))),
        # AND binds tighter than OR
        ("a OR b c", Or((T("a"), And((T("b"), T("c")))))),
        ("a b OR c d", Or((And((T("a"), T("b"))), And((T("c"), T("d")))))),
        ("(a OR b) c", And((Or((T("a"), T("b"))), T("c")))),
        ("((a))", T("a")),
        ("NOT russia", Not(T("russia"))),
        ("-russia", Not(T("russia"))),
        ("ukraine NOT russia", And((T("ukraine"), Not(T("russia"))))),
        ("ukraine -russia", And((T("ukraine"), Not(T("russia"))))),
        ("ukraine AND NOT russia", And((T("ukraine"), Not(T("russia"))))),
        ("NOT (a OR b)", Not(Or((T("a"), T("b"))))),
        ("NOT NOT a", Not(Not(T("a")))),
        ('"new york"', Phrase("new york")),
        ("“new york”", Phrase("new york")),
        ("„new york“", Phrase("new york")),
        ('"  new   york "', Phrase("new york")),
        ('nato "new york" -talks', And((T("nato"), Phrase("new york"), Not(T("talks"))))),
        ("ukr*", Prefix("ukr")),
        ("ukr**", Prefix("ukr")),
        ("title:blinken", T("blinken", "title")),
        ("Title:Blinken", T("Blinken", "title")),
        ("author:liptak", T("liptak", "author")),
        ("body:pipeline", T("pipeline", "body")),
        ("title: blinken", T("blinken", "title")),
        ("title:ukr*", Prefix("ukr", "title")),
        ('source:"new york times"', Phrase("new york times", "source")),
        ("source:“new york times”", Phrase("new york times", "source")),
        ("title:(a OR b)", Or((T("a", "title"), T("b", "title")))),
        ("title:(a bb*)", And((T("a", "title"), Prefix("bb", "title")))),
        ("title:(a -b)", And((T("a", "title"), Not(T("b", "title"))))),
        ("-title:x", Not(T("x", "title"))),
        ("foo:bar", T("foo:bar")),  # not a known field: an ordinary word
        ("cats and dogs", And((T("cats"), T("and"), T("dogs")))),
        ("cats or dogs", And((T("cats"), T("or"), T("dogs")))),
        ("not dogs", And((T("not"), T("dogs")))),
        ("Or And Not", And((T("Or"), T("And"), T("Not")))),
        ("+word", T("word")),
        ("+russia -ukraine", And((T("russia"), Not(T("ukraine"))))),
        ("+title:x", T("x", "title")),
        ("-", T("-")),
        ("U.S.", T("U.S.")),
        ("de-escalation", T("de-escalation")),
        ("Russia’s", T("Russia’s")),
    ],
)
def test_tree(query: str, tree: Node) -> None:
    assert parse_query(query) == tree


@pytest.mark.parametrize("query", [None, "", "   ", "\n\t"])
def test_empty_query_is_none(query: str | None) -> None:
    assert parse_query(query) is None


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("-(a OR b)", Not(Or((T("a"), T("b"))))),
        ('nato -"new york"', And((T("nato"), Not(Phrase("new york"))))),
    ],
)
def test_minus_before_group_or_phrase(query: str, tree: Node) -> None:
    assert parse_query(query) == tree


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"unclosed', "unclosed quote at character 1"),
        ('nato "new york', "unclosed quote at character 6"),
        ("“curly unclosed", "unclosed quote at character 1"),
        ("(a OR b", "'(' at character 1 is never closed"),
        ("x (a (b)", "'(' at character 3 is never closed"),
        ("a OR b)", "unexpected ')' at character 7"),
        (")", "unexpected ')' at character 1"),
        ("(a))", "unexpected ')' at character 4"),
        ("()", "empty parentheses at character 1"),
        ("a ( ) b", "empty parentheses at character 3"),
        ('""', "empty quotes at character 1"),
        ('title:""', "empty quotes at character 7"),
        ("a OR", "OR at character 3 has nothing after it"),
        ("a OR OR b", "OR at character 3 has nothing after it"),
        ("(a OR) b", "OR at character 4 has nothing after it"),
        ("OR a", "unexpected OR at character 1"),
        ("a AND", "AND at character 3 has nothing after it"),
        ("a AND OR b", "AND at character 3 has nothing after it"),
        ("AND a", "unexpected AND at character 1"),
        ("NOT", "NOT at character 1 has nothing after it"),
        ("a NOT", "NOT at character 3 has nothing after it"),
        ("a NOT OR b", "NOT at character 3 has nothing after it"),
        ("(NOT)", "NOT at character 2 has nothing after it"),
        ("*foo", "wildcards are only allowed at the end of a word ('*foo')"),
        ("f*o", "wildcards are only allowed at the end of a word ('f*o')"),
        ("fo*o*", "wildcards are only allowed at the end of a word ('fo*o*')"),
        ("a*", "a prefix needs at least 2 letters before '*' ('a*')"),
        ("*", "a prefix needs at least 2 letters before '*' ('*')"),
        ("title:x*", "a prefix needs at least 2 letters before '*' ('x*')"),
        ("title:", "title: at character 1 needs a term after it"),
        ("x source:", "source: at character 3 needs a term after it"),
        ("title:(a title:b)", "field title: at character 10 is nested"),
        ("a (", "the query ends where a search term was expected"),
    ],
)
def test_syntax_errors(query: str, expected: str) -> None:
    assert syntax_error(query) == expected


def test_error_is_a_value_error() -> None:
    assert issubclass(QuerySyntaxError, ValueError)


def test_too_long_query() -> None:
    assert parse_query("x" * MAX_QUERY_CHARS) == T("x" * MAX_QUERY_CHARS)
    message = syntax_error("x" * (MAX_QUERY_CHARS + 1))
    assert message == f"the query is longer than {MAX_QUERY_CHARS} characters"


def test_too_many_terms() -> None:
    at_limit = parse_query(" ".join(f"w{i}" for i in range(MAX_CLAUSES)))
    assert isinstance(at_limit, And)
    assert len(at_limit.children) == MAX_CLAUSES
    message = syntax_error(" ".join(f"w{i}" for i in range(MAX_CLAUSES + 1)))
    assert message == f"the query has more than {MAX_CLAUSES} terms"
    # terms under NOT and inside groups count too
    assert "more than" in syntax_error(" ".join(f"-w{i}" for i in range(MAX_CLAUSES + 1)))
    assert "more than" in syntax_error(
        "(" + " OR ".join(f"w{i}" for i in range(MAX_CLAUSES + 1)) + ")"
    )


@pytest.mark.parametrize("depth", [300, 499])
def test_deep_nesting_gives_a_syntax_error_or_a_tree(depth: int) -> None:
    query = "(" * depth + "a" + ")" * depth
    assert len(query) <= MAX_QUERY_CHARS
    with contextlib.suppress(QuerySyntaxError):
        assert parse_query(query) == T("a")


# --- positive_leaves --------------------------------------------------------------------------


def test_positive_leaves_skip_not() -> None:
    tree = parse_query('a -b (c OR NOT d) "e f" gg* NOT (h OR i) title:j')
    assert list(positive_leaves(tree)) == [
        T("a"),
        T("c"),
        Phrase("e f"),
        Prefix("gg"),
        T("j", "title"),
    ]


def test_positive_leaves_of_a_single_leaf_and_of_nothing() -> None:
    assert list(positive_leaves(parse_query("word"))) == [T("word")]
    assert list(positive_leaves(parse_query("NOT word"))) == []
    assert list(positive_leaves(None)) == []


def test_positive_leaves_keep_fields() -> None:
    tree = parse_query('title:(a OR b) source:"new york times"')
    assert list(positive_leaves(tree)) == [
        T("a", "title"),
        T("b", "title"),
        Phrase("new york times", "source"),
    ]


# --- to_text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("a AND b", "a b"),
        ("a && b || c", "(a b) OR c"),
        ("a -b", "a NOT b"),
        ("“new  york”", '"new york"'),
        ("Title:x", "title:x"),
        ("title:(a OR b)", "title:a OR title:b"),
        ("ukr**", "ukr*"),
        ("+word", "word"),
    ],
)
def test_to_text_normalises(query: str, text: str) -> None:
    tree = parse_query(query)
    assert tree is not None
    assert to_text(tree) == text


ROUND_TRIP = [
    "russia",
    "russia ukraine",
    "russia OR ukraine",
    "a OR b c",
    "a b OR c d",
    "(a OR b) c",
    "(a OR b) OR c",
    "a (b OR (c d))",
    "ukraine -russia",
    "ukraine NOT russia",
    "NOT NOT a",
    '"new york" times',
    "“curly phrase” OR ukr*",
    "title:blinken",
    "title:(a OR b)",
    "title:(a bb*)",
    'source:"new york times" author:liptak',
    "-title:x body:y",
    "cats and dogs or not",
    "+word && other || third",
    "a AND (b OR c) AND NOT d",
    "U.S. officials de-escalation Russia’s",
    "foo:bar",
]


@pytest.mark.parametrize("query", ROUND_TRIP)
def test_to_text_round_trips(query: str) -> None:
    tree = parse_query(query)
    assert tree is not None
    text = to_text(tree)
    assert parse_query(text) == tree
    assert to_text(parse_query(text)) == text  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["NOT (a OR b)", "x NOT (a b)", "-title:(a OR b)"])
def test_to_text_round_trips_not_of_a_group(query: str) -> None:
    tree = parse_query(query)
    assert tree is not None
    assert parse_query(to_text(tree)) == tree


# --- never crashes ----------------------------------------------------------------------------


def _node_none_or_syntax_error(query: str) -> None:
    try:
        tree = parse_query(query)
    except QuerySyntaxError as exc:
        assert str(exc)
        return
    assert tree is None or isinstance(tree, Term | Phrase | Prefix | And | Or | Not)
    if tree is None:
        assert not query.strip()
    for leaf in positive_leaves(tree):
        assert leaf.text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parse_query_arbitrary_text(query: str) -> None:
    _node_none_or_syntax_error(query)


_QUERY_TOKENS = st.sampled_from(
    [
        "a", "bb", "russia", "ukr*", "a*", "*x", "f*o", "AND", "OR", "NOT", "&&", "||", "and",
        "-", "-x", "+y", "(", ")", '"', "“", "”", "„", "title:", "source:", "author:", "body:",
        "foo:", " ", "  ",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_QUERY_TOKENS, max_size=40))
def test_parse_query_token_soup(tokens: list[str]) -> None:
    _node_none_or_syntax_error("".join(tokens))
    _node_none_or_syntax_error(" ".join(tokens))
