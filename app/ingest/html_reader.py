"""Saved article pages: main text by trafilatura; title, date, authors, source and language
from schema.org NewsArticle JSON-LD first, then OpenGraph / article meta tags, then
trafilatura's own metadata heuristics."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.utils import decode_file

from app.ingest.fields import coerce_date
from app.ingest.headline import derive_title, pick_lead
from app.ingest.record import ArticleIn, InvalidArticle
from app.textclean import split_paragraphs

_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "blogposting",
    "report",
    "liveblogposting",
}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_MIN_BODY_CHARS = 200  # less than this is a teaser or a navigation page, not an article


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds if k}


def _walk(data: Any) -> list[dict[str, Any]]:
    """Every JSON-LD object, flattening lists and @graph."""
    found: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            found.append(node)
            if "@graph" in node:
                stack.append(node["@graph"])
    return found


def json_ld_article(tree: Any) -> dict[str, Any]:
    """The page's schema.org article object (NewsArticle preferred), or {}."""
    best: dict[str, Any] = {}
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "")
        except ValueError:
            continue  # broken JSON-LD is common; the other sources still apply
        for node in _walk(data):
            kinds = _types(node)
            if "newsarticle" in kinds:
                return node
            if kinds & _ARTICLE_TYPES and not best:
                best = node
    return best


def meta_tags(tree: Any) -> dict[str, str]:
    """OpenGraph, article:* and plain meta tags by lower-cased name (first occurrence wins)."""
    out: dict[str, str] = {}
    for meta in tree.xpath("//meta[@content]"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        value = (meta.get("content") or "").strip()
        if key and value:
            out.setdefault(key, value)
    return out


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return str(value).strip() if isinstance(value, str) and value.strip() else None


def _people(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = [_name(v) for v in items]
    return [n for n in names if n and not n.startswith("http")]


def _date(*candidates: Any) -> dt.date | None:
    for value in candidates:
        if not value:
            continue
        try:
            return coerce_date(value)
        except InvalidArticle:
            continue
    return None


def parse_html(
    html: str | bytes,
    *,
    origin: str | None,
    url: str | None = None,
    fallback_date: dt.date | None = None,
    provenance: dict[str, Any] | None = None,
) -> ArticleIn:
    """One saved article page to an article; pages with no article text are refused."""
    if isinstance(html, bytes):
        # UTF-8 first, then detection: lxml alone reads undeclared UTF-8 as Latin-1 (mojibake).
        html = decode_file(html)
    html = _XML_DECLARATION.sub("", html, count=1)  # lxml refuses str with a declared encoding
    if not html.strip():
        raise InvalidArticle("empty page")
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise InvalidArticle(f"not an HTML page: {exc}") from None
    ld = json_ld_article(tree)
    meta = meta_tags(tree)
    doc = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if len(text) < _MIN_BODY_CHARS and isinstance(ld.get("articleBody"), str):
        text = ld["articleBody"].strip()
    if len(text) < _MIN_BODY_CHARS:
        raise InvalidArticle("no article text found on the page")
    title = (
        _name(ld.get("headline"))
        or meta.get("og:title")
        or (getattr(doc, "title", None) if doc is not None else None)
    )
    published = _date(
        ld.get("datePublished"),
        meta.get("article:published_time"),
        meta.get("og:published_time"),
        meta.get("datepublished"),
        getattr(doc, "date", None) if doc is not None else None,
    )
    published = published or fallback_date
    if published is None:
        raise InvalidArticle("no publication date found on the page")
    authors = _people(ld.get("author"))
    if not authors and meta.get("author") and not meta["author"].startswith("http"):
        authors = [meta["author"]]
    byline = getattr(doc, "author", None) if doc is not None else None
    if not authors and isinstance(byline, str):
        authors = [a.strip() for a in byline.split(";") if a.strip()]
    source = (
        _name(ld.get("publisher"))
        or meta.get("og:site_name")
        or (getattr(doc, "sitename", None) if doc is not None else None)
    )
    language = _name(ld.get("inLanguage")) or tree.get("lang") or meta.get("og:locale")
    if language and not _LANGUAGE.match(language):
        language = None
    page_url = (
        url
        or _name(ld.get("url"))
        or meta.get("og:url")
        or (getattr(doc, "url", None) if doc is not None else None)
    )
    if page_url and not re.match(r"^https?://\S+$", page_url):
        page_url = None
    title = " ".join(title.split()) if title else None
    return ArticleIn(
        body=text,
        published=published,
        title=title[:500] if title else derive_title(pick_lead(split_paragraphs(text))),
        title_derived=not title,
        source=source[:200] if source else None,
        authors=authors,
        url=page_url,
        language=language.replace("_", "-").lower() if language else None,
        origin=origin,
        provenance=provenance,
    )
