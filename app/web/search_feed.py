"""Atom feed of any search (`/feeds/search.atom?q=...`), newest first: a saved search becomes a
subscription. The XML is built with ElementTree, which escapes every text and attribute."""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request, Response

from app.http.deps import ArchiveDep
from app.http.params import QueryArgs, search_params
from app.http.present import html_path
from app.services.searching import lead_snippet, search_articles

router = APIRouter(tags=["feeds"])
ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 50


def _root(request: Request) -> str:
    configured = request.app.state.settings.base_url.rstrip("/")
    return configured or str(request.base_url).rstrip("/")


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


@router.get("/feeds/search.atom", response_class=Response, include_in_schema=False)
def search_feed(request: Request, archive: ArchiveDep) -> Response:
    """The newest articles matching a search (same parameters as /search), as Atom."""
    args = QueryArgs(list(request.query_params.multi_items()))
    params = search_params(args, archive.settings, default_sort="newest")
    params = dataclasses.replace(params, sort="newest", page=1, page_size=FEED_ENTRIES)
    page = search_articles(archive, params=params, snippets=False)
    root = _root(request)
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "sort"])

    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = (
        f"News Archive: {params.q}" if params.q else "News Archive: newest articles"
    )
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"{root}/feeds/search.atom?{query}"
    newest = max((i.article.published for i in page.items), default=dt.date(1970, 1, 1))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _stamp(newest)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=f"{root}/feeds/search.atom?{query}")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=f"{root}/search?{query}")
    for item in page.items:
        article = item.article
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = f"{root}{html_path(article)}"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = article.title
        ET.SubElement(entry, f"{{{ATOM}}}id").text = url
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=url)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _stamp(article.published)
        ET.SubElement(entry, f"{{{ATOM}}}published").text = _stamp(article.published)
        for name in article.authors or ([article.source] if article.source else []):
            ET.SubElement(ET.SubElement(entry, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = name
        summary = ET.SubElement(entry, f"{{{ATOM}}}summary", type="text")
        summary.text = str(lead_snippet(article.body).unescape())
    body = ET.tostring(feed, encoding="unicode", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")
