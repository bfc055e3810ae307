"""What the pages and the API share in app/http: templating, the public origin, errors, feeds."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from app.cli.commands import main as cli
from app.config import Settings
from app.http.errors import validation_error
from app.http.templating import TEMPLATE_DIR, build_templates
from app.main import create_app
from tests.api.test_api import post_json

APP = Path(__file__).resolve().parents[2] / "app"
ATOM = "{http://www.w3.org/2005/Atom}"


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at top level?) for every import in a file, function-level ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, id(node) in top)]
            found += [(f"{node.module}.{a.name}", id(node) in top) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, id(node) in top) for a in node.names]
    return found


def test_the_shared_http_layer_imports_no_route_module() -> None:
    for path in sorted((APP / "http").glob("*.py")):
        for module, _ in _imports(path):
            assert not module.startswith(("app.web", "app.api")), (path.name, module)
    # The page shell is imported like any other module, not from inside a route.
    for folder in ("http", "web"):
        for path in sorted((APP / folder).glob("*.py")):
            hidden = [m for m, top in _imports(path) if not top and m.startswith("app")]
            assert not hidden, (path.name, hidden)


def test_pages_render_with_the_apps_own_templates(settings: Settings, tmp_path: Path) -> None:
    app = create_app(settings)
    assert app.state.templates.env is not create_app(settings).state.templates.env
    mine = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, mine)
    (mine / "error.html").write_text("<!-- mine -->{{ message }}", encoding="utf-8")
    app.state.templates = build_templates(mine)
    with TestClient(app) as c:
        r = c.get("/no/such/page")
        assert r.status_code == 404 and r.text == "<!-- mine -->There is no page at this address."
        assert "<!-- mine -->" not in c.get("/api/v1/nothing").text  # JSON under /api


def _api_links(c: TestClient) -> list[str]:
    links: list[str] = []
    for path in ("/api/v1/search?q=budget", "/api/v1/articles", "/api/v1/sources", "/api/v1/dates"):
        for row in c.get(path).json()["results"]:
            links += row["links"].values()
    return links


def test_api_links_are_absolute(settings: Settings, auth: dict[str, str]) -> None:
    with TestClient(create_app(settings)) as c:
        made = post_json(c, auth, title="Budget", source="Example Times")
        assert made["links"]["self"] == f"http://testserver/api/v1/articles/{made['id']}"
        links = _api_links(c)
        assert len(links) >= 5 and all(u.startswith("http://testserver/") for u in links), links
    public = settings.model_copy(update={"base_url": "https://news.example/archive/"})
    with TestClient(create_app(public)) as c:
        links = _api_links(c)
        assert all(u.startswith("https://news.example/archive/") for u in links), links
        assert "//api" not in "".join(links)


def test_every_feed_gives_an_article_the_same_entry_id(
    client: TestClient, auth: dict[str, str]
) -> None:
    made = post_json(client, auth, title="Budget talks", source="Example Times")
    expected = f"http://testserver/articles/{made['id']}"  # no slug: a new title keeps the id
    for path in (
        "/feeds/latest.atom",
        "/feeds/sources/Example%20Times.atom",
        "/feeds/search.atom?q=budget",
    ):
        feed = ET.fromstring(client.get(path).content)
        assert [e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")] == [expected], path


def test_server_and_cli_refuse_an_old_schema_in_the_same_words(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh")  # type: ignore[call-arg]
    with pytest.raises(RuntimeError) as raised, TestClient(create_app(settings)):
        pass
    out = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), "stats"])
    assert out.exit_code == 1
    assert out.output.strip() == f"Error: {raised.value}"


def test_a_missing_and_a_malformed_token_get_the_same_401(settings: Settings) -> None:
    closed = settings.model_copy(update={"read_requires_token": True})
    with TestClient(create_app(closed)) as c:
        missing = c.get("/api/v1/search")
        malformed = c.get("/api/v1/search", headers={"Authorization": "Basic abc"})
    for r in (missing, malformed):
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert missing.json() == malformed.json()
    assert missing.json()["error"]["code"] == "unauthorized"


def test_one_validation_error_format_for_parameters_and_bodies(
    client: TestClient, auth: dict[str, str]
) -> None:
    param = client.get("/api/v1/search", params={"page": "abc"}).json()["error"]
    assert param["code"] == "validation_error" and param["fields"][0]["field"] == "page"
    assert param["message"].startswith("page: ")
    body = {"date": "2021-03-04", "body": "Text.", "authors": [1]}
    one = client.post("/api/v1/articles", json=body, headers=auth).json()["error"]
    assert [f["field"] for f in one["fields"]] == ["authors.0"]
    bulk = client.post(
        "/api/v1/articles/bulk",
        content=(json.dumps(body) + "\n").encode(),
        headers={**auth, "Content-Type": "application/x-ndjson"},
    )
    assert bulk.text.splitlines()[0].count(one["message"]) == 1
    # Where FastAPI names the location (query, body, ...) it is dropped; a model's own loc stays.
    made = validation_error(
        [{"loc": ("query", "page"), "msg": "bad"}, {"loc": ("body",), "msg": "missing"}],
        status=400,
    )
    assert made.status == 400 and [f["field"] for f in made.extra["fields"]] == ["page", "body"]


@pytest.mark.parametrize("path", ["/api/v1/search", "/api/v1/articles", "/api/v1/sources"])
def test_one_page_size_cap_the_setting(settings: Settings, path: str) -> None:
    roomy = settings.model_copy(update={"max_page_size": 500})
    with TestClient(create_app(roomy)) as c:
        assert c.get(path, params={"page_size": 300}).json()["page_size"] == 300
        param = next(
            p
            for p in c.get("/api/v1/openapi.json").json()["paths"][path]["get"]["parameters"]
            if p["name"] == "page_size"
        )
        assert param["schema"]["anyOf"][0]["maximum"] == 500
    tight = settings.model_copy(update={"max_page_size": 50})
    with TestClient(create_app(tight)) as c:
        for name in ("page_size", "page-size", "pageSize"):
            r = c.get(path, params={name: 100})
            assert r.status_code == 400 and r.json()["error"]["code"] == "bad_parameter", name


def test_api_routes_read_declared_parameters_only(client: TestClient, auth: dict[str, str]) -> None:
    for path in sorted((APP / "api").glob("*.py")):
        assert ".query_params" not in path.read_text(encoding="utf-8"), path.name
    post_json(client, auth, date="2021-03-04", body="Budget one passed.")
    post_json(client, auth, date="2023-05-06", body="Budget two passed.")
    # Spellings the pages accept work in the API too, documented or not.
    for params in (
        {"from-date": "2022"},
        {"from_date": "2022"},
        {"begin_date": "20220101"},
        {"to": "2021", "order_by": "oldest"},
    ):
        for path in ("/api/v1/search", "/api/v1/articles"):
            assert client.get(path, params=params).json()["total"] == 1, (path, params)
    assert client.get("/api/v1/search/export", params={"from_date": "2022"}).text.count("\n") == 1
    spec = client.get("/api/v1/openapi.json").json()
    documented = {p["name"] for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert "from-date" in documented and not {"from_date", "order_by", "pageSize"} & documented
