"""Function words in a ranked any-word query: "what" in `what OR troops OR vietnam`.

A query typed as a question or a sentence and joined with OR ("what are the ...") would match
every article through its function words and push their common matches into the ranking. In an
OR of bare words, such a word is dropped as long as another word is left, so the query ranks as
it would without it. Everywhere else it stays: a word alone (`will`, `us`, `2`), in an implied
AND (`will smith`), in a phrase, with a field (`title:the`), or typed in capitals (`WHO`); the
index keeps every word, so all of those are searched as typed.
"""

from __future__ import annotations

from app.search.query import And, Node, Not, Or, Term, parse_query

# Articles, conjunctions, prepositions, auxiliaries, pronouns and question words: none of them
# names what a query is about. Not here: "us", "may", "can", "will" (a country, a month, a tin,
# a testament), "not" and "no", which may carry a query's meaning.
STOP_WORDS = frozenset(
    """a an and are as at be been but by do does for from had has have how i if in into is it
    its of on or that the their there these they this those to was were what when where which who
    whom why with would""".split()
)


def is_stop_word(term: Term) -> bool:
    """A bare word (no field) on the list, not typed in capitals."""
    text = term.text
    return (
        term.field is None and text.lower() in STOP_WORDS and not (len(text) > 1 and text.isupper())
    )


def without_stop_words(node: Node | None) -> Node | None:
    """`node` with the function words of its ORs of bare words left out (see the module)."""
    if node is None or isinstance(node, Term) or not isinstance(node, And | Or | Not):
        return node
    if isinstance(node, Not):
        child = without_stop_words(node.child)
        return node if child is None else Not(child)
    children = tuple(c for c in (without_stop_words(c) for c in node.children) if c is not None)
    if isinstance(node, Or):
        kept = tuple(c for c in children if not (isinstance(c, Term) and is_stop_word(c)))
        if kept and len(kept) < len(children):
            return kept[0] if len(kept) == 1 else Or(kept)
        return Or(children)
    return And(children)


def parse_search(query: str | None) -> Node | None:
    """`parse_query`, then `without_stop_words`: the query a search, its facets and its
    highlighting run."""
    return without_stop_words(parse_query(query))
