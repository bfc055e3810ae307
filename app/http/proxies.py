"""The client's address, for per-IP rate limits: X-Forwarded-For counts only when the peer is a
configured proxy (NEWSARCHIVE_TRUSTED_PROXIES); from anyone else the header is ignored, so a
client cannot reset its own bucket by inventing a new address per request.

`newsarchive serve` turns uvicorn's own proxy-header handling off (it trusts 127.0.0.1 by
default), so the peer address reaching this middleware is the real one."""

from __future__ import annotations

import ipaddress
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: list[str]) -> list[Network]:
    """Addresses or CIDR networks; a bad entry is a start-up error naming it."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"NEWSARCHIVE_TRUSTED_PROXIES: {entry!r} is not an address") from None
    return networks


def _within(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


def forwarded_client(peer: str, forwarded_for: str, networks: list[Network]) -> str:
    """The right-most address in X-Forwarded-For that is not one of our proxies (the left
    part is whatever the client wrote), or the peer itself when it is not a trusted proxy."""
    if not _within(peer, networks):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _within(hop, networks):
            return hop
    return peer


class ClientAddress:
    """Rewrites scope["client"] from X-Forwarded-For when (and only when) the peer is trusted."""

    def __init__(self, app: Any, trusted: list[str]) -> None:
        self.app = app
        self.networks = parse_networks(trusted)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.networks and scope.get("client"):
            forwarded = b",".join(v for k, v in scope.get("headers", []) if k == b"x-forwarded-for")
            if forwarded:
                host, port = scope["client"]
                client = forwarded_client(host, forwarded.decode("latin-1"), self.networks)
                scope = {**scope, "client": (client, port)}
        await self.app(scope, receive, send)
