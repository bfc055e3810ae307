"""Machine-readable documents for feed readers, crawlers and browsers: Atom, sitemap, OpenSearch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from xml.etree import ElementTree as ET

from app.http.present import html_path, slugify
from app.models import Article
from app.services.listing import ArticleStub
from app.services.searching import lead_snippet

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
OPENSEARCH_TYPE = "application/opensearchdescription+xml; charset=utf-8"
SITEMAP_LIMIT = 50_000  # the sitemap protocol's ceiling for one file


def _tostring(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _rfc3339(moment: dt.datetime | dt.date) -> str:
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # we store UTC without a zone
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def entry_id(base: str, article_id: int) -> str:
    return f"{base}/articles/{article_id}"


def atom_feed(
    *, base: str, title: str, self_path: str, html_path_: str, rows: Sequence[Article]
) -> bytes:
    """An Atom 1.0 feed of `rows` (RFC 4287), with absolute links under `base`; every feed's
    entries have the same id, `{base}/articles/{id}`, which a retitled article keeps (its
    page URL carries a slug and would change)."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", base + self_path)
    sub(feed, "title", title)
    sub(feed, "link", rel="self", type="application/atom+xml", href=base + self_path)
    sub(feed, "link", rel="alternate", type="text/html", href=base + html_path_)
    updated = max((a.updated_at for a in rows), default=dt.datetime(2000, 1, 1))
    sub(feed, "updated", _rfc3339(updated))
    sub(sub(feed, "author"), "name", "News Archive")
    sub(feed, "generator", "News Archive")
    for a in rows:
        entry = sub(feed, "entry")
        sub(entry, "id", entry_id(base, a.id))
        sub(entry, "title", a.title)
        sub(entry, "link", rel="alternate", type="text/html", href=base + html_path(a))
        sub(entry, "published", _rfc3339(a.published))
        sub(entry, "updated", _rfc3339(a.updated_at))
        for name in a.authors or [a.source or "Unknown"]:
            sub(sub(entry, "author"), "name", name)
        if a.source:
            sub(entry, "category", term=a.source)
        sub(entry, "summary", str(lead_snippet(a.body, chars=400).unescape()))
    return _tostring(feed)


def sitemap(*, base: str, static_paths: Sequence[str], stubs: Sequence[ArticleStub]) -> bytes:
    """A sitemap of the fixed pages and the newest articles (at most SITEMAP_LIMIT URLs)."""
    ET.register_namespace("", SITEMAP_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")

    def url(loc: str, lastmod: str | None = None) -> None:
        el = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(el, f"{{{SITEMAP_NS}}}loc").text = base + loc
        if lastmod:
            ET.SubElement(el, f"{{{SITEMAP_NS}}}lastmod").text = lastmod

    for path in static_paths:
        url(path)
    for s in stubs[: SITEMAP_LIMIT - len(static_paths)]:
        url(f"/articles/{s.id}/{slugify(s.title)}", s.updated_at.date().isoformat())
    return _tostring(root)


def opensearch(*, base: str) -> bytes:
    """An OpenSearch 1.1 description, so a browser can add the archive as a search engine."""
    ET.register_namespace("", OPENSEARCH_NS)
    root = ET.Element(f"{{{OPENSEARCH_NS}}}OpenSearchDescription")
    for tag, text in [
        ("ShortName", "News Archive"),
        ("Description", "Search the News Archive"),
        ("InputEncoding", "UTF-8"),
    ]:
        ET.SubElement(root, f"{{{OPENSEARCH_NS}}}{tag}").text = text
    ET.SubElement(
        root,
        f"{{{OPENSEARCH_NS}}}Url",
        type="text/html",
        method="get",
        template=base + "/search?q={searchTerms}",
    )
    ET.SubElement(
        root,
        f"{{{OPENSEARCH_NS}}}Url",
        type="application/json",
        method="get",
        template=base + "/api/v1/search?q={searchTerms}",
    )
    ET.SubElement(
        root,
        f"{{{OPENSEARCH_NS}}}Url",
        type="application/opensearchdescription+xml",
        rel="self",
        template=base + "/opensearch.xml",
    )
    return _tostring(root)
