"""A query's words as Whoosh queries over the fields of every language family they may hit.

One word is one BM25F clause (`WordClauses`) over its exact form and its stem in each family's
stemmed fields: an English-only archive (one family, "") gets exactly the clause it always got,
so its scores and cost do not move. A word whose CJK analysis is several bigrams ("投票率" ->
投票, 票率) is a phrase of them in the CJK fields, OR-ed with the clause. Several words are a
phrase per family.
"""

from __future__ import annotations

import threading
from typing import Any

from whoosh import query as wq

from app.search.base import Ranking
from app.search.whoosh.analysis import exact_analyzer, stem_analyzer
from app.search.whoosh.languages import language_analyzer
from app.search.whoosh.scoring import WordClauses


class Forms:
    """Analyzers of the exact form and of each family's stemmed form (built on first use)."""

    def __init__(self) -> None:
        self._exact = exact_analyzer()
        self._by_family: dict[str, Any] = {"": stem_analyzer()}
        self._lock = threading.Lock()

    def exact(self, text: str) -> list[str]:
        return [t.text for t in self._exact(text)]

    def stems(self, family: str, text: str) -> list[str]:
        analyzer = self._by_family.get(family)
        if analyzer is None:
            with self._lock:
                analyzer = self._by_family.setdefault(family, language_analyzer(family))
        return [t.text for t in analyzer(text)]


def _suffix(family: str) -> str:
    return f"_{family}" if family else ""


def words_query(
    forms: Forms,
    text: str,
    *,
    body: bool,
    title: bool,
    families: tuple[str, ...],
    ranking: Ranking,
) -> Any:
    """`text` (one or more words) searched in the body and/or title, in every family given."""
    exact = forms.exact(text)
    if not exact:
        return None
    title_weight, exact_weight = ranking.title_weight, ranking.exact_weight
    if len(exact) > 1:
        parts: list[Any] = []
        for family in families:
            stems = forms.stems(family, text)
            if not stems:
                continue
            for field, wanted, boost in (("body", body, 1.0), ("title", title, title_weight)):
                if wanted:
                    name = field + _suffix(family)
                    parts.append(
                        wq.Phrase(name, stems, boost=boost)
                        if len(stems) > 1
                        else wq.Term(name, stems[0], boost=boost)
                    )
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.Or(parts)
    # One word, scored by BM25F over its forms and fields (see WordClauses). The field's
    # weight rides on each Term's boost; the order is the one an English archive always had.
    single: dict[str, str] = {}
    phrases: list[Any] = []
    for family in families:
        stems = forms.stems(family, text)
        if len(stems) == 1:
            single[family] = stems[0]
        elif stems:  # a CJK word of several bigrams
            if body:
                phrases.append(wq.Phrase("body" + _suffix(family), stems))
            if title:
                phrases.append(wq.Phrase("title" + _suffix(family), stems, boost=title_weight))
    terms: list[wq.Term] = []
    if body:
        if "" in single:
            terms.append(wq.Term("body", single[""]))
        terms.append(wq.Term("body_exact", exact[0], boost=exact_weight))
    if title:
        if "" in single:
            terms.append(wq.Term("title", single[""], boost=title_weight))
        terms.append(wq.Term("title_exact", exact[0], boost=title_weight * exact_weight))
    for family, stem in single.items():
        if family:
            if body:
                terms.append(wq.Term(f"body_{family}", stem))
            if title:
                terms.append(wq.Term(f"title_{family}", stem, boost=title_weight))
    clause = WordClauses([t for t in terms if t.boost > 0])
    return wq.Or([clause, *phrases]) if phrases else clause
