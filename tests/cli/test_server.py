"""`newsarchive serve` under slow and greedy clients (issue 17, item 13): a connection that does
not finish a request's head in time is closed (uvicorn has no such timeout of its own), so idle
and slow clients never pile up; requests beyond the cap get an immediate 503, not a queue."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from app.cli.server import RequestCap
from app.config import Settings
from tests.live import clean_env, server_process

NEWSARCHIVE = str(Path(sys.executable).parent / "newsarchive")


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes `sock` within `within` seconds (reads return nothing)."""
    sock.settimeout(within)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def read_response(sock: socket.socket) -> bytes:
    """One whole HTTP response (head and Content-Length body): its head and body may come in
    separate reads, and a left-over body must not be taken for the server's next move."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_idle_and_slow_clients_are_closed_and_do_not_block_a_normal_request(
    settings: Settings, tmp_path: Path
) -> None:
    env = clean_env(settings.data_dir, server_header_timeout="1")
    with server_process(
        [NEWSARCHIVE, "serve", "--no-access-log"], env=env, log_path=tmp_path / "serve.log"
    ) as base:
        port = int(base.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
        try:
            for sock in slow:  # slowloris: a request head that never ends
                sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n")
            started = time.monotonic()
            with urllib.request.urlopen(f"{base}/api/v1/health", timeout=5) as r:
                assert r.status == 200
            assert time.monotonic() - started < 10
            for _ in range(3):  # a byte now and then does not keep a connection open
                time.sleep(0.3)
                for sock in slow:
                    sock.sendall(b"X")
            assert all(closed_by_server(sock, within=5) for sock in slow)
            assert all(closed_by_server(sock, within=5) for sock in idle)
            # Keep-alive after a response: the next head gets the same deadline.
            with socket.create_connection(("127.0.0.1", port)) as client:
                client.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                client.settimeout(10)
                assert b" 200 " in read_response(client).split(b"\r\n", 1)[0]
                client.sendall(b"GET /api/v1/health HTTP/1.1\r\n")
                assert closed_by_server(client, within=5)
        finally:
            for sock in idle + slow:
                sock.close()


def test_a_request_beyond_the_cap_is_refused_at_once_and_the_rest_go_on() -> None:
    release = asyncio.Event()

    async def slow_app(scope: Any, receive: Any, send: Any) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    capped = RequestCap(slow_app, limit=2)

    async def call(path: str) -> tuple[int, bytes, dict[bytes, bytes]]:
        sent: list[dict[str, Any]] = []

        async def send(message: Any) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        await capped({"type": "http", "path": path}, receive, send)
        return sent[0]["status"], sent[1]["body"], dict(sent[0]["headers"])

    async def scenario() -> None:
        first = asyncio.create_task(call("/api/v1/search"))
        second = asyncio.create_task(call("/"))
        await asyncio.sleep(0.05)
        status, body, headers = await asyncio.wait_for(call("/api/v1/articles"), timeout=1)
        assert status == 503 and headers[b"retry-after"] == b"1"
        assert json.loads(body)["error"]["code"] == "overloaded"
        status, body, _ = await asyncio.wait_for(call("/search"), timeout=1)
        assert status == 503 and b"busy" in body
        release.set()
        assert [(await first)[0], (await second)[0]] == [200, 200]
        assert (await call("/"))[0] == 200  # the slots are free again
        assert capped.in_progress == 0

    # In a thread of its own: the browser tests' Playwright keeps an event loop running in the
    # main thread for the whole session, and asyncio.run refuses to start inside it.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()
