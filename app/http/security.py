"""Security headers on every response, and HEAD answered wherever GET is (plain ASGI).

The pages need nothing inline: scripts and styles come from /static (Swagger UI at /docs too:
its assets are served locally and static/docs.js starts it), so one strict policy fits all."""

from __future__ import annotations

import json
from typing import Any

Scope = dict[str, Any]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """CSP, nosniff, no framing, a referrer policy; HSTS only when the public URL is https
    (sent over plain http it would be ignored, and a wrong one locks browsers out for a year)."""

    def __init__(self, app: Any, *, hsts: bool) -> None:
        self.app = app
        self.fixed = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            self.fixed.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def secured(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = self._with_headers(message, CSP)
            await send(message)

        await self.app(scope, receive, secured)

    def _with_headers(self, start: Any, policy: str) -> Any:
        headers = [
            (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-security-policy"
        ]
        headers += [*self.fixed, (b"content-security-policy", policy.encode())]
        return {**start, "headers": headers}


class HeadAsGet:
    """HEAD runs the GET route and sends its status and headers without the body. FastAPI's
    routes answer only the methods they name, so without this every page answered HEAD with 405;
    doing it here keeps HEAD out of the OpenAPI spec."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return
        done = False

        async def headers_only(message: Any) -> None:
            nonlocal done
            if message["type"] != "http.response.body":
                await send(message)  # the start, and extensions such as the test client's debug
            elif not done and not message.get("more_body", False):
                done = True  # the last body message: end the response, empty
                await send({"type": "http.response.body", "body": b""})

        await self.app({**scope, "method": "GET"}, receive, headers_only)


MAX_QUERY_STRING = 8192


class QueryStringLimit:
    """414 for a query string longer than any this app needs: pages, links and headers echo
    the query, so its size bounds theirs."""

    def __init__(self, app: Any, max_bytes: int = MAX_QUERY_STRING) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or len(scope.get("query_string", b"")) <= self.max_bytes:
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "error": {
                    "code": "uri_too_long",
                    "message": f"query string longer than {self.max_bytes:,} bytes",
                }
            }
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 414, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class PublicRedirects:
    """With NEWSARCHIVE_BASE_URL set, redirects that Starlette builds from the request's own
    origin (the trailing-slash redirect) point at the public address instead: behind a TLS
    proxy the request's origin is the proxy's plain-http hop, not what users reach."""

    def __init__(self, app: Any, *, base_url: str) -> None:
        self.app = app
        self.base = base_url.rstrip("/")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.base:
            await self.app(scope, receive, send)
            return
        host = next((v for k, v in scope.get("headers", []) if k == b"host"), b"")
        own = f"{scope.get('scheme', 'http')}://{host.decode('latin-1')}".encode("latin-1")

        async def public(message: Any) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                headers = [
                    (k, self.base.encode("latin-1") + v[len(own) :])
                    if k == b"location" and host and v.startswith(own + b"/")
                    else (k, v)
                    for k, v in message.get("headers", [])
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, public)
