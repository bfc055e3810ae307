"""Browser fixtures: a live uvicorn server over a temporary archive, and Debian's Chromium driven
by Playwright. Without Chromium or Playwright every browser test skips with the reason."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.archive import open_archive
from app.config import Settings
from app.ingest.dated_text import parse_dated_text
from app.ingest.record import ArticleIn
from app.migrate import upgrade
from app.services.articles import add_articles
from app.services.importer import ImportOptions, ImportSummary, import_files
from app.services.imports import recorded_run, start_import
from tests.conftest import ROOT, SEED
from tests.live import UVICORN, clean_env, server_process

CHROMIUM = Path(os.environ.get("NEWSARCHIVE_CHROMIUM", "/usr/bin/chromium"))
ASSETS = Path(__file__).resolve().parent / "assets"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# Injected through the DevTools protocol (so the page's policy does not apply to it): every
# Content-Security-Policy violation becomes a console error, which fails the test.
REPORT_CSP = (
    "document.addEventListener('securitypolicyviolation', e => console.error("
    "'CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')))"
)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing()
    browser_items = any("tests/browser/" in str(i.fspath).replace(os.sep, "/") for i in items)
    # `make test-browser` sets this: a run that exists to drive Chromium must not pass by
    # skipping everything (as NEWSARCHIVE_REQUIRE_POSTGRES does for the PostgreSQL suite).
    if reason and browser_items and os.environ.get("NEWSARCHIVE_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"browser tests cannot run: {reason}")
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


# Synthetic articles: two invented sources, three authors, spread over 2021-2022, enough for a
# second page on a source listing (30 a page).
_SOURCES = ["Harbour Gazette", "Valley Times"]
_AUTHORS = [["Ada Park"], ["Ben Okafor", "Ada Park"], ["Chloé Martin"]]
_TOPICS = [
    ("Ferry timetable changes", "ferry", "The harbour ferry will run every twenty minutes"),
    ("Council debates bridge repairs", "bridge", "Councillors argued over the cost of the bridge"),
    ("Orchard harvest arrives early", "orchard", "Growers in the valley picked apples in August"),
    ("Library extends opening hours", "library", "The central library will open on Sundays"),
    ("Storm closes coastal road", "storm", "A winter storm closed the coastal road overnight"),
]


def expect(target: Any) -> Any:
    """Playwright's expect, imported late so that without Playwright the tests skip instead."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def synthetic_items(n: int = 44) -> list[ArticleIn]:
    items = []
    start = dt.date(2021, 3, 1)
    for i in range(n):
        title, word, lead = _TOPICS[i % len(_TOPICS)]
        paragraphs = [
            f"{lead}, officials said on the {i + 1}th day of the reporting period.",
            f"Residents asked whether the {word} plan had been costed. One said the {word} "
            "question had come up at every meeting since spring.",
            "The mayor said a decision would follow after consultation with neighbours, "
            "businesses and the regional transport authority.",
            f"Story number {i} in this synthetic set; the {word} debate continues.",
        ]
        items.append(
            ArticleIn(
                body="\n\n".join(paragraphs),
                published=start + dt.timedelta(days=(i * 11) % 640),
                title=f"{title} ({i})",
                source=_SOURCES[i % 2 if i % 7 else 0],
                authors=_AUTHORS[i % 3],
                url=f"https://news.example/{i}",
            )
        )
    # Two old stories, then nothing for years: charts must show that stretch as a gap.
    for n, (day, lead) in enumerate(
        [(dt.date(2018, 5, 2), "The old bridge reopened"), (dt.date(2018, 6, 9), "A ferry sank")]
    ):
        items.append(
            ArticleIn(
                body=f"{lead} after months of work, the harbour board said. Story {n} of 2018.",
                published=day,
                title=f"{lead} (2018)",
                source="Harbour Gazette",
                authors=["Ada Park"],
                url=f"https://news.example/2018/{n}",
            )
        )
    return items


def _import_with_one_error(archive: Any, folder: Path) -> None:
    """One recorded import run that added an article and failed on one file (the /imports
    page's history)."""
    folder.mkdir()
    (folder / "good.txt").write_text(
        "date 2018-06-20\ntitle Pier repairs finished\n\nThe pier reopened.\n", encoding="utf-8"
    )
    (folder / "bad.txt").write_text("no date header here\n", encoding="utf-8")
    files = [str(folder / "good.txt"), str(folder / "bad.txt")]
    run_id = start_import(archive, sources=[str(folder)])
    summary = ImportSummary()
    with recorded_run(archive, run_id=run_id, summary=summary):
        import_files(archive, files=files, options=ImportOptions(run_id=run_id), summary=summary)


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    seed_id: int
    ids: list[int] = field(default_factory=list)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if reason := _missing():
        pytest.skip(reason)
    data = tmp_path_factory.mktemp("browser-archive")
    upgrade(f"sqlite:///{data / 'archive.db'}")
    archive = open_archive(Settings(data_dir=data))  # type: ignore[arg-type]
    try:
        seed = parse_dated_text(SEED.read_text(encoding="utf-8"), origin=str(SEED))
        outcomes = add_articles(archive, items=[seed, *synthetic_items()])
        _import_with_one_error(archive, data / "upload")
    finally:
        archive.close()
    with server_process(
        [*UVICORN, "--log-level", "warning"], env=clean_env(data), log_path=data / "server.log"
    ) as url:
        yield LiveServer(url, data, outcomes[0].article.id, [o.article.id for o in outcomes])


@pytest.fixture(scope="session")
def browser(live_server: LiveServer) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Watch:
    """Console errors, failed requests and error responses a page produced."""

    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on(
            "response",
            lambda r: self.bad_status.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser: Any, live_server: LiveServer, watch: Watch) -> Iterator[Any]:
    """A fresh desktop page whose console and network are watched; all must be clean at the end."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    # Every request must stay on our server: anything else is a bug (CDN, font, tracker).
    context.route(lambda url: not url.startswith(live_server.url), lambda route: route.abort())
    context.add_init_script(REPORT_CSP)
    pg = context.new_page()
    watch.attach(pg)
    yield pg
    context.close()
    assert watch.console == [], watch.console
    assert watch.failed == [], watch.failed
    assert watch.bad_status == [], watch.bad_status
