"""Atom feed of any search (`/feeds/search.atom?q=...`), newest first: a saved search becomes a
subscription, written by the same Atom writer as the other feeds."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from app.http.deps import ArchiveDep
from app.http.params import QueryArgs, search_params
from app.http.urls import base_url
from app.services.searching import search_articles
from app.web import atom

router = APIRouter(tags=["feeds"])
FEED_ENTRIES = 50


@router.get("/feeds/search.atom", response_class=Response, include_in_schema=False)
def search_feed(request: Request, archive: ArchiveDep) -> Response:
    """The newest articles matching a search (same parameters as /search), as Atom."""
    args = QueryArgs(list(request.query_params.multi_items()))
    params = search_params(args, archive.settings, default_sort="newest")
    params = dataclasses.replace(params, sort="newest", page=1, page_size=FEED_ENTRIES)
    page = search_articles(archive, params=params, snippets=False)
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "sort"])
    body = atom.atom_feed(
        base=base_url(request),
        title=f"News Archive: {params.q}" if params.q else "News Archive: newest articles",
        self_path=f"/feeds/search.atom?{query}",
        html_path_=f"/search?{query}",
        rows=[item.article for item in page.items],
    )
    return Response(body, media_type=atom.ATOM_TYPE)
