"""Metadata on reading pages for other programs: schema.org JSON-LD and OpenGraph tags."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from app.http.present import html_path
from app.models import Article
from app.services.searching import lead_snippet


def description(article: Article) -> str:
    """A plain-text summary (the lead, about 200 characters)."""
    return str(lead_snippet(article.body, chars=200).unescape())


def news_article(article: Article, *, base: str) -> dict[str, Any]:
    """A schema.org NewsArticle object."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],  # Google's limit for headline
        "name": article.title,
        "datePublished": article.published.isoformat(),
        "dateModified": article.updated_at.isoformat(timespec="seconds") + "Z",
        "mainEntityOfPage": base + html_path(article),
        "url": base + html_path(article),
        "description": description(article),
        "wordCount": article.word_count,
        "isAccessibleForFree": True,
    }
    if article.authors:
        data["author"] = [{"@type": "Person", "name": n} for n in article.authors]
    if article.contributors:
        data["contributor"] = [{"@type": "Person", "name": n} for n in article.contributors]
    if article.source:
        data["publisher"] = {"@type": "Organization", "name": article.source}
    if article.language:
        data["inLanguage"] = article.language
    if article.url:
        data["sameAs"] = article.url
    return data


def json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a <script type="application/ld+json"> element; `<`, `>`, `&` escaped so no text
    in an article can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # escaped above for the script context


def opengraph(article: Article, *, base: str) -> list[tuple[str, str]]:
    """OpenGraph `property`/`content` pairs (autoescaped by the template)."""
    tags = [
        ("og:type", "article"),
        ("og:title", article.title),
        ("og:description", description(article)),
        ("og:url", base + html_path(article)),
        ("og:site_name", "News Archive"),
        ("article:published_time", article.published.isoformat()),
    ]
    if article.source:
        tags.append(("article:section", article.source))
    tags += [("article:author", n) for n in article.authors]
    return tags
