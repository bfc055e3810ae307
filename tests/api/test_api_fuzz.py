"""Schemathesis against a live uvicorn serving a temporary archive: every operation in the
OpenAPI spec, a bounded number of generated requests each (NEWSARCHIVE_FUZZ_EXAMPLES; `make
test` uses a few, `make fuzz` many). Fails on any 5xx, any response the spec does not describe
(status, content type, headers, body schema) or a crash.

NEWSARCHIVE_FUZZ_STRICT=1 also fails when input the schema calls valid is refused; free-text
parameters with their own grammar (q, dates, fields, cursor, dated-text bodies) make that
check a diagnostic, not a gate."""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import SEED, TOKEN  # noqa: E402
from tests.live import live_server  # noqa: E402

pytestmark = pytest.mark.fuzz
EXAMPLES = int(os.environ.get("NEWSARCHIVE_FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
if os.environ.get("NEWSARCHIVE_FUZZ_STRICT"):  # also: valid input must not be refused
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    CHECKS.append(positive_data_acceptance)
CASES: defaultdict[str, Counter[str]] = defaultdict(Counter)  # operation -> status -> cases


@pytest.fixture(scope="module")
def fuzz_server(
    tmp_path_factory: pytest.TempPathFactory, migrated_db: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    data = tmp_path_factory.mktemp("fuzz") / "data"
    # Rate limits off: the fuzzer would otherwise mostly meet (documented) 429s; its wrong
    # tokens would also use up the failed-attempt allowance and lock the right one out.
    with live_server(
        data,
        migrated_db,
        api_token=TOKEN,
        rate_limit_writes="0",
        rate_limit_searches="0",
        rate_limit_auth_failures="0",
    ) as base:
        import httpx2 as httpx

        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"}
        httpx.post(f"{base}/api/v1/articles", content=SEED.read_bytes(), headers=headers)
        yield base
    report = "\n".join(
        f"{sum(c.values()):>5}  {label}  {json.dumps(dict(sorted(c.items())))}"
        for label, c in sorted(CASES.items())
    )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:  # show the counts even when the tests pass
        with capture.global_and_fixture_disabled():
            print(f"\nschemathesis cases per operation (max {EXAMPLES} each):\n{report}")
    out = os.environ.get("NEWSARCHIVE_FUZZ_REPORT")
    if out:
        Path(out).write_text(report + "\n")


# NDJSON bodies are documented as strings; send the generated text as it is.
schemathesis.serializer.alias(
    ["application/x-ndjson", "application/ndjson", "application/jsonl"], "text/plain"
)


def _operations() -> list[tuple[str, str, str]]:
    """(method, path, mode) for every operation; negative cases only where there is input."""
    from app.config import Settings
    from app.main import create_app

    spec = create_app(Settings()).openapi()
    out = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            out.append((method.upper(), path, "positive"))
            if op.get("parameters") or op.get("requestBody"):
                out.append((method.upper(), path, "negative"))
            if "{article_id}" in path and method != "delete":
                out.append((method.upper(), path, "existing"))
    # Random ids mostly miss; "existing" pins the seeded article. Deletes go last, so they
    # cannot remove it before the others have run.
    return sorted(out, key=lambda op: (op[0] == "DELETE", op[2] != "existing"))


@pytest.fixture(scope="module")
def live_schema(fuzz_server: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{fuzz_server}/api/v1/openapi.json")


@pytest.mark.parametrize(("method", "path", "mode"), _operations())
def test_api_fuzz(
    live_schema: schemathesis.BaseSchema, fuzz_server: str, method: str, path: str, mode: str
) -> None:
    operation = live_schema[path][method]
    if mode == "existing":
        strategy = operation.as_strategy(path_parameters={"article_id": 1})
    else:
        strategy = operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode))
    label = f"{method} {path} ({mode})"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        # Reproducible in `make test`; `make fuzz` explores fresh inputs every run.
        derandomize=not os.environ.get("NEWSARCHIVE_FUZZ_RANDOM"),
    )
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        response = case.call_and_validate(
            base_url=fuzz_server, headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS
        )
        CASES[label][str(response.status_code)] += 1

    run()
