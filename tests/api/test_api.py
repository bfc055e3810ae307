"""The JSON API contract: shapes, parameters and aliases, auth, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import SEED

ARTICLE_KEYS = {"id", "title", "date", "source", "authors", "url", "links", "language"}


def post_seed(client: TestClient, auth: dict[str, str]) -> dict:
    r = client.post(
        "/api/v1/articles",
        content=SEED.read_bytes(),
        headers={**auth, "Content-Type": "text/plain; charset=utf-8"},
    )
    assert r.status_code == 201, r.text
    return r.json()


def post_json(client: TestClient, auth: dict[str, str], **fields: object) -> dict:
    body = {"date": "2021-03-04", "body": "Default body text about budgets.", **fields}
    r = client.post("/api/v1/articles", json=body, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_from_dated_text(client: TestClient, auth: dict[str, str]) -> None:
    article = post_seed(client, auth)
    assert article["date"] == "2022-01-06"
    assert article["source"] == "CNN"
    assert article["contributors"] == ["Kevin Liptak"]
    assert article["title_derived"] is True
    assert article["title"].startswith("The top US diplomat")
    assert len(article["paragraphs"]) == 17
    # Absolute without NEWSARCHIVE_BASE_URL too: the origin the client asked for.
    assert article["links"]["self"] == f"http://testserver/api/v1/articles/{article['id']}"
    html = f"http://testserver/articles/{article['id']}/the-top-us-diplomat"
    assert article["links"]["html"].startswith(html)
    got = client.get(article["links"]["self"]).json()
    assert got["body"] == article["body"] and "Nord Stream 2" in got["body"]


def test_create_from_json_and_location(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post(
        "/api/v1/articles",
        headers=auth,
        json={
            "title": "Budget passes",
            "date": "2021-03-04",
            "body": "The budget passed.\n\nMore.",
            "source": "Example Times",
            "authors": ["Ann Lee", "Bo Chan"],
            "url": "https://example.org/budget",
            "language": "en",
        },
    )
    assert r.status_code == 201
    data = r.json()
    assert r.headers["location"] == data["links"]["self"]
    assert data["authors"] == ["Ann Lee", "Bo Chan"] and data["title_derived"] is False
    assert data["word_count"] == 4 and data["language"] == "en"


def test_duplicate_is_409_with_existing_link(client: TestClient, auth: dict[str, str]) -> None:
    first = post_seed(client, auth)
    r = client.post(
        "/api/v1/articles",
        content=SEED.read_bytes(),
        headers={**auth, "Content-Type": "text/plain"},
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "duplicate"
    assert r.json()["error"]["existing"]["id"] == first["id"]
    same_url = {"url": "https://example.org/a"}
    post_json(client, auth, **same_url)
    r = client.post(
        "/api/v1/articles",
        headers=auth,
        json={"date": "2021-01-01", "body": "Different text", **same_url},
    )
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "x"}, "date"),
        ({"date": "2021-02-30", "body": "x"}, "date"),
        ({"date": "2021-01-01"}, "body"),
        ({"date": "2021-01-01", "body": "   "}, "body"),
        ({"date": "2021-01-01", "body": "x", "url": "javascript:alert(1)"}, "url"),
        ({"date": "2021-01-01", "body": "x", "authors": "Ann"}, "authors"),
        ({"date": "2021-01-01", "body": "x", "title": "t" * 501}, "title"),
        ({"date": "2021-01-01", "body": "x", "surprise": 1}, "surprise"),
    ],
)
def test_invalid_json_is_422_with_field_errors(
    client: TestClient, auth: dict[str, str], body: dict, field: str
) -> None:
    r = client.post("/api/v1/articles", headers=auth, json=body)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert any(f["field"].startswith(field) for f in error["fields"]), error


def test_invalid_dated_text_is_422(client: TestClient, auth: dict[str, str]) -> None:
    for text, words in [
        (b"no header here\n\nbody", "date"),
        (b"date 2022-02-30\n\nbody", "impossible"),
        (b"", "empty"),
        (b"date 2022-01-01\n\n\xff\xfe\x00binary", ""),
    ]:
        r = client.post(
            "/api/v1/articles", content=text, headers={**auth, "Content-Type": "text/plain"}
        )
        assert r.status_code == 422, (text, r.text)
        assert words in r.json()["error"]["message"]


def test_unsupported_media_type(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post(
        "/api/v1/articles", content=b"<x/>", headers={**auth, "Content-Type": "application/xml"}
    )
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"


def test_writes_need_a_valid_token(client: TestClient, auth: dict[str, str]) -> None:
    body = {"date": "2021-01-01", "body": "x"}
    r = client.post("/api/v1/articles", json=body)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = client.post("/api/v1/articles", json=body, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "invalid_token"
    r = client.post("/api/v1/articles", json=body, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    r = client.delete("/api/v1/articles/1")
    assert r.status_code == 401


def test_writes_refused_without_configured_token(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"api_token": None}))) as c:
        r = c.post(
            "/api/v1/articles",
            json={"date": "2021-01-01", "body": "x"},
            headers={"Authorization": "Bearer anything"},
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "writes_disabled"


def test_body_size_limit(settings: Settings, auth: dict[str, str]) -> None:
    small = settings.model_copy(update={"max_request_bytes": 1000, "max_article_bytes": 500})
    with TestClient(create_app(small)) as c:
        r = c.post(
            "/api/v1/articles", content=b"x" * 2000, headers={**auth, "Content-Type": "text/plain"}
        )
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        r = c.post(
            "/api/v1/articles",
            content=b"date 2022-01-01\n\n" + b"y" * 800,
            headers={**auth, "Content-Type": "text/plain"},
        )
        # over the article limit, under the request limit: refused before it is parsed
        assert r.status_code == 413 and "MAX_ARTICLE_BYTES" in r.json()["error"]["message"]

        def chunks():  # no Content-Length: streamed bytes are counted
            for _ in range(5):
                yield b"z" * 400

        r = c.post(
            "/api/v1/articles", content=chunks(), headers={**auth, "Content-Type": "text/plain"}
        )
        assert r.status_code == 413


def test_delete(client: TestClient, auth: dict[str, str]) -> None:
    article = post_seed(client, auth)
    assert client.get("/api/v1/search", params={"q": "henhouse"}).json()["total"] == 1
    assert client.delete(f"/api/v1/articles/{article['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/articles/{article['id']}").status_code == 404
    assert client.get("/api/v1/search", params={"q": "henhouse"}).json()["total"] == 0
    r = client.delete(f"/api/v1/articles/{article['id']}", headers=auth)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_search_response_shape(client: TestClient, auth: dict[str, str]) -> None:
    post_seed(client, auth)
    r = client.get("/api/v1/search", params={"q": '"Nord Stream 2"'})
    assert r.status_code == 200
    data = r.json()
    assert set(data) == {"query", "total", "page", "page_size", "pages", "results", "next"}
    assert data["query"] == {
        "q": '"Nord Stream 2"',
        "from": None,
        "to": None,
        "source": [],
        "author": [],
        "sort": "relevance",
        "lang": [],
    }
    assert (data["total"], data["page"], data["page_size"], data["pages"]) == (1, 1, 20, 1)
    hit = data["results"][0]
    assert set(hit) == ARTICLE_KEYS | {"snippet", "score"}
    assert "<mark>Nord</mark> <mark>Stream</mark> <mark>2</mark>" in hit["snippet"]
    assert hit["score"] > 0 and hit["authors"] == ["Kevin Liptak"]


def test_search_parameters_and_aliases(client: TestClient, auth: dict[str, str]) -> None:
    post_seed(client, auth)
    for i, (date, source) in enumerate(
        [("2021-05-01", "BBC"), ("2020-03-15", "Reuters"), ("2022-02-01", "Reuters")]
    ):
        post_json(client, auth, date=date, source=source, body=f"Budget story {i} with talks.")

    def total(**params: str) -> int:
        r = client.get("/api/v1/search", params=params)
        assert r.status_code == 200, r.text
        return r.json()["total"]

    assert total(q="talks") == 4  # three posted stories and the seed ("the talks")
    assert total(**{"from": "2022"}) == 2
    assert total(**{"from-date": "2022-01-07"}) == 1
    assert total(begin_date="20220101", end_date="20220131") == 1
    assert total(to="2021-05") == 2
    assert total(**{"to-date": "2020"}) == 1
    assert total(source="reuters") == 2
    assert total(source="Reuters,BBC") == 3
    assert total(author="Kevin Liptak") == 1
    r = client.get("/api/v1/search", params={"order-by": "oldest", "page-size": "2"})
    data = r.json()
    assert data["page_size"] == 2 and data["pages"] == 2 and data["total"] == 4
    assert [x["date"] for x in data["results"]] == ["2020-03-15", "2021-05-01"]
    r = client.get("/api/v1/search", params={"sort": "newest", "page": "2", "page_size": "3"})
    assert [x["date"] for x in r.json()["results"]] == ["2020-03-15"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": '"unclosed'}, "bad_query"),
        ({"q": "(a OR b"}, "bad_query"),
        ({"q": "a AND"}, "bad_query"),
        ({"from": "2022-13"}, "bad_parameter"),
        ({"from": "yesterday"}, "bad_parameter"),
        ({"to": "2022-02-30"}, "bad_parameter"),
        ({"from": "2022", "to": "2021"}, "bad_parameter"),
        ({"sort": "best"}, "bad_parameter"),
        ({"page_size": "201"}, "bad_parameter"),  # one cap: settings.max_page_size
        ({"page-size": "500"}, "bad_parameter"),
        ({"page": "0"}, "validation_error"),
        ({"page": "x"}, "validation_error"),
    ],
)
def test_bad_search_parameters_are_400(client: TestClient, params: dict, code: str) -> None:
    r = client.get("/api/v1/search", params=params)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]


def test_list_articles(client: TestClient, auth: dict[str, str]) -> None:
    post_seed(client, auth)
    post_json(client, auth, date="2023-01-01", source="BBC")
    data = client.get("/api/v1/articles").json()
    assert data["total"] == 2 and [a["date"] for a in data["results"]] == [
        "2023-01-01",
        "2022-01-06",
    ]
    assert set(data["results"][0]) == ARTICLE_KEYS
    assert client.get("/api/v1/articles", params={"source": "cnn"}).json()["total"] == 1
    assert client.get("/api/v1/articles", params={"to": "2022"}).json()["total"] == 1


def test_not_found_and_bad_ids(client: TestClient) -> None:
    r = client.get("/api/v1/articles/999")
    assert r.status_code == 404 and r.json() == {
        "error": {"code": "not_found", "message": "no article with id 999"}
    }
    assert client.get("/api/v1/articles/abc").status_code == 400
    assert client.get("/api/v1/nothing").json()["error"]["code"] == "not_found"


def test_health(client: TestClient, auth: dict[str, str]) -> None:
    data = client.get("/api/v1/health").json()
    assert data["status"] == "ok" and data["articles"] == 0 and data["in_sync"] is True
    post_seed(client, auth)
    data = client.get("/api/v1/health").json()
    assert (data["articles"], data["index_documents"], data["in_sync"]) == (1, 1, True)
    assert data["database"] == "sqlite" and data["search_backend"] == "whoosh"


def test_openapi_lists_the_endpoints(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in [
        "/api/v1/search",
        "/api/v1/articles",
        "/api/v1/articles/{article_id}",
        "/api/v1/health",
    ]:
        assert path in paths
    assert "text/plain" in paths["/api/v1/articles"]["post"]["requestBody"]["content"]
    assert client.get("/docs").status_code == 200


def test_server_timing_header(client: TestClient) -> None:
    assert "app;dur=" in client.get("/api/v1/health").headers["server-timing"]


def test_app_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)  # type: ignore[call-arg]
    with pytest.raises(RuntimeError, match="newsarchive migrate"), TestClient(create_app(settings)):
        pass
