"""BM25 ranking for the PostgreSQL backend, over a bounded set of candidates.

PostgreSQL's own ranking (`ts_rank_cd`) has no idf and normalises length its own way. Here the
database finds the matches (GIN), and for each candidate returns its field lengths and its
vectors cut down to the query lexemes (`term_freqs` counts title and body); document
frequencies, the article count and the average field lengths come from `search_terms` and
`search_totals` (kept by triggers in the writing transaction, migration e3a91c5d7b20). The score
is then `app.search.bm25`, the Whoosh backend's formula and constants.

When more articles match than CANDIDATES (and than the page needs), the candidates are the top
CANDIDATES by a cheaper order computed inside the database: each query word's `ts_rank_cd`
weighted by its idf. bench.relevance --backend postgres --candidates N measures what the bound
costs (docs/relevance.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    Double,
    Text,
    cast,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, column

from app.models import Article
from app.search import query as q
from app.search.bm25 import Collection, DocTerms, Leaf, score_tree
from app.search.postgres_lang import ENGLISH

# Candidates scored by BM25 when more articles match (the page's end, if deeper, instead).
CANDIDATES = 1000
# A prefix is scored by at most this many of its commonest completions (all of them match).
PREFIX_EXPANSIONS = 100

STEMMED: ColumnElement[Any] = literal_column("'na_english'::regconfig")
BODY_WEIGHT: ColumnElement[Any] = literal_column("'{d}'::\"char\"[]")
# ts_rank_cd's weights for D (body), C, B, A (title): a title word counts twice a body word.
RANK_WEIGHTS: ColumnElement[Any] = literal_column("'{0.1, 0.2, 0.4, 0.2}'::float4[]")
search_vector: ColumnElement[Any] = column("search_vector")
title_vector: ColumnElement[Any] = column("title_vector")
exact_vector: ColumnElement[Any] = column("exact_vector")


@dataclass(frozen=True)
class Ranked:
    """Scored candidates, best first, and whether they are every match."""

    ids: list[int]
    scores: list[float]
    complete: bool


@dataclass(frozen=True)
class Plan:
    """A query ready to score: its text leaves, the tsqueries whose match must be asked for,
    the lexemes to count, and the collection statistics."""

    leaves: dict[q.Node, Leaf]
    checks: dict[q.Node, ColumnElement[Any]]
    # Leaves not scored (source:, author:, and any under NOT): whether they match, in SQL.
    conditions: dict[q.Node, ColumnElement[bool]]
    lexemes: list[str]
    exact: list[str]
    stats: Collection

    def leaf(self, node: q.Node) -> Leaf | None:
        return self.leaves.get(node)


def plan(
    conn: Connection,
    node: q.Node,
    *,
    normalize: Callable[[str], str],
    tsquery: Callable[[q.Term | q.Phrase | q.Prefix], ColumnElement[Any] | None],
    prefix_words: Callable[[str], list[str]],
    condition: Callable[[q.Node], ColumnElement[bool] | None],
    languages: Sequence[str] = (ENGLISH,),
) -> Plan:
    """Look up the lexemes of the query's text leaves and their statistics (two round trips).
    A word analysed differently by the `languages` (app.search.postgres_lang) scores as the
    best of its analyses in each article."""
    text_leaves = [
        leaf
        for leaf in dict.fromkeys(q.positive_leaves(node))
        if leaf.field in (None, "title", "body") and tsquery(leaf) is not None
    ]
    words = [leaf for leaf in text_leaves if not isinstance(leaf, q.Prefix)]
    # leaf -> its distinct analyses' lexemes, in `languages` order (English first)
    lexemes_of: dict[q.Term | q.Phrase | q.Prefix, list[tuple[str, ...]]] = {}
    exact_of: dict[q.Node, tuple[str, ...]] = {}
    if words:
        texts = [_as_whoosh_words(normalize(leaf.text)) for leaf in words]
        rows = conn.execute(_LEXEMES, {"texts": texts, "langs": list(languages or (ENGLISH,))})
        for ordinal, found, exact in rows:
            word = words[int(ordinal) - 1]
            analysed = lexemes_of.setdefault(word, [])
            if found and tuple(found) not in analysed:
                analysed.append(tuple(found))
            exact_of[word] = tuple(exact or ())
    for leaf in text_leaves:
        if isinstance(leaf, q.Prefix):
            lexemes_of[leaf] = [_expand_prefix(conn, prefix_words(leaf.text))]
    leaves: dict[q.Node, Leaf] = {}
    checks: dict[q.Node, ColumnElement[Any]] = {}
    for text_leaf, analysed in lexemes_of.items():
        leaf = text_leaf
        found_leaves = [_leaf(leaf, found, exact_of.get(leaf, ())) for found in analysed if found]
        if not found_leaves:
            continue
        if len(found_leaves) == 1:
            leaves[leaf] = found_leaves[0]
        else:
            leaves[leaf] = Leaf(
                lexemes=tuple(dict.fromkeys(x for f in found_leaves for x in f.lexemes)),
                title=leaf.field in (None, "title"),
                body=leaf.field in (None, "body"),
                alternatives=tuple(found_leaves),
            )
        # A phrase (or a prefix) may have its words without matching: ask the database.
        if isinstance(leaf, q.Prefix) or any(len(f.lexemes) != 1 for f in found_leaves):
            query = tsquery(leaf)
            if query is not None:
                checks[leaf] = query
    every = [f for leaf in leaves.values() for f in (leaf.alternatives or (leaf,))]
    lexemes = sorted({lexeme for leaf in every for lexeme in leaf.lexemes})
    exact = sorted({lexeme for leaf in every for lexeme in leaf.exact})
    conditions: dict[q.Node, ColumnElement[bool]] = {}
    for other in dict.fromkeys(_leaves(node)):
        if other not in leaves and (found_condition := condition(other)) is not None:
            conditions[other] = found_condition
    stats = _collection(conn, lexemes, exact)
    return Plan(leaves, checks, conditions, lexemes, exact, stats)


# Each text's lexemes per analysis (English exactly as before languages), and its exact forms.
_LEXEMES = text(
    "SELECT t.ord, array(SELECT u.lexeme FROM unnest(CASE WHEN k.lang = 'en' "
    "THEN to_tsvector('na_english'::regconfig, t.txt) "
    "ELSE to_tsvector(na_config(k.lang), na_text(k.lang, t.txt)) END) AS u), "
    "array(SELECT u.lexeme FROM unnest(to_tsvector('na_simple'::regconfig, t.txt)) AS u) "
    "FROM unnest(CAST(:texts AS text[])) WITH ORDINALITY AS t(txt, ord), "
    "unnest(CAST(:langs AS text[])) WITH ORDINALITY AS k(lang, kord) "
    "ORDER BY t.ord, k.kord"
)


def _leaf(
    leaf: q.Term | q.Phrase | q.Prefix, found: tuple[str, ...], exact: tuple[str, ...]
) -> Leaf:
    """One analysis of a text leaf: one word, quoted or not, scores as the Whoosh backend's
    four-field term; a phrase or a prefix by its lexemes."""
    single = not isinstance(leaf, q.Prefix) and len(found) == 1
    return Leaf(
        lexemes=found,
        title=leaf.field in (None, "title"),
        body=leaf.field in (None, "body"),
        exact=exact if single else (),
    )


# The Whoosh backend's tokens (app/search/whoosh/analysis.py TOKEN_PATTERN): acronyms with
# dots, else word characters with inner apostrophes. Hyphens and lone dots split words.
_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|\w+(?:['’]\w+)*")
_POSSESSIVE = re.compile(r"['’]s$|(?<=s)['’]$", re.IGNORECASE)


def _as_whoosh_words(text: str) -> str:
    """A leaf's text split into words as the Whoosh backend splits it, possessives stripped,
    so both backends score the same words: PostgreSQL's parser reads "feisal's" as two words
    ("feisal", "s"), "half-brother" as three ("half-brother", "half", "brother") and "U.N" as
    one; Whoosh as one ("feisal"), two and two. Matching still uses the leaf's own tsquery."""
    return " ".join(_POSSESSIVE.sub("", token) for token in _TOKEN.findall(text))


def _leaves(node: q.Node) -> list[q.Node]:
    """Every leaf of the query, under NOT too."""
    if isinstance(node, q.Not):
        return _leaves(node.child)
    if isinstance(node, q.And | q.Or):
        return [leaf for child in node.children for leaf in _leaves(child)]
    return [node]


def _expand_prefix(conn: Connection, words: list[str]) -> tuple[str, ...]:
    """The head words and the commonest indexed lexemes that start with the last word."""
    if not words:
        return ()
    *head, last = words
    upper = last[:-1] + chr(ord(last[-1]) + 1)
    stmt = text(
        "SELECT lexeme FROM search_terms WHERE lexeme >= :low AND lexeme < :high AND df > 0 "
        "GROUP BY lexeme ORDER BY max(df) DESC, lexeme LIMIT :n"
    )
    found = conn.execute(stmt, {"low": last, "high": upper, "n": PREFIX_EXPANSIONS}).scalars()
    return tuple(dict.fromkeys([*head, *found]))


def _collection(conn: Connection, lexemes: list[str], exact: list[str]) -> Collection:
    totals = conn.execute(text("SELECT docs, title_tokens, body_tokens FROM search_totals")).one()
    docs = max(int(totals[0]), 0)
    df: dict[tuple[str, str], int] = {}
    if lexemes or exact:
        stmt = text(
            "SELECT lexeme, field, df FROM search_terms "
            "WHERE lexeme = ANY(CAST(:l AS text[])) AND field IN ('A', 'D') "
            "OR lexeme = ANY(CAST(:e AS text[])) AND field IN ('a', 'd')"
        )
        for lexeme, field, count in conn.execute(stmt, {"l": lexemes, "e": exact}):
            df[(str(lexeme), str(field))] = int(count)
    return Collection(
        docs=docs,
        title_average=int(totals[1]) / docs if docs else 1.0,
        body_average=int(totals[2]) / docs if docs else 1.0,
        df=df,
    )


def rank(
    conn: Connection,
    node: q.Node,
    the_plan: Plan,
    where: ColumnElement[bool],
    *,
    need: int,
    total: int | None,
    rum_operator: str | None = None,
) -> Ranked:
    """The matches' BM25 scores, best first: every match when there are at most `need` (or
    CANDIDATES, whichever is more), else the top of them by the cheaper in-database order."""
    bound = max(need, CANDIDATES)
    lexemes = cast(the_plan.lexemes, ARRAY(Text))
    columns: list[Any] = [
        Article.id,
        column("title_len"),
        column("body_len"),
        Article.title_derived,
        cast(_only(search_vector, lexemes), Text),
        cast(_only(exact_vector, cast(the_plan.exact, ARRAY(Text))), Text),
    ]
    checks = list(the_plan.checks.items())
    for _, query in checks:
        columns.append(title_vector.op("@@")(query))
        columns.append(func.ts_filter(search_vector, BODY_WEIGHT).op("@@")(query))
    conditions = list(the_plan.conditions.items())
    columns.extend(expression for _, expression in conditions)
    first_condition = 6 + 2 * len(checks)
    stmt = select(*columns).where(where)
    rows: Sequence[Any]
    if total is not None and total <= bound:
        rows = conn.execute(stmt).all()
        complete = True
    else:
        # Unknown size: try for all of them first; a cheap order only when there are more.
        rows = [] if total is not None else conn.execute(stmt.limit(bound + 1)).all()
        complete = total is None and len(rows) <= bound
        if not complete:
            # The cheap order picks the ids first; only those rows' columns are computed
            # (in one statement PostgreSQL computes them for every match before the sort).
            order, within = _candidate_order(the_plan, rum_operator)
            top = select(Article.id).where(where, *within).order_by(*order)
            chosen = top.limit(bound).scalar_subquery()
            if len(order) == 1:
                # The RUM order: the planner prices its distance like any operator and would
                # rather sort a bitmap scan's matches (reading every vector, 1,100 ms for a word
                # in 40% of 100k articles) than walk the index in order (53 ms).
                conn.execute(text("SET LOCAL enable_bitmapscan = off"))
            rows = conn.execute(select(*columns).where(Article.id.in_(chosen))).all()
            if len(order) == 1:
                conn.execute(text("SET LOCAL enable_bitmapscan = on"))
    scored: list[tuple[float, int]] = []
    for row in rows:
        doc = DocTerms(
            title_len=int(row[1] or 0),
            body_len=int(row[2] or 0),
            title_derived=bool(row[3]),
            tf=term_freqs(row[4] or ""),
            exact_tf=term_freqs(row[5] or ""),
            matches={
                leaf: (bool(row[6 + 2 * i]), bool(row[7 + 2 * i]))
                for i, (leaf, _) in enumerate(checks)
            },
        )
        for i, (leaf, _) in enumerate(conditions):
            found = bool(row[first_condition + i])
            doc.matches[leaf] = (found, found)
        scored.append((score_tree(node, the_plan.leaf, the_plan.stats, doc), int(row[0])))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return Ranked([i for _, i in scored], [s for s, _ in scored], complete)


def _only(vector: ColumnElement[Any], lexemes: ColumnElement[Any]) -> ColumnElement[Any]:
    """`vector` with only `lexemes` left: everything else deleted (ts_delete of the complement).
    In C, and the few lexemes left travel as text; the SQL function na_term_freqs (unnest of
    the whole vector into jsonb) cost ~0.4 ms per candidate, most of a common word's search."""
    return func.ts_delete(vector, func.tsvector_to_array(func.ts_delete(vector, lexemes)))


# One lexeme of a tsvector's text form: 'quoted lexeme':3A,17,40B (D, the body, has no letter).
_ENTRY = re.compile(r"'((?:[^']|'')*)'(?::([0-9A-D,]+))?")


def term_freqs(vector_text: str) -> dict[str, tuple[int, int]]:
    """{lexeme: (title, body)} occurrences from a tsvector's text: positions weighted A are
    the title's, the others the body's."""
    out: dict[str, tuple[int, int]] = {}
    for found in _ENTRY.finditer(vector_text):
        positions = found.group(2).split(",") if found.group(2) else []
        title = sum(1 for p in positions if p.endswith("A"))
        lexeme = found.group(1).replace("''", "'").replace("\\\\", "\\")
        out[lexeme] = (title, len(positions) - title)
    return out


def _candidate_order(
    the_plan: Plan, rum_operator: str | None
) -> tuple[list[ColumnElement[Any]], list[ColumnElement[bool]]]:
    """Which matches BM25 scores when there are too many, and a condition that lets the index
    find them: with a RUM index, the distance to any of the query's lexemes, walked in the
    index's order (RUM's own rank, no idf), restricted to articles with one of those lexemes
    (every match has one, but for the rarest completions of a prefix: those score nothing here,
    and a deeper page asks for every match); else the idf-weighted `ts_rank_cd`, which reads
    every match's vector."""
    if rum_operator and the_plan.lexemes:
        anything = cast(literal(" | ".join(_quoted(x) for x in the_plan.lexemes)), TSQUERY)
        distance = search_vector.op(rum_operator, return_type=Double)(anything)
        # No tie-break by id: it would make the index return every match before the limit.
        # Ties at the bound are rare, and BM25 orders the candidates (ties by id) afterwards.
        return [distance.asc()], [search_vector.op("@@")(anything)]
    return [_proxy_rank(the_plan).desc(), Article.id.asc()], []


def _proxy_rank(the_plan: Plan) -> ColumnElement[Any]:
    """The cheap order candidates are chosen by: each lexeme's `ts_rank_cd` (title twice the
    body, length-normalised) times its body idf, summed."""
    terms: list[ColumnElement[Any]] = []
    for lexeme in the_plan.lexemes:
        idf = the_plan.stats.idf(lexeme, "D")
        query = cast(literal(_quoted(lexeme)), TSQUERY)
        terms.append(literal(idf) * func.ts_rank_cd(RANK_WEIGHTS, search_vector, query, 1))
    if not terms:
        return cast(literal(0.0), Double)
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _quoted(lexeme: str) -> str:
    # A lexeme as a tsquery operand: quoted, its quotes and backslashes doubled/escaped.
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
