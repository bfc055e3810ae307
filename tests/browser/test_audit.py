"""Every page type: zero serious/critical axe-core violations (light and dark), and screenshots
at phone (390 px) and desktop (1280 px) widths in test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ASSETS, REPORT_CSP, SCREENSHOTS, LiveServer

AXE = ASSETS / "axe.min.js"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}


def _pages(server: LiveServer) -> dict[str, str]:
    return {
        "home": "/",
        "search": "/search?q=bridge",
        "search-filtered": "/search?q=ferry&source=Harbour+Gazette&sort=newest",
        "search-error": '/search?q="unclosed',
        "compare": "/compare?q=bridge&q=ferry&q=harbour",
        "article": f"/articles/{server.seed_id}",
        "article-highlighted": f"/articles/{server.seed_id}?q=russia+OR+diplomacy",
        "browse-years": "/browse",
        "browse-year": "/browse/2021",
        "browse-month": "/browse/2022/1",
        "browse-day": "/browse/2022/1/6",
        "sources": "/sources",
        "source": "/sources/Harbour%20Gazette",
        "authors": "/authors",
        "author": "/authors/Ada%20Park",
        "related": f"/related/{server.seed_id}",
        "story": f"/stories/{server.seed_id}",
        "imports": "/imports",
        "article-from-search": f"/articles/{server.seed_id}?q=russia&n=1",
        "not-found": "/no/such/page",
    }


PAGE_NAMES = list(_pages(LiveServer("", ASSETS, 0)).keys())


def _axe(page: Any) -> list[dict[str, Any]]:
    # axe arrives as an init script (see the context below): a <script> tag added to the page
    # would be inline script, which the page's Content-Security-Policy rightly refuses.
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return list(result)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_accessible_and_screenshotted(
    browser: Any, live_server: LiveServer, name: str, scheme: str
) -> None:
    path = _pages(live_server)[name]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        context = browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme=scheme,
            base_url=live_server.url,
        )
        context.add_init_script(path=str(AXE))
        context.add_init_script(REPORT_CSP)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.on(
            "console",
            lambda m, errors=errors: errors.append(m.text) if "CSP" in m.text else None,
        )
        response = page.goto(path)
        assert response is not None
        expected = {"not-found": 404, "search-error": 400}.get(name, 200)
        assert response.status == expected
        # no horizontal scrolling on a phone or a desktop
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} at {width}px scrolls sideways by {overflow}px"
        suffix = "" if scheme == "light" else "-dark"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}{suffix}.png"), full_page=True)
        serious = [v for v in _axe(page) if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{name} {scheme} {width}px: {serious}"
        assert errors == []
        context.close()
