"""How `newsarchive serve` runs uvicorn: the limits that keep one slow or greedy client from
starving the rest (docs/operations.md, "Processes and limits"), and the worker factory of
`serve --workers N`, whose workers stop when the parent is killed outright."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from functools import partial
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from app.config import Settings
from app.processes import exit_with_parent_from_env

log = logging.getLogger(__name__)
BACKLOG = 1024  # connections the kernel queues before accept; beyond, clients retry or fail
MAX_HEAD_BYTES = 16 * 1024  # request line + headers held while incomplete (h11's own default)
GRACEFUL_SHUTDOWN = 30  # seconds a stop waits for requests in flight (a long export, a stream)


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for the request line and headers.

    uvicorn has no such timeout: a new connection that sends nothing (or a byte now and then)
    is kept for ever, and its keep-alive timer is cancelled by any byte received. Here a
    connection that has not completed a request's head `header_timeout` seconds after it was
    opened, or after the previous response, is closed. A request whose head has arrived is
    never cut: bodies and slow responses are not timed here."""

    def __init__(self, *args: Any, header_timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_next_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_next_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _await_next_request(self) -> None:
        self._cancel_deadline()
        self._head_deadline = self.loop.call_later(
            self.header_timeout, self._head_too_slow, self.cycle
        )

    def _head_too_slow(self, previous: object) -> None:
        self._head_deadline = None
        no_new_request = self.cycle is previous and (
            self.cycle is None or self.cycle.response_complete
        )
        if no_new_request and not self.transport.is_closing():
            log.info(
                "closing a connection that sent no complete request head in %s s",
                self.header_timeout,
            )
            self.transport.close()

    def _cancel_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestCap:
    """At most `limit` HTTP requests in progress in this worker; one more is answered 503 at
    once (with Retry-After), so a burst of greedy clients gets a quick "try again" instead of
    every client waiting seconds in a queue. Idle connections do not count (uvicorn's own
    limit_concurrency counts them, so a few hundred idle clients would refuse everyone)."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.limit:
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.limit:
            await self._refuse(scope, send)
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = "the server is busy; try again in a moment"
        if str(scope.get("path", "")).startswith("/api/"):
            body = json.dumps({"error": {"code": "overloaded", "message": message}}).encode()
            kind = b"application/json"
        else:
            body, kind = f"{message}\n".encode(), b"text/plain; charset=utf-8"
        headers = [(b"content-type", kind), (b"retry-after", b"1"), (b"connection", b"close")]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def uvicorn_limits(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of uvicorn.Config / uvicorn.run that bound what clients can hold."""
    return {
        "http": partial(HeaderTimeoutH11Protocol, header_timeout=settings.server_header_timeout),
        "timeout_keep_alive": settings.server_keep_alive_timeout,
        # Per worker, open connections (idle ones included) plus requests in progress: a cap
        # on file descriptors and memory; requests themselves are capped by RequestCap.
        "limit_concurrency": settings.server_max_connections or None,
        "backlog": BACKLOG,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN,
    }


def create_served_app() -> ASGIApp:
    """The app `newsarchive serve` runs: the web app behind the cap on requests in progress."""
    from app.main import create_app

    settings = Settings()
    return RequestCap(create_app(settings), limit=settings.server_max_requests)


def create_worker_app() -> ASGIApp:
    """The app of one `serve --workers N` worker, which stops once the parent is gone."""
    exit_with_parent_from_env()
    return create_served_app()
