"""The one query language shared by pages, API and every search backend.

    words           all must match (AND is implied)
    a OR b          either
    NOT a, -a       must not match
    "a phrase"      words in this order (curly quotes work too)
    word*           prefix
    title:word  source:"new york times"  author:liptak   field terms
    (a OR b) c      grouping

Operators are upper-case so that "and", "or", "not" stay ordinary words. The parser produces a
small tree that each backend translates; it never depends on any engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

FIELDS = ("title", "body", "source", "author")
MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 64
MIN_PREFIX_CHARS = 2


class QuerySyntaxError(ValueError):
    """The query cannot be understood; the message says where and why, `hint` how to fix it
    (pages show both; the message alone stays the API's)."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Term:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class Phrase:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class Prefix:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Term | Phrase | Prefix | And | Or | Not

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<phrase>["“”„](?P<ptext>[^"“”„]*)["“”„]?)
  | (?P<word>[^\s()"“”„]+)
    """,
    re.VERBOSE,
)
_QUOTES = ('"', "“", "”", "„")
MAX_DEPTH = 20
_FIELD_PREFIX = re.compile(rf"^(?P<field>{'|'.join(FIELDS)}):(?P<rest>.*)$", re.IGNORECASE)


@dataclass
class _Tok:
    kind: str  # lparen rparen phrase word and or not minus field
    text: str
    pos: int


def _tokenize(query: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    for m in _TOKEN.finditer(query):
        kind = m.lastgroup
        pos = m.start() + 1
        if kind == "space":
            continue
        if kind == "phrase":
            raw = m.group("phrase")
            if len(raw) < 2 or raw[-1] not in '"“”„':
                raise QuerySyntaxError(
                    f"unclosed quote at character {pos}",
                    hint='add the closing " after the phrase, or remove the opening one',
                )
            tokens.append(_Tok("phrase", m.group("ptext"), pos))
            continue
        if kind in ("lparen", "rparen"):
            tokens.append(_Tok(kind, m.group(0), pos))
            continue
        word = m.group("word")
        if word in ("-", "+") and query[m.end() : m.end() + 1] in ("(", *_QUOTES):
            # "-(a OR b)" and '-"new york"' exclude the group or phrase that follows.
            if word == "-":
                tokens.append(_Tok("minus", "-", pos))
            continue
        if word in ("AND", "&&"):
            tokens.append(_Tok("and", word, pos))
        elif word in ("OR", "||"):
            tokens.append(_Tok("or", word, pos))
        elif word == "NOT":
            tokens.append(_Tok("not", word, pos))
        else:
            if word.startswith("-") and len(word) > 1:
                tokens.append(_Tok("minus", "-", pos))
                word, pos = word[1:], pos + 1
            elif word.startswith("+") and len(word) > 1:
                word, pos = word[1:], pos + 1  # "+word" means required, which every word is
            field = _FIELD_PREFIX.match(word)
            if field:
                tokens.append(_Tok("field", field.group("field").lower(), pos))
                rest = field.group("rest")
                if rest:
                    tokens.append(_Tok("word", rest, pos + len(field.group("field")) + 1))
            else:
                tokens.append(_Tok("word", word, pos))
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Tok], query: str) -> None:
        self.tokens = tokens
        self.i = 0
        self.query = query
        self.clauses = 0
        self.depth = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_expr(field=None)
        tok = self.peek()
        if tok is not None:
            if tok.kind == "rparen":
                raise QuerySyntaxError(
                    f"unexpected ')' at character {tok.pos}",
                    hint="remove the ')' or add a matching '(' before it",
                )
            raise QuerySyntaxError(
                f"unexpected {tok.text!r} at character {tok.pos}",
                hint="remove it, or put the whole query in quotes to search for it as text",
            )
        return node

    def or_expr(self, field: str | None) -> Node:
        children = [self.and_expr(field)]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.take()
            if self.peek() is None or self.peek().kind in ("or", "and", "rparen"):  # type: ignore[union-attr]
                raise QuerySyntaxError(
                    f"OR at character {tok.pos} has nothing after it",
                    hint="add a word after OR, or remove OR",
                )
            children.append(self.and_expr(field))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self, field: str | None) -> Node:
        children = [self.unary(field)]
        while (tok := self.peek()) is not None and tok.kind not in ("or", "rparen"):
            if tok.kind == "and":
                self.take()
                nxt = self.peek()
                if nxt is None or nxt.kind in ("or", "and", "rparen"):
                    raise QuerySyntaxError(
                        f"AND at character {tok.pos} has nothing after it",
                        hint="add a word after AND, or remove AND",
                    )
            children.append(self.unary(field))
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self, field: str | None) -> Node:
        tok = self.peek()
        if tok is None:
            raise QuerySyntaxError(
                "the query ends where a search term was expected",
                hint="add a word at the end, or remove the operator before it",
            )
        if tok.kind in ("not", "minus"):
            self.take()
            if self.peek() is None or self.peek().kind in ("or", "and", "rparen"):  # type: ignore[union-attr]
                raise QuerySyntaxError(
                    f"{tok.text} at character {tok.pos} has nothing after it",
                    hint="put the word to exclude right after it (NOT budget, -budget)",
                )
            return Not(self.unary(field))
        return self.primary(field)

    def primary(self, field: str | None) -> Node:
        tok = self.take()
        if tok.kind == "lparen":
            if (nxt := self.peek()) is not None and nxt.kind == "rparen":
                raise QuerySyntaxError(
                    f"empty parentheses at character {tok.pos}",
                    hint="put words inside the ( ), or remove them",
                )
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QuerySyntaxError(f"parentheses nested more than {MAX_DEPTH} deep")
            node = self.or_expr(field)
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise QuerySyntaxError(
                    f"'(' at character {tok.pos} is never closed",
                    hint="add a ')' where the group ends, or remove the '('",
                )
            self.take()
            self.depth -= 1
            return node
        if tok.kind == "field":
            if field is not None:
                raise QuerySyntaxError(
                    f"field {tok.text}: at character {tok.pos} is nested",
                    hint="use a field once per group: title:(oil gas), not title:(source:x)",
                )
            nxt = self.peek()
            if nxt is None or nxt.kind not in ("word", "phrase", "lparen"):
                raise QuerySyntaxError(
                    f"{tok.text}: at character {tok.pos} needs a term after it",
                    hint="write the word right after the colon: title:budget",
                )
            return self.primary(tok.text)
        if tok.kind == "phrase":
            return self.leaf(Phrase(" ".join(tok.text.split()), field), tok)
        if tok.kind == "word":
            text = tok.text
            if text.endswith("*"):
                stem = text.rstrip("*")
                if "*" in stem or "?" in stem:
                    raise QuerySyntaxError(
                        f"wildcards are only allowed at the end of a word ({text!r})",
                        hint="keep one * at the end of the word (diplom*)",
                    )
                if len(stem) < MIN_PREFIX_CHARS:
                    raise QuerySyntaxError(
                        f"a prefix needs at least {MIN_PREFIX_CHARS} letters before '*' ({text!r})",
                        hint=f"type at least {MIN_PREFIX_CHARS} letters before the *",
                    )
                return self.leaf(Prefix(stem, field), tok)
            if "*" in text:
                raise QuerySyntaxError(
                    f"wildcards are only allowed at the end of a word ({text!r})",
                    hint="keep one * at the end of the word (diplom*)",
                )
            return self.leaf(Term(text, field), tok)
        if tok.kind == "rparen":
            raise QuerySyntaxError(
                f"unexpected ')' at character {tok.pos}",
                hint="remove the ')' or add a matching '(' before it",
            )
        raise QuerySyntaxError(f"unexpected {tok.text} at character {tok.pos}")

    def leaf(self, node: Node, tok: _Tok) -> Node:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise QuerySyntaxError(f"the query has more than {MAX_CLAUSES} terms")
        if isinstance(node, Phrase) and not node.text:
            raise QuerySyntaxError(
                f"empty quotes at character {tok.pos}",
                hint="put words between the quotes, or remove them",
            )
        return node


def parse_query(query: str | None) -> Node | None:
    """Parse a user query; None when it is empty (which means: everything, newest first)."""
    if query is None or not query.strip():
        return None
    if len(query) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    tokens = _tokenize(query)
    if not tokens:
        return None
    # "NOT x" alone is allowed and means: everything except x.
    return _Parser(tokens, query).parse()


def positive_leaves(node: Node | None) -> Iterator[Term | Phrase | Prefix]:
    """The terms that a match contains (everything outside NOT): what snippets highlight."""
    if node is None or isinstance(node, Not):
        return
    if isinstance(node, And | Or):
        for child in node.children:
            yield from positive_leaves(child)
    else:
        yield node


def to_text(node: Node) -> str:
    """Render a parsed query back in the query language (normalised spacing and operators)."""
    if isinstance(node, Term | Prefix | Phrase):
        prefix = f"{node.field}:" if node.field else ""
        if isinstance(node, Phrase):
            return f'{prefix}"{node.text}"'
        return f"{prefix}{node.text}{'*' if isinstance(node, Prefix) else ''}"
    if isinstance(node, Not):
        child = to_text(node.child)
        return f"NOT ({child})" if isinstance(node.child, And | Or) else f"NOT {child}"
    joiner = " OR " if isinstance(node, Or) else " "
    parts = [
        to_text(c) if isinstance(c, Term | Prefix | Phrase | Not) else f"({to_text(c)})"
        for c in node.children
    ]
    return joiner.join(parts)
