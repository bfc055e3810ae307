"""The app factory: `create_app(settings)` builds a fresh app; nothing is created at import time."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from app import __version__, api
from app.archive import Archive, open_archive
from app.config import Settings
from app.http import errors
from app.http.limits import BodySizeLimit, RequestTiming
from app.http.proxies import ClientAddress
from app.http.ratelimit import RateLimiter
from app.http.security import HeadAsGet, PublicRedirects, QueryStringLimit, SecurityHeaders
from app.http.templating import build_templates
from app.migrate import SchemaOutOfDate, check_schema
from app.services.indexer import BackgroundIndexer
from app.web import api_docs, search_feed
from app.web import compare as compare_page
from app.web import help as help_page
from app.web import imports as web_imports
from app.web import pages as web

log = logging.getLogger("newsarchive")
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def _rebuild_index_if_needed(archive: Archive) -> None:
    from app.services.index_sync import rebuild_if_disagreeing

    try:
        rebuild_if_disagreeing(archive)
    except Exception:  # searches keep answering 503 with the reason; `reindex` can still fix it
        log.exception("rebuilding the search index at start-up failed")
        archive.search.hold("rebuilding the search index failed; run `newsarchive reindex`")


def _start_rebuild_if_needed(archive: Archive) -> threading.Thread | None:
    """Decide before serving (one count, cheap) whether the index must be rebuilt, and hold
    searches at once if so; the rebuild itself runs in the background."""
    from app.services.index_sync import hold_if_disagreeing

    try:
        if hold_if_disagreeing(archive) is None:
            return None
    except Exception:  # an unreadable index: the rebuild thread says why, or fixes it
        log.exception("checking the search index at start-up failed")
    thread = threading.Thread(
        target=_rebuild_index_if_needed, args=(archive,), name="index-rebuild", daemon=True
    )
    thread.start()
    return thread


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web app for one archive."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        archive = open_archive(settings)
        try:
            check_schema(archive.engine)
        except SchemaOutOfDate:
            archive.close()
            raise
        app.state.archive = archive
        log.info(
            "archive open: %s, index %s",
            settings.resolved_database_url(),
            settings.resolved_index_dir(),
        )
        # A lost, emptied or damaged index is rebuilt in the background; searches answer 503
        # until it is done instead of serving empty results (issue 17, A3). The indexer then
        # catches up on what a killed import or `import --no-wait` left pending (both take the
        # write lock, so the rebuild goes first when it is needed).
        rebuild = _start_rebuild_if_needed(archive)
        indexer = None
        if settings.catch_up_interval > 0 and not archive.search.transactional:
            indexer = BackgroundIndexer(archive, interval=settings.catch_up_interval)
            indexer.start()
        try:
            yield
        finally:
            if indexer is not None:
                indexer.stop()
            if rebuild is not None:
                rebuild.join(timeout=5)
            archive.close()

    app = FastAPI(
        title="News Archive API",
        version=__version__,
        description="Search and read a self-hosted archive of dated news articles.",
        lifespan=lifespan,
        docs_url=None,  # app/web/api_docs.py serves /docs without a CDN
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.templates = build_templates()
    errors.install(app)

    app.include_router(api.router)
    app.include_router(search_feed.router)
    app.include_router(help_page.router)
    app.include_router(compare_page.router)
    api.install_openapi(app)
    app.include_router(web.router)
    app.include_router(web_imports.router)
    app.include_router(api_docs.router)
    app.mount(api_docs.ASSETS_URL, StaticFiles(directory=api_docs.assets_dir()), name="docs")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.state.rate_limiter = RateLimiter(
        {
            "write": (settings.rate_limit_writes, settings.rate_limit_write_burst),
            "search": (settings.rate_limit_searches, settings.rate_limit_search_burst),
            "page": (settings.rate_limit_pages, settings.rate_limit_page_burst),
            "auth_failure": (
                settings.rate_limit_auth_failures,
                settings.rate_limit_auth_failure_burst,
            ),
        }
    )
    if settings.cors_origin_list():
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list(),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "X-Request-ID",
            ],
            expose_headers=["ETag", "Last-Modified", "Location", "Retry-After", "X-Request-ID"],
        )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        overrides={
            "/api/v1/articles/bulk": settings.max_bulk_bytes,
            "/imports": settings.max_bulk_bytes,
        },
    )
    app.add_middleware(PublicRedirects, base_url=settings.base_url)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_host_list())
    app.add_middleware(QueryStringLimit)
    app.add_middleware(HeadAsGet)
    app.add_middleware(ClientAddress, trusted=settings.trusted_proxy_list())
    app.add_middleware(SecurityHeaders, hsts=settings.base_url.startswith("https://"))
    # Outermost: every response, even a 413 or a CORS refusal, carries the request id.
    app.add_middleware(RequestTiming)
    return app
