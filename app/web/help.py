"""The search-help page: the query language, with examples that run (tests run each one)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.http.templating import render

router = APIRouter(tags=["pages"])

# (query, what it finds): every one is parsed and searched by tests/web/test_feeds.py.
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("russia ukraine", "articles with both words (AND is implied)"),
    ("russia OR ukraine", "either word"),
    ("russia NOT ukraine", "the first word without the second; -ukraine works too"),
    ('"de-escalation"', "an exact phrase (curly quotes work too)"),
    ("diplom*", "a prefix: diplomacy, diplomat, diplomatic"),
    ("title:blinken", "a word in the title; body: for the text"),
    ('source:"new york times"', "a source (case does not matter)"),
    ("author:liptak", "an author or contributor"),
    ("(gas OR oil) pipeline", "grouping"),
    ("US talks may", "short words are kept: US, may, will, 2"),
)


@router.get("/help/search", response_class=HTMLResponse, include_in_schema=False)
def search_help(request: Request) -> HTMLResponse:
    return render(request, "search_help.html", examples=EXAMPLES)
