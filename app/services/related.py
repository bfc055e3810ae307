"""Related articles (more like this): a ranked any-word search for an article's key terms."""

from __future__ import annotations

import re
from collections import Counter

from app.archive import Archive
from app.models import Article
from app.search.base import bm25_idf
from app.services.articles import get_article
from app.services.searching import SearchParams, search_articles

KEY_TERMS = 15
CANDIDATES = 60
# Words too common in news to tell stories apart; idf removes most others.
_STOP = frozenset(
    """about after again also been before being between both could does down during each from
    further have having here into itself more most other over same should some such than that
    their them then there these they this those through under until very were what when where
    which while whom will with would said says year years week last first just like only the
    and for are but not you all any can had her was one our out has his how its may new now
    who did get him let she too use""".split()
)
_WORD = re.compile(r"[^\W\d_]{3,}")


def key_terms(archive: Archive, *, article: Article, limit: int = KEY_TERMS) -> list[str]:
    """The article's most distinctive words: frequent in it, rare in the archive (tf x idf)."""
    counts = Counter(
        w for w in _WORD.findall(f"{article.title} {article.body}".casefold()) if w not in _STOP
    )
    candidates = [w for w, _ in counts.most_common(CANDIDATES)]
    if not candidates:
        return []
    total = max(archive.search.doc_count(), 1)
    df = archive.search.doc_frequencies(candidates)
    scored = []
    for word in candidates:
        n = df.get(word, 0)
        # Only this article has it (it cannot find another), or most articles do (it cannot
        # tell them apart).
        if n <= 1 or n > total / 2:
            continue
        scored.append((counts[word] * bm25_idf(total, n), word))
    scored.sort(key=lambda sw: (-sw[0], sw[1]))
    return [w for _, w in scored[:limit]]


def related_articles(archive: Archive, *, article_id: int, limit: int = 5) -> list[Article]:
    """Articles most like this one, best first (raises ArticleNotFound)."""
    article = get_article(archive, article_id=article_id)
    terms = key_terms(archive, article=article)
    if not terms:
        return []
    # Lower-case words only: never operators or syntax in the query language.
    params = SearchParams(q=" OR ".join(terms), page_size=limit + 1)
    # Only the top few are needed: skip the exact count over every match (the costly part).
    page = search_articles(archive, params=params, snippets=False, exact_total=False)
    others = [i.article for i in page.items if i.article.id != article.id]
    return others[:limit]
