"""The OpenAPI spec tells the truth: every route is in it, every parameter, response and error is
documented with examples, the examples work, and what the app answers matches what it says."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.api.test_api import post_seed

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").json()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def validator(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    return jsonschema_rs.validator_for({**schema, "components": spec["components"]})


def check_response(spec: dict[str, Any], path: str, method: str, r: Any) -> None:
    """The status is documented for this operation, and the body matches its schema."""
    responses = spec["paths"][path][method]["responses"]
    status = str(r.status_code)
    assert status in responses, f"{method.upper()} {path} answered {status}: not in the spec"
    content = responses[status].get("content")
    if not content or r.status_code == 304:
        assert not r.content or r.status_code != 204
        return
    media = r.headers["content-type"].split(";")[0]
    assert media in content, f"{method.upper()} {path} {status}: {media} not documented"
    schema = content[media].get("schema")
    if media == "application/json" and schema:
        errors = [e.message for e in validator(spec, schema).iter_errors(r.json())]
        assert not errors, (method, path, status, errors[:3])
    elif media == "application/x-ndjson" and schema:
        v = validator(spec, schema)
        for line in r.text.splitlines():
            assert v.is_valid(json.loads(line)), line


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, through included routers (FastAPI nests them in wrappers)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from api_routes(inner.routes)


def test_every_api_route_is_in_the_spec_and_nothing_else(spec: dict[str, Any]) -> None:
    app = create_app(Settings())
    routes = {
        (route.path, method.lower())
        for route in api_routes(app.routes)
        if route.path.startswith("/api/")
        for method in route.methods
        if method != "HEAD"
    }
    assert len(routes) >= 12
    documented = {(path, method) for path, method, _ in operations(spec)}
    documented.add(("/api/v1/openapi.json", "get"))
    assert routes <= documented, routes - documented
    assert documented - {("/api/v1/openapi.json", "get")} <= routes


def test_every_reference_resolves(spec: dict[str, Any]) -> None:
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert refs and refs <= set(spec["components"]["schemas"]), refs - set(
        spec["components"]["schemas"]
    )
    for name in ("ArticleCreate", "ArticleUpdate", "ArticlePatch"):
        assert spec["components"]["schemas"][name]["additionalProperties"] is False


def test_everything_is_described_with_examples(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        where = f"{method.upper()} {path}"
        assert op.get("description") or op.get("summary"), where
        for param in op.get("parameters", []):
            assert param.get("description"), (where, param["name"])
        body = op.get("requestBody")
        if body:
            for media, content in body["content"].items():
                assert "example" in content or "examples" in content, (where, media)
        codes = set(op["responses"])
        assert codes & {"200", "201", "204"}, where
        for code, response in op["responses"].items():
            if path.endswith("/health") and code == "503":
                # Health answers 503 with its own body, naming every problem, for monitors.
                media = response["content"]["application/json"]
                assert media["schema"] == {"$ref": "#/components/schemas/Health"}
                continue
            if code.startswith(("4", "5")):
                media = response["content"]["application/json"]
                assert media["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}, (
                    where,
                    code,
                )
                assert media["example"]["error"]["code"], (where, code)
        if method != "get" or path.endswith("/health"):
            continue
        # reads may need a token (a setting): say so
        assert {"400", "401", "403"} <= codes, where
    assert "HTTPValidationError" not in json.dumps(spec)


def _example_request(op: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any, str]:
    path_params, query = {}, {}
    for param in op.get("parameters", []):
        example = param.get("example")
        if example is None and param.get("examples"):
            example = next(iter(param["examples"].values()))["value"]
        if example is None:
            example = (param.get("schema", {}).get("examples") or [None])[0]
        if example is None:
            continue
        (path_params if param["in"] == "path" else query)[param["name"]] = example
    body, media = None, ""
    if "requestBody" in op:
        media, content = next(iter(op["requestBody"]["content"].items()))
        body = content["example"]
    return path_params, query, body, media


def test_the_examples_in_the_spec_succeed(
    client: TestClient, auth: dict[str, str], spec: dict[str, Any]
) -> None:
    post_seed(client, auth)  # article 1, for the path examples
    ran = 0
    # deletes last, so the other examples still find article 1
    for path, method, op in sorted(operations(spec), key=lambda x: x[1] == "delete"):
        path_params, query, body, media = _example_request(op)
        url = path.format(**path_params)
        kwargs: dict[str, Any] = {"params": query, "headers": dict(auth)}
        if body is not None:
            kwargs["headers"]["Content-Type"] = media
            kwargs["content"] = body.encode() if isinstance(body, str) else json.dumps(body)
        r = client.request(method.upper(), url, **kwargs)
        assert r.status_code < 300, (method, url, query, r.text)
        check_response(spec, path, method, r)
        if path == "/api/v1/search":
            assert r.json()["total"] == 1  # every documented example together finds the seed
        ran += 1
    assert ran == len(operations(spec)) >= 12


BAD_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("get", "/api/v1/search", {"params": {"q": "(a"}}),
    ("get", "/api/v1/search", {"params": {"page": "0"}}),
    ("get", "/api/v1/search", {"params": {"fields": "nope"}}),
    ("get", "/api/v1/search", {"params": {"cursor": "%%%"}}),
    ("get", "/api/v1/articles", {"params": {"from": "2022-99"}}),
    ("get", "/api/v1/articles", {"params": {"sort": "relevance"}}),
    ("get", "/api/v1/articles/{article_id}", {"id": "999"}),
    ("get", "/api/v1/articles/{article_id}", {"id": "x"}),
    ("get", "/api/v1/sources", {"params": {"page_size": "0"}}),
    ("get", "/api/v1/authors", {"params": {"cursor": "abc"}}),
    ("get", "/api/v1/dates", {"params": {"month": "2"}}),
    ("post", "/api/v1/articles", {"json": {"date": "x"}}),
    ("post", "/api/v1/articles", {"json": {"date": "2020-01-01", "body": "x"}, "auth": None}),
    ("post", "/api/v1/articles", {"content": b"<x/>", "type": "application/xml"}),
    ("post", "/api/v1/articles", {"content": b"x" * 20_000, "type": "text/plain"}),
    (
        "put",
        "/api/v1/articles/{article_id}",
        {"id": "999", "json": {"date": "2020-01-01", "body": "y"}},
    ),
    ("put", "/api/v1/articles/{article_id}", {"id": "1", "json": {}}),
    ("patch", "/api/v1/articles/{article_id}", {"id": "1", "json": {"body": "Taken."}}),
    ("patch", "/api/v1/articles/{article_id}", {"id": "1", "json": {}, "if_match": '"old"'}),
    ("patch", "/api/v1/articles/{article_id}", {"id": "1", "json": {}, "auth": "Bearer nope"}),
    ("delete", "/api/v1/articles/{article_id}", {"id": "999"}),
    ("post", "/api/v1/articles/bulk", {"content": b"{}", "type": "text/csv"}),
    ("post", "/api/v1/articles/bulk", {"content": b"x" * 20_000, "type": "application/x-ndjson"}),
]


@pytest.mark.parametrize(("method", "path", "how"), BAD_REQUESTS)
def test_errors_are_documented_and_enveloped(
    settings: Settings, auth: dict[str, str], method: str, path: str, how: dict[str, Any]
) -> None:
    small = settings.model_copy(update={"max_request_bytes": 10_000, "max_bulk_bytes": 10_000})
    with TestClient(create_app(small)) as c:
        spec = c.get("/api/v1/openapi.json").json()
        post_seed(c, auth)
        c.post("/api/v1/articles", json={"date": "2020-01-01", "body": "Taken."}, headers=auth)
        headers = dict(auth)
        if "auth" in how:
            headers.pop("Authorization")
            if how["auth"]:
                headers["Authorization"] = how["auth"]
        if "type" in how:
            headers["Content-Type"] = how["type"]
        if "if_match" in how:
            headers["If-Match"] = how["if_match"]
        r = c.request(
            method.upper(),
            path.replace("{article_id}", how.get("id", "1")),
            params=how.get("params"),
            json=how.get("json"),
            content=how.get("content"),
            headers=headers,
        )
        assert 400 <= r.status_code < 500, r.text
        check_response(spec, path, method, r)
        assert set(r.json()) == {"error"} and r.json()["error"]["message"]


def test_rate_limited_and_unauthorised_reads_match_the_spec(
    settings: Settings, auth: dict[str, str]
) -> None:
    strict = settings.model_copy(
        update={
            "read_requires_token": True,
            "rate_limit_searches": 1,
            "rate_limit_search_burst": 1,
        }
    )
    with TestClient(create_app(strict)) as c:
        spec = c.get("/api/v1/openapi.json").json()
        for path in ["/api/v1/articles", "/api/v1/stats", "/api/v1/dates", "/api/v1/authors"]:
            r = c.get(path)
            assert r.status_code == 401
            check_response(spec, path, "get", r)
        c.get("/api/v1/search", params={"q": "a"}, headers=auth)
        r = c.get("/api/v1/search", params={"q": "a"}, headers=auth)
        assert r.status_code == 429 and r.headers["retry-after"]
        check_response(spec, "/api/v1/search", "get", r)


def test_not_modified_is_documented(client: TestClient, auth: dict[str, str], spec: dict) -> None:
    article = post_seed(client, auth)
    url = article["links"]["self"]
    r = client.get(url, headers={"If-None-Match": client.get(url).headers["etag"]})
    assert r.status_code == 304
    check_response(spec, "/api/v1/articles/{article_id}", "get", r)
