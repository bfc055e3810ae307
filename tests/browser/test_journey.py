"""End-to-end journeys in real Chromium: search, filter, read, back; keyboard only; no script."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import SCREENSHOTS, LiveServer, Watch, expect


def test_home_search_filter_read_back(page: Any, live_server: LiveServer) -> None:
    page.goto("/")
    assert page.title() == "News Archive"
    # `/` jumps to the header search box from anywhere on the page
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-q"
    page.keyboard.type("bridge")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=bridge"))
    # one result per story by default; every copy (story=0) for the rest of this journey
    expect(page.locator("p.folded-note")).to_be_visible()
    stories = int(page.locator("p.count").inner_text().split()[0].replace(",", ""))
    page.goto("/search?q=bridge&story=0")
    count = page.locator("p.count").inner_text()
    total = int(count.split()[0].replace(",", ""))
    assert total > 2 and total > stories, count
    # Near-identical stories fold under one result ("N similar"); together they are all shown.
    shown = page.locator("ol.results > li")
    folded = page.locator("ol.results details.similar li")
    assert shown.count() + folded.count() == min(total, 20)
    assert page.locator("ol.results > li p.snippet mark").count() >= shown.count()

    # facet: narrow to one source; the filter shows as a chip that can be removed
    page.locator("a.facet", has_text="Valley Times").click()
    page.wait_for_url(re.compile(r"source=Valley\+Times"))
    narrowed = int(page.locator("p.count").inner_text().split()[0])
    assert 0 < narrowed < total
    sources = page.locator("ol.results p.meta a.source").all_inner_texts()
    assert sources and set(sources) == {"Valley Times"}
    assert page.locator("ul.chips a.chip").inner_text().startswith("Source: Valley Times")
    filtered_url = page.url

    # read: highlighted words with next/previous-match navigation
    first = page.locator("ol.results h2 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/articles/\d+/"))
    assert page.locator("h1").inner_text() == title
    marks = page.locator(".body mark")
    n = marks.count()
    assert n >= 2 and page.locator("nav.matches").get_attribute("data-count") == str(n)
    page.locator("button.match-next").click()
    assert page.locator("mark.current").get_attribute("id") == "m1"
    assert page.locator(".matchcount .pos").inner_text() == f"Match 1 of {n}"
    page.keyboard.press("n")
    assert page.locator("mark.current").get_attribute("id") == "m2"
    page.keyboard.press("p")
    page.keyboard.press("p")  # wraps around to the last match
    assert page.locator("mark.current").get_attribute("id") == f"m{n}"
    assert page.url.endswith(f"#m{n}")

    # back: the filtered results, as they were
    page.go_back()
    page.wait_for_url(filtered_url)
    assert int(page.locator("p.count").inner_text().split()[0]) == narrowed
    page.locator("ul.chips a.chip").first.click()
    page.wait_for_url(re.compile(r"/search\?q=bridge&story=0$"))
    assert int(page.locator("p.count").inner_text().split()[0]) == total


def test_reading_page_navigation_and_citation(page: Any, live_server: LiveServer) -> None:
    page.goto(f"/articles/{live_server.seed_id}")
    assert page.url.startswith(f"{live_server.url}/articles/{live_server.seed_id}/the-top-us")
    assert [c.strip() for c in page.locator(".crumbs li").all_inner_texts()] == [
        "Home",
        "2022",
        "January",
        "6",
    ]
    assert page.locator(".cite-bibtex").is_hidden()
    page.locator(".cite summary").click()
    bibtex = page.locator(".cite-bibtex").inner_text()
    assert bibtex.startswith("@article{") and "Kevin Liptak" not in bibtex  # a contributor
    assert "journal = {CNN}" in bibtex and "date = {2022-01-06}" in bibtex
    # `]` goes to the next article in date order, `[` back
    here = page.url
    later = page.locator("nav.prevnext a[rel=next]")
    if later.count():
        later_title = later.locator(".t").inner_text()
        page.keyboard.press("]")
        page.wait_for_url(lambda u: u != here)
        assert page.locator("h1").inner_text() == later_title
        page.keyboard.press("[")
        page.wait_for_url(here)


def test_keyboard_only(page: Any, live_server: LiveServer) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.innerText]")
    assert focused == ["skip", "Skip to content"]
    # the skip link is visible when focused, and has a visible focus ring
    box = page.locator("a.skip").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # from the main content, Tab reaches the latest articles; Enter opens one
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('ol.articles h3')"):
            break
    else:
        raise AssertionError("Tab never reached an article link")
    title = page.evaluate("document.activeElement.innerText")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/articles/\d+/"))
    assert page.locator("h1").inner_text() == title
    # the search form works from the keyboard too
    page.keyboard.press("/")
    page.keyboard.type("ferry")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=ferry"))
    assert page.locator("ol.results li").count() > 0


def test_everything_works_without_javascript(
    browser: Any, live_server: LiveServer, watch: Watch
) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    watch.attach(page)
    page.goto("/")
    page.fill("#site-q", "storm")
    page.press("#site-q", "Enter")
    page.wait_for_url(re.compile(r"q=storm"))
    stories = int(page.locator("p.count").inner_text().split()[0])  # folded by default
    page.goto("/search?q=storm&story=0")
    total = int(page.locator("p.count").inner_text().split()[0])
    assert total >= stories
    assert page.locator("#f-from").is_hidden()  # filters fold away until asked for
    page.locator("details.refine > summary").click()  # no script: folded on wide screens too
    page.locator("details.filterbox summary").click()
    page.fill("#f-from", "2022")
    page.select_option("#f-sort", "oldest")
    # unticked, the form still says so without script (its hidden story=0)
    assert not page.is_checked("form.filters input[type=checkbox][name=story]")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"from=2022.*story=0$"))
    dates = page.locator("ol.results time").evaluate_all("els => els.map(e => e.dateTime)")
    assert dates and dates == sorted(dates) and all(d.startswith("2022") for d in dates)
    assert len(dates) < total
    page.locator("ol.results h2 a").first.click()
    page.wait_for_url(re.compile(r"/articles/\d+/"))
    # without script: a link to the first match instead of the buttons
    assert page.locator("button.match-next").count() == 0
    page.locator("a.match-first").click()
    assert page.url.endswith("#m1")
    # the citation opens with <details>, no script needed
    page.locator(".cite summary").click()
    assert page.locator(".cite-bibtex").is_visible()
    context.close()
    assert watch.console == [] and watch.failed == [] and watch.bad_status == []


def test_print_stylesheet_shows_only_the_article(page: Any, live_server: LiveServer) -> None:
    page.goto(f"/articles/{live_server.seed_id}?q=russia")
    page.emulate_media(media="print")
    for selector in ["header.site", "footer.site", "nav.prevnext", "nav.matches", ".crumbs"]:
        assert page.locator(selector).is_hidden(), selector
    assert page.locator(".reading .body").is_visible()
    assert page.locator(".print-cite").is_visible()  # a printed copy says how to cite it
    assert page.locator("details.cite").is_hidden()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "article-print.png"), full_page=True)


def test_404_offers_a_search(page: Any, live_server: LiveServer, watch: Watch) -> None:
    response = page.goto("/no/such/page")
    assert response.status == 404
    # expected here: the 404 status, and Chromium's console line about it
    assert watch.bad_status == [f"404 {live_server.url}/no/such/page"]
    watch.bad_status.clear()
    watch.console[:] = [m for m in watch.console if "404 (Not Found)" not in m]
    page.fill("#err-q", "library")
    page.press("#err-q", "Enter")
    page.wait_for_url(re.compile(r"/search\?q=library"))
    assert int(page.locator("p.count").inner_text().split()[0]) > 0


def test_a_match_link_lands_in_view(page: Any, live_server: LiveServer) -> None:
    page.goto(f"/articles/{live_server.seed_id}?q=russia#m3")
    # expect() polls without eval, which the page's policy (no 'unsafe-eval') would refuse
    expect(page.locator("mark.current")).to_have_count(1)
    assert page.locator("mark.current").get_attribute("id") == "m3"
    bar = page.locator("nav.matches").bounding_box()
    mark = page.locator("#m3").bounding_box()
    assert bar is not None and mark is not None
    assert mark["y"] >= bar["y"] + bar["height"], "the match is hidden under the sticky bar"
    assert mark["y"] + mark["height"] <= 900


def test_instant_result_count_while_typing(page: Any, live_server: LiveServer) -> None:
    page.goto("/")
    hint = page.locator("#site-q-count")
    assert hint.is_hidden()
    page.locator("#site-q").fill("bridge")
    expect(hint).to_be_visible()
    # The count is the one the search page then shows for the same query.
    instant = int(hint.inner_text().split()[0].replace(",", ""))
    assert page.locator("#site-q").get_attribute("aria-describedby") == "site-q-count"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=bridge"))
    assert int(page.locator("p.count").inner_text().split()[0].replace(",", "")) == instant
    page.locator("#site-q").fill("zzyzxqj")
    expect(hint).to_have_text("No articles match")


def test_the_content_security_policy_is_enforced(
    page: Any, live_server: LiveServer, watch: Watch
) -> None:
    """The pages run under the strict policy (so every test above would see a violation as a
    console error), and an injected inline script is refused, not run."""
    response = page.goto("/search?q=bridge")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.evaluate(
        """() => { const s = document.createElement('script');
            s.textContent = 'window.injected = true'; document.body.append(s); }"""
    )
    page.wait_for_timeout(100)
    assert page.evaluate("window.injected === undefined")
    assert any("CSP violation: script-src" in m for m in watch.console), watch.console
    watch.console.clear()
