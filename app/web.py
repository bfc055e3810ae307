"""HTML pages: thin routes over the same services as the API, rendered with Jinja2 (autoescaped)."""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from app import articles, present
from app.articles import ArticleFilters
from app.dedup import collapse
from app.deps import ArchiveDep
from app.errors import ApiError
from app.params import QueryArgs, search_params
from app.related import related_articles
from app.search.query import QuerySyntaxError
from app.search_page import search_extras
from app.searching import InvalidParameter, SearchPage, highlight_paragraphs, search_articles
from app.textclean import display_paragraphs

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
LIST_PAGE_SIZE = 30

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=True,  # everywhere, whatever the file name; snippets arrive as Markup built escaped
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(
    html_path=present.html_path,
    month_name=lambda m: calendar.month_name[m],
)
templates = Jinja2Templates(env=_env)
router = APIRouter(include_in_schema=False)


def _page_url(request: Request, page: int) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    if page > 1:
        params.append(("page", str(page)))
    return request.url.path + ("?" + urlencode(params) if params else "")


def _pager(request: Request, page: int, pages: int) -> dict[str, Any]:
    return {
        "page": page,
        "pages": pages,
        "prev": _page_url(request, page - 1) if page > 1 else None,
        "next": _page_url(request, page + 1) if page < pages else None,
    }


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("q", request.query_params.get("q", ""))
    return templates.TemplateResponse(request, name, context, status_code=status)


def render_error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    response = render(request, "error.html", status=status, status_code=status, message=message)
    if headers:
        response.headers.update(headers)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, archive: ArchiveDep) -> Response:
    latest, total = articles.list_articles(archive, filters=ArticleFilters(), offset=0, limit=15)
    return render(
        request,
        "home.html",
        latest=latest,
        total=total,
        sources=articles.source_counts(archive)[:12],
        years=articles.date_counts(archive),
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, archive: ArchiveDep) -> Response:
    args = QueryArgs(list(request.query_params.multi_items()))
    error = None
    result: SearchPage | None = None
    params = None
    extras = None
    try:
        params = search_params(args, archive.settings)
        result = collapse(search_articles(archive, params=params))
        query = list(request.query_params.multi_items())
        extras = search_extras(archive, params=params, result=result, query=query)
    except (QuerySyntaxError, InvalidParameter) as exc:
        error = (
            f"{exc}"
            if isinstance(exc, InvalidParameter)
            else f"We could not read that query: {exc}"
        )
    status = 400 if error else 200
    return render(
        request,
        "search.html",
        status=status,
        result=result,
        params=params,
        error=error,
        extras=extras,
        form={k: args.first(k) or "" for k in ("q", "from", "to", "sort")}
        | {"source": ", ".join(args.all("source")), "author": ", ".join(args.all("author"))},
        pager=_pager(request, result.params.page, result.pages) if result else None,
    )


@router.get("/articles/{article_id}", response_class=HTMLResponse)
@router.get("/articles/{article_id}/{slug}", response_class=HTMLResponse)
def article_page(
    request: Request, archive: ArchiveDep, article_id: int, slug: str | None = None
) -> Response:
    article = articles.get_article(archive, article_id=article_id)
    canonical = present.html_path(article)
    if request.url.path != canonical:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(canonical + query, status_code=301)
    q = request.query_params.get("q")
    paragraphs = display_paragraphs(article.body)
    body = highlight_paragraphs(archive, q=q, paragraphs=paragraphs) if q else paragraphs
    prev, nxt = articles.neighbours(archive, article=article)
    response = render(
        request,
        "article.html",
        article=article,
        paragraphs=body,
        prev=prev,
        next=nxt,
        highlighted=bool(q),
        related=related_articles(archive, article_id=article.id),
    )
    response.headers["Link"] = (
        f'<{present.api_path(article)}>; rel="alternate"; type="application/json"'
    )
    return response


def _articles_page(
    request: Request, archive: ArchiveDep, filters: ArticleFilters, template: str, **context: Any
) -> Response:
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:
        page = 1
    page = max(1, min(page, 10_000))
    rows, total = articles.list_articles(
        archive, filters=filters, offset=(page - 1) * LIST_PAGE_SIZE, limit=LIST_PAGE_SIZE
    )
    pages = max(1, -(-total // LIST_PAGE_SIZE))
    if page > pages:
        raise ApiError(404, "There is no such page of this list.")
    return render(
        request, template, rows=rows, total=total, pager=_pager(request, page, pages), **context
    )


@router.get("/browse", response_class=HTMLResponse)
def browse_years(request: Request, archive: ArchiveDep) -> Response:
    return render(
        request,
        "browse.html",
        level="years",
        counts=articles.date_counts(archive),
        year=None,
        month=None,
    )


@router.get("/browse/{year}", response_class=HTMLResponse)
def browse_year(request: Request, archive: ArchiveDep, year: int) -> Response:
    counts = articles.date_counts(archive, year=year)
    if not counts:
        raise ApiError(404, f"The archive has no articles from {year}.")
    return render(request, "browse.html", level="months", counts=counts, year=year, month=None)


@router.get("/browse/{year}/{month}", response_class=HTMLResponse)
def browse_month(request: Request, archive: ArchiveDep, year: int, month: int) -> Response:
    counts = articles.date_counts(archive, year=year, month=month) if 1 <= month <= 12 else []
    if not counts:
        raise ApiError(404, f"The archive has no articles from {year}-{month:02d}.")
    return render(request, "browse.html", level="days", counts=counts, year=year, month=month)


@router.get("/browse/{year}/{month}/{day}", response_class=HTMLResponse)
def browse_day(request: Request, archive: ArchiveDep, year: int, month: int, day: int) -> Response:
    try:
        date = dt.date(year, month, day)
    except ValueError:
        raise ApiError(404, "There is no such date.") from None
    return _articles_page(
        request, archive, ArticleFilters(date_from=date, date_to=date), "day.html", date=date
    )


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request, archive: ArchiveDep) -> Response:
    return render(request, "sources.html", sources=articles.source_counts(archive))


@router.get("/sources/{name}", response_class=HTMLResponse)
def source_page(request: Request, archive: ArchiveDep, name: str) -> Response:
    return _articles_page(
        request, archive, ArticleFilters(sources=(name,)), "source.html", source=name
    )
