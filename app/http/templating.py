"""The page shell: one Jinja2 environment per app (built by `create_app`, kept on app.state) and
`render()`, shared by the page routes and the error handlers so neither imports the other."""

from __future__ import annotations

import calendar
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from app.http import present
from app.http.headers import link_header
from app.http.params import MAX_QUERY_CHARS
from app.ingest.names import display_name

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"


def build_templates(directory: Path = TEMPLATE_DIR) -> Jinja2Templates:
    """The environment every page renders with."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        # Everywhere, whatever the file name; snippets arrive as Markup built escaped.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        html_path=present.html_path,
        month_name=lambda m: calendar.month_name[m],
        day_name=lambda d: calendar.day_abbr[d],
        long_date=lambda d: d.strftime("%-d %B %Y"),
    )
    env.filters["path_part"] = lambda s: quote(str(s), safe="")
    env.filters["person"] = display_name  # "MICHAEL FITZPATRICK" -> "Michael Fitzpatrick"
    return Jinja2Templates(env=env)


def render(
    request: Request, name: str, status: int = 200, alternate: str | None = None, **context: Any
) -> HTMLResponse:
    """Render a page; `alternate` is its JSON twin in the API, announced in a Link header."""
    templates: Jinja2Templates = request.app.state.templates
    # bounded: an error page about a 100 KB query need not show all of it
    context.setdefault("q", request.query_params.get("q", "")[:MAX_QUERY_CHARS])
    context.setdefault("pager", None)
    context.setdefault("feed", None)
    context["alternate"] = alternate
    response = templates.TemplateResponse(request, name, context, status_code=status)
    link = alternate and link_header(alternate, "alternate", type="application/json")
    if link:
        response.headers["Link"] = link
    return response


def render_error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    response = render(request, "error.html", status=status, status_code=status, message=message)
    if headers:
        response.headers.update(headers)
    return response
