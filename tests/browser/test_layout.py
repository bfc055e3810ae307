"""Issue 18's layout in real Chromium at 390 and 1280 px: charts with axes, results first on a
phone, two columns on a desktop, facets that add up, ways back and forth, small fixes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, expect

PHONE, DESKTOP = (390, 844), (1280, 900)


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _open(browser: Any, server: LiveServer, size: tuple[int, int], scheme: str = "light") -> Any:
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, color_scheme=scheme, base_url=server.url
    )
    return context.new_page()


@pytest.fixture
def phone(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    page = _open(browser, live_server, PHONE)
    yield page
    page.context.close()


@pytest.fixture
def desktop(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    page = _open(browser, live_server, DESKTOP)
    yield page
    page.context.close()


def _texts(page: Any, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def _visible_texts(page: Any, selector: str) -> list[str]:
    # text_content: SVG <text> is no HTMLElement, so it has no innerText
    return [
        (el.text_content() or "").strip() for el in page.locator(selector).all() if el.is_visible()
    ]


# -- 1. charts with axes --------------------------------------------------------------------
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1280"])
def test_charts_have_labelled_axes_gaps_and_values(
    browser: Any, live_server: LiveServer, size: tuple[int, int], scheme: str
) -> None:
    page = _open(browser, live_server, size, scheme)
    # The synthetic archive: two stories in 2018, then Mar 2021 to Dec 2022: months, by year.
    page.goto("/search?q=bridge")
    chart = page.locator("figure.timeline")
    years = _visible_texts(chart, "text.xlabel")
    assert years[0] == "2018" and "2022" in years and all(y.isdigit() for y in years), years
    counts = _visible_texts(chart, "text.ylabel")
    assert counts and all(c.isdigit() for c in counts), counts
    # labels are readable text: not squeezed by the stretched plot, not overlapping each other
    boxes = [el.bounding_box() for el in chart.locator("text.xlabel").all() if el.is_visible()]
    assert all(b["height"] >= 10 for b in boxes)
    assert all(a["x"] + a["width"] <= b["x"] for a, b in pairwise(boxes))
    page_width = page.evaluate("window.innerWidth")
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= page_width for b in boxes)
    # each bar says its value on hover and focus (title, and the readout under the chart)
    bar = chart.locator("a.period").first
    label = bar.get_attribute("aria-label")
    # folded by story (the default): the bars count stories
    assert re.fullmatch(r"May 2018: 1 story \(1 in the archive\)", label or ""), label
    bar.focus()
    assert chart.locator(".readout").inner_text() == label
    # months in which the archive holds nothing are drawn as gaps, not as zero matches
    gaps = chart.locator("rect.nodata title").all_text_contents()
    assert "Jul 2018 to Feb 2021: no articles in the archive" in gaps, gaps

    page.goto("/compare?q=bridge&q=ferry")
    chart = page.locator("figure.compare")
    assert _visible_texts(chart, "text.xlabel")[0] == "2018"
    shares = _visible_texts(chart, "text.ylabel")
    assert shares and all(s.endswith(" %") for s in shares), shares
    page.locator("figure.compare svg.plot").focus()
    page.keyboard.press("ArrowRight")
    readout = chart.locator(".readout").inner_text()
    assert readout.startswith("Jun 2018: bridge 0.00 % (0); ferry 50.00 % (1) of 2 articles"), (
        readout
    )
    page.context.close()


# -- 2. phones: results first ------------------------------------------------------------------
def test_phone_shows_results_first_and_refine_folded(phone: Any) -> None:
    phone.goto("/search?q=bridge&source=Valley+Times")
    first = phone.locator("ol.results > li").first.bounding_box()
    assert first is not None and first["y"] < 844, "the first result is below the first screen"
    # facets and filters wait behind "Refine", even with a filter set; the filter is a chip
    assert phone.locator("details.refine").get_attribute("open") is None
    assert phone.locator("nav.facets").is_hidden() and phone.locator("#f-from").is_hidden()
    chip = phone.locator("ul.chips a.chip")
    assert chip.inner_text().startswith("Source: Valley Times")
    assert chip.bounding_box()["y"] < first["y"]
    phone.locator("details.refine > summary").click()
    assert phone.locator("nav.facets").is_visible()
    # the filters form keeps the words without repeating the header's box
    assert phone.locator("form.filters input[name=q]").get_attribute("type") == "hidden"


# -- 3. desktop: two columns, filter panel closed unless a filter is set ------------------------
def test_desktop_has_facets_beside_the_results(desktop: Any) -> None:
    desktop.goto("/search?q=bridge")
    results = desktop.locator("ol.results").bounding_box()
    facets = desktop.locator("nav.facets").bounding_box()
    assert results is not None and facets is not None
    assert facets["x"] >= results["x"] + results["width"], "facets are not beside the results"
    assert facets["y"] < results["y"] + 200
    assert results["width"] + facets["width"] > 900  # the width is used
    assert desktop.locator("details.filterbox").get_attribute("open") is None
    assert desktop.locator("form.filters input[type=search]").count() == 0
    assert desktop.locator("form.filters button").text_content() == "Apply"
    desktop.goto("/search?q=bridge&from=2022")
    assert desktop.locator("details.filterbox").get_attribute("open") is not None


# -- 4. facets that add up ----------------------------------------------------------------
def test_facets_largest_first_show_all_and_no_source(desktop: Any) -> None:
    desktop.goto("/search?q=story&story=0")  # every synthetic article, every copy
    total = int(desktop.locator("p.count").inner_text().split()[0])
    months = desktop.locator("nav.facets section", has_text="Month")
    shown = [int(c) for c in _visible_texts(months, "li .count")]
    assert shown == sorted(shown, reverse=True)
    months.locator("details.more-facets summary").click()
    every = [int(c) for c in months.locator("li .count").all_inner_texts()]
    assert sum(every) == total and len(every) > len(shown)
    sources = desktop.locator("nav.facets section", has_text="Source")
    counts = [int(c.replace(",", "")) for c in sources.locator("li .count").all_inner_texts()]
    assert sum(counts) == total


# -- 8. finding the way ------------------------------------------------------------------------
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1280"])
def test_reading_page_leads_back_to_the_results_and_on(
    browser: Any, live_server: LiveServer, size: tuple[int, int]
) -> None:
    page = _open(browser, live_server, size)
    page.goto("/search?q=story&story=0&sort=oldest&source=Harbour+Gazette&page=2")
    results = page.locator("ol.results > li")
    second = results.nth(1)
    rank = int((second.get_attribute("id") or "r0")[1:])
    assert rank == 22  # 20 a page: the second result of page 2
    title = second.locator("h2 a").inner_text()
    following = results.nth(2).locator("h2 a").inner_text()
    second.locator("h2 a").click()
    page.wait_for_url(re.compile(r"/articles/\d+/"))
    nav = page.locator("nav.resultnav")
    assert re.fullmatch(r"Result 22 of \d+", nav.locator(".pos").inner_text())
    assert page.locator("h1").inner_text() == title
    # next and previous results, in the search's order, keeping the search
    nav.locator("a.next-result").click()
    page.wait_for_url(re.compile(r"n=23"))
    assert page.locator("h1").inner_text() == following
    page.locator("nav.resultnav a.prev-result").click()
    page.wait_for_url(re.compile(r"n=22"))
    assert page.locator("h1").inner_text() == title
    # back to the same results page (filters, order, page), scrolled to the result
    page.locator("nav.resultnav a.back").click()
    page.wait_for_url(re.compile(r"/search\?.*page=2#r22$"))
    assert "source=Harbour+Gazette" in page.url and "sort=oldest" in page.url
    assert page.locator("#r22 h2 a").inner_text() == title
    box = page.locator("#r22").bounding_box()
    assert box is not None and 0 < box["y"] < size[1]
    page.context.close()


def test_numbered_result_pages(desktop: Any) -> None:
    desktop.goto("/search?q=story&story=0&page_size=5&page=4")
    total = int(desktop.locator("p.count").inner_text().split()[0])
    pages = -(-total // 5)
    numbers = desktop.locator("nav.pager ul.pages li").all_inner_texts()
    assert [n.split()[-1] for n in numbers] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "…",
        str(pages),
    ]
    assert desktop.locator("nav.pager [aria-current=page]").inner_text().endswith("4")
    desktop.locator("nav.pager ul.pages a", has_text=str(pages)).click()
    desktop.wait_for_url(re.compile(rf"page={pages}"))
    assert desktop.locator("ol.results > li").count() + desktop.locator(
        "ol.results details.similar li"
    ).count() == total - 5 * (pages - 1)
    assert desktop.locator("nav.pager a[rel=next]").count() == 0


def test_related_page_is_one_aligned_column(desktop: Any, live_server: LiveServer) -> None:
    desktop.goto(f"/related/{live_server.ids[1]}")
    assert (
        desktop.locator("h1").count() == 1
        and desktop.locator("main h2", has_text="Related").count() == 0
    )
    lefts = {
        round(desktop.locator(sel).first.bounding_box()["x"])
        for sel in ("nav.crumbs", "main h1", "ol.related-list li h2")
    }
    assert len(lefts) == 1, lefts


def test_month_calendar_has_previous_and_next_month(desktop: Any) -> None:
    desktop.goto("/browse/2021/3")
    nav = desktop.locator("nav.monthnav")
    assert nav.locator("a[rel=prev]").inner_text() == "← June 2018"  # across the empty years
    nav.locator("a[rel=next]").click()
    desktop.wait_for_url(re.compile(r"/browse/2021/\d+$"))
    assert desktop.locator("h1").inner_text().endswith("2021")
    assert desktop.locator("nav.monthnav a[rel=prev]").inner_text() == "← March 2021"


# -- 9. small things that looked broken -------------------------------------------------------
def test_instant_count_waits_for_a_pause_and_reads_a_half_word_as_a_prefix(desktop: Any) -> None:
    desktop.goto("/")
    desktop.evaluate(
        """() => { window.seen = [];
        new MutationObserver(() => window.seen.push(
            document.getElementById('site-q-count').textContent))
          .observe(document.querySelector('form.searchbox'),
                   {subtree: true, childList: true, characterData: true}); }"""
    )
    desktop.locator("#site-q").press_sequentially("librar", delay=120)
    # a locator wait, not wait_for_function: the page's CSP forbids eval of a string predicate
    expect(desktop.locator("#site-q-count")).to_have_text(re.compile(r"^Still typing"))
    hint = desktop.locator("#site-q-count").inner_text()
    assert re.fullmatch(r"Still typing\? \d+ stor(y|ies) with a word starting “librar”", hint)
    assert "No articles match" not in desktop.evaluate("window.seen")
    # no count per keystroke: one exact question and one prefix question for the pause
    assert len([t for t in desktop.evaluate("window.seen") if t]) <= 2


def test_imports_page_fits_a_phone_and_says_done_with_errors(
    browser: Any, live_server: LiveServer, scheme: str
) -> None:
    page = _open(browser, live_server, PHONE, scheme)
    page.goto("/imports")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    status = page.locator("table.runs td.status").first
    assert status.inner_text() == "done, 1 error"  # not "failed": articles were added
    assert page.locator("table.runs td[data-label=added]").first.inner_text() == "1"
    page.context.close()


def test_syntax_error_says_how_to_fix_it(phone: Any) -> None:
    response = phone.goto('/search?q="unclosed')
    assert response is not None and response.status == 400
    alert = phone.locator("[role=alert]")
    assert "unclosed quote at character 1" in alert.inner_text()
    assert alert.locator(".fix").inner_text() == (
        'To fix it: add the closing " after the phrase, or remove the opening one.'
    )


def test_bibtex_urls_wrap_inside_their_box(phone: Any, live_server: LiveServer) -> None:
    phone.goto(f"/articles/{live_server.seed_id}")
    phone.locator(".cite summary").click()
    pre = phone.locator(".cite-bibtex")
    assert "url = {" in pre.inner_text()
    assert pre.evaluate("e => e.scrollWidth - e.clientWidth") <= 0
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_snippets_start_and_stop_at_boundaries(desktop: Any) -> None:
    desktop.goto("/search?q=mayor")
    snippets = desktop.locator("ol.results p.snippet").all_inner_texts()
    assert snippets
    for text in snippets:
        assert text[0].isupper() or text.startswith("… "), text
        assert text.endswith((".", " …")), text


# -- one result per story: on by default, the choice kept in the URL ---------------------------
def test_one_result_per_story_is_the_default_and_the_url_keeps_the_choice(desktop: Any) -> None:
    def count() -> int:
        return int(desktop.locator("p.count").inner_text().split()[0].replace(",", ""))

    desktop.goto("/search?q=story")
    box = desktop.get_by_label("One result per story")
    expect(box).to_be_checked()
    expect(desktop.locator("p.folded-note")).to_be_visible()
    folded = count()
    desktop.locator("details.filterbox > summary").click()
    box.uncheck()
    desktop.locator("form.filters button[type=submit]").click()
    desktop.wait_for_url(re.compile(r"story=0$"))  # unticked: an explicit off in the URL
    every = count()
    assert every > folded
    expect(box).not_to_be_checked()
    expect(desktop.locator("p.folded-note")).to_have_count(0)
    # back and forward keep each choice
    desktop.go_back()
    desktop.wait_for_url(re.compile(r"/search\?q=story$"))
    assert count() == folded
    desktop.go_forward()
    desktop.wait_for_url(re.compile(r"story=0$"))
    assert count() == every
    expect(box).not_to_be_checked()
    # ticked again: the hidden story=0, then story=1; the last one wins
    if desktop.locator("details.filterbox").get_attribute("open") is None:  # kept open by history
        desktop.locator("details.filterbox > summary").click()
    box.check()
    desktop.locator("form.filters button[type=submit]").click()
    desktop.wait_for_url(re.compile(r"story=0&story=1$"))
    assert count() == folded
    expect(box).to_be_checked()
