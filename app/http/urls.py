"""The one public origin every absolute link starts with, for pages, feeds and the API alike."""

from __future__ import annotations

from fastapi import Request


def base_url(request: Request) -> str:
    """settings.base_url when set (a proxy's public address), else the origin the client asked."""
    configured: str = request.app.state.settings.base_url
    return (configured or str(request.base_url)).rstrip("/")
