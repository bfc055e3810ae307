"""Routes for programs rather than people: Atom feeds, sitemap, OpenSearch, robots, citations."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from app.http import present
from app.http.deps import ArchiveDep
from app.http.errors import ApiError
from app.http.headers import content_disposition
from app.http.urls import base_url
from app.search.base import SearchFilters
from app.services import articles
from app.services.listing import article_stubs, list_articles
from app.web import atom as feeds
from app.web import citation

FEED_SIZE = 30
router = APIRouter(include_in_schema=False)


@router.get("/feeds/latest.atom")
def latest_feed(request: Request, archive: ArchiveDep) -> Response:
    rows, _ = list_articles(archive, filters=SearchFilters(), offset=0, limit=FEED_SIZE)
    body = feeds.atom_feed(
        base=base_url(request),
        title="News Archive: latest articles",
        self_path="/feeds/latest.atom",
        html_path_="/",
        rows=rows,
    )
    return Response(body, media_type=feeds.ATOM_TYPE)


@router.get("/feeds/sources/{name}.atom")
def source_feed(request: Request, archive: ArchiveDep, name: str) -> Response:
    rows, total = list_articles(
        archive, filters=SearchFilters(sources=(name,)), offset=0, limit=FEED_SIZE
    )
    if not total:
        raise ApiError(404, f"The archive has no articles from {name!r}.")
    source = rows[0].source or name  # the stored spelling, whatever case was asked for
    path = quote(source, safe="")
    body = feeds.atom_feed(
        base=base_url(request),
        title=f"News Archive: {source}",
        self_path=f"/feeds/sources/{path}.atom",
        html_path_=f"/sources/{path}",
        rows=rows,
    )
    return Response(body, media_type=feeds.ATOM_TYPE)


@router.get("/sitemap.xml")
def sitemap(request: Request, archive: ArchiveDep) -> Response:
    fixed = ["/", "/browse", "/sources", "/authors"]
    stubs = article_stubs(archive, limit=feeds.SITEMAP_LIMIT - len(fixed))
    body = feeds.sitemap(base=base_url(request), static_paths=fixed, stubs=stubs)
    return Response(body, media_type=feeds.XML_TYPE)


@router.get("/opensearch.xml")
def opensearch(request: Request) -> Response:
    return Response(feeds.opensearch(base=base_url(request)), media_type=feeds.OPENSEARCH_TYPE)


@router.get("/robots.txt", response_class=PlainTextResponse)
def robots(request: Request) -> str:
    # The API, and pages that cost a search per visit and hold nothing a crawler needs.
    disallow = "".join(f"Disallow: {p}\n" for p in ("/api/", "/related/", "/compare"))
    return f"User-agent: *\n{disallow}Sitemap: {base_url(request)}/sitemap.xml\n"


@router.get("/articles/{article_id}/cite.{ext}")
def cite(request: Request, archive: ArchiveDep, article_id: int, ext: str) -> Response:
    """The article's citation as a file a reference manager opens (bib, ris or txt)."""
    makers = {"bib": citation.bibtex, "ris": citation.ris, "txt": citation.plain}
    if ext not in makers:
        raise ApiError(404, "Citations come as cite.bib, cite.ris or cite.txt.")
    article = articles.get_article(archive, article_id=article_id)
    permalink = base_url(request) + present.html_path(article)
    text = makers[ext](article, permalink=permalink, accessed=dt.date.today().isoformat())
    media_type = {"bib": "application/x-bibtex", "ris": "application/x-research-info-systems"}
    return Response(
        text + ("\n" if ext == "txt" else ""),
        media_type=media_type.get(ext, "text/plain") + "; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition(f"article-{article_id}.{ext}", inline=True),
        },
    )
