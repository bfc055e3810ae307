"""`/docs`: the interactive API reference (Swagger UI), served from this server alone.

FastAPI's own page loads Swagger UI from a CDN, so it was blank offline. The assets come from the
`swagger-ui-bundle-v2` package (Swagger UI 5, which reads our OpenAPI 3.1) and are mounted at
/docs/assets by `create_app`; the page has no inline script (static/docs.js starts the UI)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

ASSETS_URL = "/docs/assets"
_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>News Archive API – reference</title>
  <link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">
</head>
<body>
  <noscript><p>The interactive reference needs JavaScript. The API is described in
  <a href="/api/v1/openapi.json">openapi.json</a> and docs/api.md.</p></noscript>
  <div id="swagger-ui" data-openapi="/api/v1/openapi.json"></div>
  <script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
  <script src="/static/docs.js"></script>
</body>
</html>
"""


def assets_dir() -> Path:
    """Where the installed Swagger UI files are."""
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


@router.get("/docs", response_class=HTMLResponse)
def docs_page() -> HTMLResponse:
    return HTMLResponse(_PAGE)
