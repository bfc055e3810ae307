"""The JSON API under /api/v1: thin routes over the article, search and stats services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from app.api import articles, bulk, lists, stories
from app.api.schemas import ArticleCreate, ArticlePatch, ArticleUpdate, BulkLine

HAND_NAMED: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    (ArticleCreate, "validation"),
    (ArticleUpdate, "validation"),
    (ArticlePatch, "validation"),
    (BulkLine, "serialization"),
]

router = APIRouter()
router.include_router(lists.router)
router.include_router(lists.health_router)
router.include_router(bulk.router)  # before /articles/{article_id}, which would shadow it
router.include_router(articles.router)
router.include_router(stories.router)


def _truthful(spec: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents its own 422 shape on every route with parameters; ours answers 400
    (reads) or 422 (writes, documented per route) with the error envelope, so drop FastAPI's."""
    for methods in spec.get("paths", {}).values():
        for op in methods.values():
            responses = op.get("responses", {})
            if "HTTPValidationError" in str(responses.get("422", "")):
                del responses["422"]
    schemas = spec.get("components", {}).get("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return spec


def _page_size_cap(spec: dict[str, Any], cap: int) -> dict[str, Any]:
    """Show the configured page-size cap (NEWSARCHIVE_MAX_PAGE_SIZE) as `page_size`'s maximum."""
    for methods in spec.get("paths", {}).values():
        for op in methods.values():
            for param in op.get("parameters", []):
                if param["name"] == "page_size":
                    for schema in param["schema"].get("anyOf", [param["schema"]]):
                        if schema.get("type") == "integer":
                            schema["maximum"] = cap
    return spec


def install_openapi(app: FastAPI) -> None:
    """Serve the cleaned-up spec at /api/v1/openapi.json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            spec["components"].setdefault("securitySchemes", {})["bearer"] = {
                "type": "http",
                "scheme": "bearer",
                "description": "NEWSARCHIVE_API_TOKEN or a token from `newsarchive tokens create`",
            }
            spec["security"] = [{"bearer": []}, {}]
            # Bodies the routes read themselves (JSON or text, NDJSON) are named by hand in
            # openapi_extra, so FastAPI does not emit their schemas: add them.
            for model, mode in HAND_NAMED:
                spec["components"]["schemas"][model.__name__] = model.model_json_schema(
                    ref_template="#/components/schemas/{model}", mode=mode
                )
            app.openapi_schema = _page_size_cap(_truthful(spec), app.state.settings.max_page_size)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
