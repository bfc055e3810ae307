"""Every reader on small fixtures written here: fields mapped, unknown fields kept, bad input
turned into a per-item error without losing the good items."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from app.ingest.csv_reader import read_csv
from app.ingest.feed_reader import localized_date, read_feed
from app.ingest.formats import detect, read_path
from app.ingest.html_reader import parse_html
from app.ingest.json_reader import read_json, read_json_lines
from app.ingest.record import InvalidArticle
from app.ingest.warc_reader import read_warc

PARAGRAPHS = [
    "The harbour authority approved the new breakwater on Tuesday after three years of "
    "hearings, ending a dispute between fishermen and the shipping companies.",
    "Work starts in the spring and should take two years, the authority's chair said, adding "
    "that the cost would be shared between the city and the national port fund.",
    "Fishermen had argued that the wall would change the currents near the old quay; an "
    "independent study published last month found the effect to be small.",
]


def page(*, head: str, body_extra: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>{head}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>Breakwater approved</h1>{paragraphs}{body_extra}</article>"
        "<footer>Copyright Harbour Post. All rights reserved.</footer></body></html>"
    )


JSON_LD = json.dumps(
    {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Harbour Post site"},
            {
                "@type": "NewsArticle",
                "headline": "Harbour breakwater approved after three years",
                "datePublished": "2023-04-05T09:30:00+01:00",
                "author": [{"@type": "Person", "name": "Ana Lima"}, {"name": "Tom Berg"}],
                "publisher": {"@type": "Organization", "name": "Harbour Post"},
                "inLanguage": "en-GB",
                "url": "https://harbour.example/news/breakwater",
            },
        ],
    }
)
OPEN_GRAPH = (
    "<meta property='og:title' content='OG title of the breakwater story'>"
    "<meta property='og:site_name' content='OG Harbour'>"
    "<meta property='article:published_time' content='2023-04-07'>"
    "<meta name='author' content='Meta Author'>"
    "<meta property='og:url' content='https://harbour.example/og'>"
)


# -- HTML ---------------------------------------------------------------------------------------


def test_html_prefers_json_ld_over_open_graph() -> None:
    html = page(head=f"<script type='application/ld+json'>{JSON_LD}</script>{OPEN_GRAPH}")
    article = parse_html(html.encode(), origin="page.html")
    assert article.title == "Harbour breakwater approved after three years"
    assert article.published == dt.date(2023, 4, 5)
    assert article.authors == ["Ana Lima", "Tom Berg"]
    assert article.source == "Harbour Post"
    assert article.language == "en-gb"
    assert article.url == "https://harbour.example/news/breakwater"
    assert "independent study published last month" in article.body
    assert "All rights reserved" not in article.body and "Home" not in article.body.split()


def test_html_open_graph_when_no_json_ld() -> None:
    article = parse_html(page(head=OPEN_GRAPH).encode(), origin="page.html")
    assert article.title == "OG title of the breakwater story"
    assert article.published == dt.date(2023, 4, 7)
    assert article.source == "OG Harbour"
    assert article.authors == ["Meta Author"]
    assert article.url == "https://harbour.example/og"


def test_html_broken_json_ld_falls_back() -> None:
    html = page(head=f"<script type='application/ld+json'>{{not json</script>{OPEN_GRAPH}")
    assert parse_html(html, origin=None).title == "OG title of the breakwater story"


def test_html_undeclared_utf8_is_not_mojibake() -> None:
    html = page(head=OPEN_GRAPH, body_extra="<p>Der Bürgermeister sagte: „Schön“.</p>")
    html = html.replace("<meta charset='utf-8'>", "")
    assert "Bürgermeister" in parse_html(html.encode("utf-8"), origin=None).body


def test_html_without_article_or_date_is_refused() -> None:
    with pytest.raises(InvalidArticle, match="no article text"):
        parse_html(b"<html><body><nav><a href='/'>Home</a></nav></body></html>", origin=None)
    with pytest.raises(InvalidArticle, match="no publication date"):
        parse_html(page(head="").encode(), origin=None)
    # A capture date (WARC) stands in for a page without one.
    dated = parse_html(page(head="").encode(), origin=None, fallback_date=dt.date(2020, 1, 2))
    assert dated.published == dt.date(2020, 1, 2)
    with pytest.raises(InvalidArticle):
        parse_html(b"   ", origin=None)


# -- feeds --------------------------------------------------------------------------------------

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Harbour Post</title><link>https://harbour.example/</link><language>en</language>
<lastBuildDate>Wed, 05 Apr 2023 10:00:00 GMT</lastBuildDate>
<item><title>Full story</title><link>https://harbour.example/1</link><guid>id-1</guid>
  <pubDate>Tue, 04 Apr 2023 08:00:00 GMT</pubDate><dc:creator>Ana Lima</dc:creator>
  <category>port</category>
  <description>Short summary only.</description>
  <content:encoded><![CDATA[<p>The full first paragraph.</p><p>The full second one.</p>]]>
  </content:encoded></item>
<item><title>Summary story</title><link>https://harbour.example/2</link>
  <pubDate>not a date at all</pubDate>
  <description>&lt;p&gt;Only a summary here.&lt;/p&gt;</description></item>
<item><title>Empty story</title><pubDate>Tue, 04 Apr 2023 08:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_rss_full_content_summary_fallback_and_bad_items() -> None:
    items = list(read_feed(RSS, origin="feed.rss"))
    assert len(items) == 3
    full, summary, empty = (article for _, article, _ in items)
    assert full is not None and summary is not None and empty is None
    assert full.body == "The full first paragraph.\n\nThe full second one."
    assert full.published == dt.date(2023, 4, 4)
    assert full.authors == ["Ana Lima"] and full.source == "Harbour Post"
    assert full.url == "https://harbour.example/1" and full.language == "en"
    assert full.extra == {"entry_id": "id-1", "tags": ["port"]}
    assert full.provenance is not None and full.provenance["content"] == "full"
    assert summary.body == "Only a summary here."
    # An invalid item date falls back to the feed's own date.
    assert summary.published == dt.date(2023, 4, 5)
    assert "no content or summary" in (items[2][2] or "")


def test_atom_and_localized_dates() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Post</title>
<entry><title>Atom entry</title><id>urn:1</id><link href="https://atom.example/a"/>
<updated>2022-12-01T10:00:00Z</updated><author><name>Kim Ray</name></author>
<content type="html">&lt;p&gt;Atom body text.&lt;/p&gt;</content></entry></feed>"""
    [(_, article, _)] = list(read_feed(atom, origin="a.atom"))
    assert article is not None
    assert (article.title, article.published, article.authors, article.body) == (
        "Atom entry",
        dt.date(2022, 12, 1),
        ["Kim Ray"],
        "Atom body text.",
    )
    assert localized_date("Seg, 24 Set 2018 19:42:40 -0300") == dt.date(2018, 9, 24)
    assert localized_date("Mo, 3 Okt 2022") == dt.date(2022, 10, 3)
    assert localized_date("31 Xyz 2022") is None


def test_json_feed() -> None:
    data = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "JSON Post",
            "items": [
                {
                    "id": "1",
                    "url": "https://json.example/1",
                    "title": "First",
                    "content_html": "<p>JSON feed body.</p>",
                    "date_published": "2021-05-06T07:08:09Z",
                    "authors": [{"name": "Lee Park"}],
                },
                {"id": "2", "content_text": "No date anywhere."},
            ],
        }
    ).encode()
    items = list(read_feed(data, origin="feed.json"))
    first = items[0][1]
    assert first is not None and first.body == "JSON feed body."
    assert first.published == dt.date(2021, 5, 6) and first.authors == ["Lee Park"]
    assert items[1][1] is None and "no usable date" in (items[1][2] or "")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<rss><channel><title>x</title></channel></rss>", "no items"),
        (b"this is not xml", "not a readable feed"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": []}', "no items"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "not a readable"),
    ],
)
def test_broken_feeds_give_one_clear_error(data: bytes, message: str) -> None:
    [(_label, article, error)] = list(read_feed(data, origin="f"))
    assert article is None and message in (error or "")


def test_truncated_feed_keeps_the_complete_items() -> None:
    cut = RSS[: RSS.index(b"<item><title>Summary story")] + b"<item><title>Cut off</ti"
    items = list(read_feed(cut, origin="cut.rss"))
    assert items[0][1] is not None and items[0][1].title == "Full story"
    assert items[-1][1] is None


# -- JSON, JSON Lines, CSV ------------------------------------------------------------------------


def test_json_fields_aliases_and_extra() -> None:
    doc = {
        "articles": [
            {
                "Headline": "Mapped",
                "text": "Body one.",
                "date": "2020-02-03",
                "byline": "By Ana Lima and Tom Berg",
                "link": "https://x.example/1",
                "section": "World",
                "wordcount": 2,
            },
            {"title": "No date", "body": "Body two."},
            "not an object",
            {"body": "Body three.", "published": 1600000000, "lang": "not a language!"},
        ]
    }
    items = list(read_json(json.dumps(doc), origin="a.json"))
    first = items[0][1]
    assert first is not None
    assert (first.title, first.body, first.published) == (
        "Mapped",
        "Body one.",
        dt.date(2020, 2, 3),
    )
    assert first.authors == ["Ana Lima", "Tom Berg"] and first.url == "https://x.example/1"
    assert first.extra == {"section": "World", "wordcount": 2}
    assert "no publication date" in (items[1][2] or "")
    assert "not an object" in (items[2][2] or "")
    third = items[3][1]
    assert third is not None and third.published == dt.date(2020, 9, 13)
    assert third.language is None and third.extra == {"language": "not a language!"}
    assert third.title_derived and third.title == "Body three"


def test_json_lines_bad_line_does_not_stop_the_rest() -> None:
    lines = [
        b'{"title": "A", "body": "Alpha.", "date": "2020-01-01"}\n',
        b"{broken\n",
        b"\n",
        b'{"title": "B", "body": "Beta.", "date": "2020-01-02"}\n',
    ]
    items = list(read_json_lines(iter(lines), origin="x.jsonl", max_line_bytes=1000))
    assert [a.title if a else None for _, a, _ in items] == ["A", None, "B"]
    assert items[1][0] == "x.jsonl:2" and "not JSON" in (items[1][2] or "")


def test_csv_semicolons_quotes_and_extra() -> None:
    text = (
        "title;body;date;authors;desk\n"
        'One;"First body; with a semicolon\nand a newline.";2019-07-08;Ana Lima;Sport\n'
        "Two;;2019-07-09;;\n"
    )
    items = list(read_csv(text, origin="a.csv"))
    one = items[0][1]
    assert one is not None
    assert one.body == "First body; with a semicolon\nand a newline."
    assert one.extra == {"desk": "Sport"} and one.authors == ["Ana Lima"]
    assert items[1][1] is None and "no body" in (items[1][2] or "")
    assert "no articles" in (next(iter(read_csv("title,body\n", origin="e.csv")))[2] or "")


# -- WARC ---------------------------------------------------------------------------------------


def make_warc(records: list[tuple[str, str, bytes]]) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for url, content_type, payload in records:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.0")
        record = writer.create_warc_record(
            url, "response", payload=io.BytesIO(payload), http_headers=headers
        )
        writer.write_record(record)
        record.raw_stream.close()  # warcio buffers the payload in a temporary file
    return out.getvalue()


def test_warc_html_records_keep_url_and_capture_time() -> None:
    data = make_warc(
        [
            ("https://harbour.example/a", "text/html; charset=utf-8", page(head="").encode()),
            ("https://harbour.example/logo.png", "image/png", b"\x89PNG..."),
            ("https://harbour.example/nav", "text/html", b"<html><body>menu</body></html>"),
        ]
    )
    items = list(read_warc(io.BytesIO(data), origin="a.warc.gz", max_bytes=10**6))
    assert len(items) == 2  # the image is skipped, not an error
    article = items[0][1]
    assert article is not None and article.url == "https://harbour.example/a"
    assert article.provenance is not None
    assert article.provenance["warc_record_id"].startswith("<urn:uuid:")
    assert article.provenance["target_uri"] == "https://harbour.example/a"
    # No date on the page: the capture date is used.
    assert article.published == dt.datetime.fromisoformat(article.provenance["capture_time"]).date()
    assert items[1][1] is None and "no article text" in (items[1][2] or "")


def test_truncated_warc_keeps_what_was_readable() -> None:
    one = make_warc([("https://h.example/a", "text/html", page(head="").encode())])
    two = make_warc([("https://h.example/b", "text/html", page(head="").encode())])
    items = list(read_warc(io.BytesIO(one + two[: len(two) // 2]), origin="t", max_bytes=10**6))
    assert items[0][1] is not None
    # The cut-off record is an error of its own (how warcio notices depends on where the cut is).
    assert len(items) == 2 and items[-1][1] is None and items[-1][2]


# -- detection and .gz ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.rss", b"", "feed"),
        ("a.txt", b"<?xml version='1.0'?><rss version='2.0'>", "text"),
        ("noext", b"<?xml version='1.0'?><rss version='2.0'>", "feed"),
        ("noext", b"<!DOCTYPE html><html>", "html"),
        ("a.json", b'{"version": "https://jsonfeed.org/version/1", "items": []}', "feed"),
        ("a.jsonl", b'{"format": "newsarchive-export", "version": 1}\n', "export"),
        ("a.dat", b"WARC/1.0\r\n", "warc"),
        ("a.warc.gz", b"", "warc"),
        ("noext", b'{"a": 1}\n{"a": 2}\n', "jsonl"),
        ("noext", b"date 2020-01-01\n\nText", "text"),
    ],
)
def test_detect(name: str, head: bytes, expected: str) -> None:
    assert detect(name, head) == expected


def test_gz_files_are_read_transparently(tmp_path: Path) -> None:
    path = tmp_path / "a.csv.gz"
    path.write_bytes(gzip.compress(b"title,body,date\nZipped,Zipped body.,2020-01-01\n"))
    [(_, article, error)] = list(read_path(str(path), max_bytes=10**6, encoding=None))
    assert error is None and article is not None and article.title == "Zipped"
    bad = tmp_path / "b.json.gz"
    bad.write_bytes(b"\x1f\x8b" + b"garbage")
    [(_, article, error)] = list(read_path(str(bad), max_bytes=10**6, encoding=None))
    assert article is None and "cannot read" in (error or "")


def test_undecodable_bytes_are_an_item_error(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("title,body,date\nCafé,Crème,2020-01-01\n".encode("latin-1"))
    [(_, article, error)] = list(read_path(str(path), max_bytes=10**6, encoding=None))
    assert article is None and "not valid UTF-8" in (error or "")
    [(_, article, error)] = list(read_path(str(path), max_bytes=10**6, encoding="latin-1"))
    assert article is not None and article.title == "Café"


def test_many_article_files_may_exceed_the_per_article_limit(tmp_path: Path) -> None:
    row = {"title": "T", "body": "Words, words; more words. " * 10, "date": "2020-01-01"}
    lines = tmp_path / "big.jsonl.gz"
    lines.write_bytes(
        gzip.compress(b"".join(json.dumps({**row, "n": i}).encode() + b"\n" for i in range(50)))
    )
    got = list(read_path(str(lines), max_bytes=1000, encoding=None))
    assert len(got) == 50 and all(a is not None for _, a, _ in got)
    array = tmp_path / "big.json"
    array.write_text(json.dumps([{**row, "n": i} for i in range(50)]))
    assert (
        len(list(read_path(str(array), max_bytes=1000, encoding=None, max_file_bytes=10**6))) == 50
    )
    [(_, article, error)] = list(read_path(str(array), max_bytes=1000, encoding=None))
    assert article is None and "too large" in (error or "")


def test_csv_delimiter_comes_from_the_header_not_the_bodies() -> None:
    body = '"A body; with; many; semicolons; and, commas"'
    text = f"title,body,date\nOne,{body},2020-01-01\nTwo,{body},2020-01-02\n"
    items = list(read_csv(text, origin="c.csv"))
    assert [a.title if a else e for _, a, e in items] == ["One", "Two"]


def test_feed_with_a_wrong_declared_encoding() -> None:
    data = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Café Post'
        "</title><item><title>Ação</title><pubDate>Tue, 04 Apr 2023 08:00:00 GMT</pubDate>"
        "<description>Crème brûlée à São Paulo.</description></item></channel></rss>"
    ).encode("latin-1")  # declared UTF-8, written in Latin-1
    [(_, article, error)] = list(read_feed(data, origin="x.rss"))
    assert error is None and article is not None
    assert (article.title, article.body, article.source) == (
        "Ação",
        "Crème brûlée à São Paulo.",
        "Café Post",
    )


def test_html_in_a_legacy_encoding() -> None:
    html = page(head=OPEN_GRAPH, body_extra="<p>Le maire a déclaré « très bien ».</p>")
    article = parse_html(
        html.replace("charset='utf-8'", "charset='windows-1252'").encode("cp1252"), origin=None
    )
    assert "déclaré « très bien »" in article.body
