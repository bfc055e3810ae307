"""The app factory: `create_app(settings)` builds a fresh app; nothing is created at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__, errors
from app.archive import open_archive
from app.config import Settings
from app.limits import BodySizeLimit, RequestTiming

log = logging.getLogger("newsarchive")
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web app for one archive."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.migrate import pending

        archive = open_archive(settings)
        current, head = pending(archive.engine)
        if current != head:
            archive.close()
            raise RuntimeError(
                f"the database schema is at {current or 'nothing'}, not {head}: "
                "run `newsarchive migrate` first"
            )
        app.state.archive = archive
        log.info(
            "archive open: %s, index %s",
            settings.resolved_database_url(),
            settings.resolved_index_dir(),
        )
        try:
            yield
        finally:
            archive.close()

    app = FastAPI(
        title="News Archive API",
        version=__version__,
        description="Search and read a self-hosted archive of dated news articles.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    errors.install(app)

    from app import api, web

    app.include_router(api.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.add_middleware(RequestTiming)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    return app
