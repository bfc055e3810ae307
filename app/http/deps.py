"""Request dependencies shared by the pages and the API: the archive, callers, scopes, limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from app.archive import Archive
from app.http.errors import ApiError, unauthorized
from app.http.ratelimit import RateLimiter, retry_after
from app.services.tokens import Principal, authenticate, has_write_tokens


def get_archive(request: Request) -> Archive:
    return request.app.state.archive


ArchiveDep = Annotated[Archive, Depends(get_archive)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized()
    return token.strip()


def _client_ip(request: Request) -> str:
    return f"ip:{request.client.host if request.client else 'unknown'}"


def _too_many_failures(wait: float) -> ApiError:
    return ApiError(
        429,
        f"too many failed token attempts from this address; retry in {retry_after(wait)} s",
        code="rate_limited",
        headers={"Retry-After": retry_after(wait)},
    )


def checked_token(request: Request, archive: Archive, token: str) -> Principal | None:
    """authenticate(), with failed attempts counted per client address: once they run out,
    no token is even looked at (a right guess included) until the bucket refills."""
    limiter: RateLimiter = request.app.state.rate_limiter
    if wait := limiter.waiting("auth_failure", _client_ip(request)):
        raise _too_many_failures(wait)
    principal = authenticate(archive, token=token)
    if principal is None:
        limiter.hit("auth_failure", _client_ip(request))
    return principal


def get_principal(request: Request, archive: ArchiveDep) -> Principal | None:
    """The caller named by the bearer token; None without one; 403 for an unknown token."""
    token = _bearer(request)
    if token is None:
        return None
    principal = checked_token(request, archive, token)
    if principal is None:
        raise ApiError(403, "the token is not valid", code="invalid_token")
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal | None, Depends(get_principal)]


def _writes_configured(archive: Archive) -> bool:
    env = archive.settings.api_token
    return bool(env is not None and env.get_secret_value()) or has_write_tokens(archive)


def _writes_disabled() -> ApiError:
    return ApiError(
        403,
        "writes are disabled: no API token is configured on the server "
        "(set NEWSARCHIVE_API_TOKEN or run `newsarchive tokens create`)",
        code="writes_disabled",
    )


def require_read(archive: ArchiveDep, principal: PrincipalDep) -> None:
    """Reads are open unless NEWSARCHIVE_READ_REQUIRES_TOKEN is set."""
    if archive.settings.read_requires_token and principal is None:
        raise unauthorized()


def require_write(archive: Archive, principal: Principal | None) -> Principal:
    """Writes need a token with the write scope."""
    if principal is None:
        raise unauthorized()
    if not principal.can("write"):
        raise ApiError(403, "this token may only read", code="insufficient_scope")
    return principal


def caller_key(request: Request) -> str:
    """Rate limits count per token when there is one, else per client IP."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None:
        return f"token:{principal.name}"
    return _client_ip(request)


def limit(request: Request, kind: str, cost: float = 1.0) -> None:
    """Spend from the caller's `kind` bucket, or refuse with 429 and Retry-After."""
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.hit(kind, caller_key(request), cost)
    if wait > 0:
        raise ApiError(
            429,
            f"too many {kind} requests; retry in {retry_after(wait)} s",
            code="rate_limited",
            headers={"Retry-After": retry_after(wait)},
        )


async def write_access(request: Request, archive: ArchiveDep) -> Principal:
    """Write auth then the write rate limit (token lookups touch the database: off the loop)."""
    if not await run_in_threadpool(_writes_configured, archive):
        raise _writes_disabled()
    principal = await run_in_threadpool(get_principal, request, archive)
    checked = require_write(archive, principal)
    limit(request, "write")
    return checked


ReadAuth = Depends(require_read)
WriteAuth = Depends(write_access)
WriteDep = Annotated[Principal, Depends(write_access)]
