"""API tokens: named, scoped, stored as sha256 hashes; the plain token is shown once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from app.archive import Archive
from app.models import ApiToken, utcnow

Scope = Literal["read", "write"]
SCOPES: tuple[Scope, ...] = ("read", "write")
PREFIX = "na_"
ENV_TOKEN_NAME = "NEWSARCHIVE_API_TOKEN"


class TokenError(ValueError):
    """A token cannot be created or revoked as asked."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's name and what it may do."""

    name: str
    scope: Scope

    def can(self, scope: Scope) -> bool:
        return scope == "read" or self.scope == "write"


def hash_token(token: str) -> str:
    # A fast hash is enough: tokens carry 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(archive: Archive, *, name: str, scope: Scope) -> tuple[ApiToken, str]:
    """Make a token; returns the stored row and the plain token (never stored)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError("a token name must be 1-100 characters")
    if scope not in SCOPES:
        raise TokenError(f"scope must be one of {', '.join(SCOPES)}")
    plain = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=hash_token(plain), scope=scope, created_at=utcnow())
    with archive.sessions() as session:
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise TokenError(f"a token named {name!r} already exists") from None
    return row, plain


def list_tokens(archive: Archive) -> list[ApiToken]:
    """Every token, revoked ones included, oldest first."""
    with archive.sessions() as session:
        return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(archive: Archive, *, name: str) -> ApiToken:
    """Revoke a token by name (it stays listed, marked revoked)."""
    with archive.sessions() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == name))
        if row is None:
            raise TokenError(f"no token named {name!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.commit()
        return row


def has_write_tokens(archive: Archive) -> bool:
    """Whether any live stored token may write (writes are off when none, and no env token)."""
    with archive.sessions() as session:
        return (
            session.scalar(
                select(ApiToken.id)
                .where(ApiToken.scope == "write", ApiToken.revoked_at.is_(None))
                .limit(1)
            )
            is not None
        )


def authenticate(archive: Archive, *, token: str) -> Principal | None:
    """The principal for a presented token, or None when it is unknown or revoked."""
    env = archive.settings.api_token
    secret = env.get_secret_value() if env is not None else ""
    if secret and hmac.compare_digest(token.encode(), secret.encode()):
        return Principal(ENV_TOKEN_NAME, "write")
    if not token.startswith(PREFIX):
        return None
    with archive.sessions() as session:
        row = session.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
            )
        )
        if row is None:
            return None
        now = utcnow()
        # Record use at most once a minute, so reads do not turn into a write each.
        principal = Principal(row.name, "write" if row.scope == "write" else "read")
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            row.last_used_at = now
            try:
                session.commit()
            except OperationalError:  # database busy with a long write: the stamp can wait
                session.rollback()
        return principal
