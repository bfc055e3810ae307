"""Turning articles into API objects and page links (one place for URLs and slugs)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any
from urllib.parse import quote as _quote

from app.models import Article
from app.services.searching import SearchItem, SearchPage
from app.textclean import display_paragraphs


def slugify(title: str, max_chars: int = 80) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > max_chars:
        slug = slug[:max_chars].rsplit("-", 1)[0]
    return slug or "article"


def quote(value: str) -> str:
    """A value made safe for a query string."""
    return _quote(value, safe="")


def html_path(article: Article) -> str:
    return f"/articles/{article.id}/{slugify(article.title)}"


def api_path(article: Article) -> str:
    return f"/api/v1/articles/{article.id}"


def links(article: Article, base: str = "") -> dict[str, str]:
    return {"self": base + api_path(article), "html": base + html_path(article)}


def summary(article: Article, base: str = "") -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "date": article.published,
        "source": article.source,
        "authors": article.all_people,
        "url": article.url,
        "links": links(article, base),
        "language": article.language,
    }


def full(article: Article, base: str = "") -> dict[str, Any]:
    return {
        **summary(article, base),
        "authors": article.authors,
        "contributors": article.contributors,
        "title_derived": article.title_derived,
        "language": article.language,
        "word_count": article.word_count,
        "body": article.body,
        "paragraphs": display_paragraphs(article.body),
        "content_hash": article.content_hash,
        # Stored as naive UTC; sent with the offset so clients read them as RFC 3339.
        "created_at": article.created_at.replace(tzinfo=dt.UTC),
        "updated_at": article.updated_at.replace(tzinfo=dt.UTC),
        "story_id": article.story_id,
    }


def search_result(item: SearchItem, base: str = "", *, by_story: bool = False) -> dict[str, Any]:
    out = {**summary(item.article, base), "snippet": str(item.snippet), "score": item.score}
    if item.similar:
        out["similar"] = [summary(a, base) for a in item.similar]
    if by_story:
        story = item.article.story_id or item.article.id
        out |= {"story_id": story, "copies": item.copies, "story": f"{base}/stories/{story}"}
    return out


def search_response(page: SearchPage, base: str = "") -> dict[str, Any]:
    p = page.params
    return {
        "query": {
            "q": p.q,
            "from": p.date_from,
            "to": p.date_to,
            "source": list(p.sources),
            "author": list(p.authors),
            "sort": p.sort,
            "lang": list(p.languages),
        },
        "total": page.total,
        "page": p.page,
        "page_size": p.page_size,
        "pages": page.pages,
        "results": [search_result(i, base, by_story=page.by_story) for i in page.items],
    } | ({"folded_by_story": True} if page.by_story else {})
