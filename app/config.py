"""Settings, read from NEWSARCHIVE_* environment variables and passed down explicitly.

Nothing here is created at import time: the app factory and the CLI build a `Settings` and hand it
to whatever needs it, so tests can give every test its own data directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Shorter shared secrets can be guessed; a one-character token was accepted without a word.
MIN_TOKEN_CHARS = 16


class Settings(BaseSettings):
    """Everything configurable about one archive instance."""

    model_config = SettingsConfigDict(env_prefix="NEWSARCHIVE_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the database and index live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default is SQLite at <data_dir>/archive.db."
    )
    read_database_url: str | None = Field(
        None,
        description="PostgreSQL only: a streaming replica for searches and page reads (writes, "
        "write tokens and read-your-writes paths stay on NEWSARCHIVE_DATABASE_URL).",
    )
    replica_max_lag: float = Field(
        30.0,
        ge=0,
        description="Seconds the read replica may lag before /api/v1/health says degraded.",
    )
    index_dir: Path | None = Field(
        None, description="Whoosh index folder; default <data_dir>/index."
    )
    search_backend: str = Field("whoosh", description="Search backend name.")
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        "FULL",
        description="SQLite: FULL syncs every commit to disk before it is acknowledged (nothing "
        "answered is lost on a power cut); NORMAL syncs at WAL checkpoints only (a power cut "
        "can lose the last commits; a crashed process loses nothing either way).",
    )
    search_cache_size: int = Field(
        64,
        ge=0,
        description="Whoosh: match sets and result pages kept per index version (0 turns the "
        "cache off, e.g. to benchmark uncached searches). Any write starts a new version.",
    )
    index_processes: int = Field(
        0,
        ge=0,
        description="Whoosh: worker processes that index big batches (500+ articles) in "
        "parallel; 0 picks the number of CPUs (at most 4), 1 indexes in this process only.",
    )
    api_token: SecretStr | None = Field(
        None,
        description="A read-write API bearer token; named tokens live in the database.",
    )
    max_article_bytes: int = Field(
        5 * 1024 * 1024, description="Largest article file or request body accepted."
    )
    max_request_bytes: int = Field(
        10 * 1024 * 1024, description="Largest request body of any kind accepted."
    )
    default_page_size: int = Field(20, description="Results per page when none is asked for.")
    max_page_size: int = Field(200, description="Largest page_size a client may ask for.")
    write_lock_timeout: float = Field(
        120.0, description="Seconds a writer waits for another writer before giving up."
    )
    own_index_wait: float = Field(
        5.0,
        ge=0,
        description="Seconds a single API write waits for the index (an import may hold it for a "
        "batch) to make its article searchable at once; then it answers and the background "
        "indexer applies the entry when the index is free.",
    )
    server_header_timeout: float = Field(
        10.0,
        gt=0,
        description="serve: seconds a connection may take to send a request's line and headers "
        "(from opening, or from the previous response); then it is closed.",
    )
    server_keep_alive_timeout: int = Field(
        5, ge=1, description="serve: seconds an idle keep-alive connection is kept open."
    )
    server_max_requests: int = Field(
        64,
        ge=0,
        description="serve: requests in progress per worker process; one more is answered 503 "
        "with Retry-After at once instead of queueing (0: no limit).",
    )
    server_max_connections: int = Field(
        1000,
        ge=0,
        description="serve: open connections (idle ones too) plus requests per worker process; "
        "beyond it, uvicorn answers 503 (0: no limit).",
    )
    base_url: str = Field("", description="Public URL prefix for absolute links (optional).")
    read_requires_token: bool = Field(
        False, description="Whether API reads need a token too (read or write scope)."
    )
    max_bulk_bytes: int = Field(
        200 * 1024 * 1024, description="Largest body for POST /api/v1/articles/bulk (NDJSON)."
    )
    bulk_batch_size: int = Field(200, description="Bulk lines stored per transaction.")
    cors_origins: str = Field(
        "", description="Comma-separated origins allowed to call the API from a browser ('*')."
    )
    rate_limit_writes: float = Field(
        120.0, description="API writes per minute per token or IP (0: no limit)."
    )
    rate_limit_write_burst: int = Field(60, description="Writes allowed in a burst.")
    rate_limit_searches: float = Field(
        600.0, description="API searches with a query per minute per token or IP (0: no limit)."
    )
    rate_limit_search_burst: int = Field(120, description="Searches allowed in a burst.")
    catch_up_interval: float = Field(
        2.0,
        ge=0,
        description="Seconds between the server's looks for pending index work (imports "
        "indexing behind, a killed run); it also catches up once at start-up. 0: never.",
    )
    rate_limit_pages: float = Field(
        300.0, description="HTML search pages with a query per minute per IP (0: no limit)."
    )
    rate_limit_page_burst: int = Field(60, description="Search pages allowed in a burst.")
    rate_limit_auth_failures: float = Field(
        10.0, description="Failed token attempts per minute per IP (0: no limit)."
    )
    rate_limit_auth_failure_burst: int = Field(20, description="Failed attempts in a burst.")
    allowed_hosts: str = Field(
        "",
        description="Comma-separated Host names the server answers besides 127.0.0.1, localhost "
        "and NEWSARCHIVE_BASE_URL's host ('*.example.org' for subdomains, '*' for any); "
        "other hosts get 400.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks (CIDR) of reverse proxies whose "
        "X-Forwarded-For names the client; from anyone else the header is ignored.",
    )

    @field_validator("api_token")
    @classmethod
    def _token_long_enough(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and 0 < len(token.get_secret_value()) < MIN_TOKEN_CHARS:
            raise ValueError(
                f"NEWSARCHIVE_API_TOKEN is too short ({len(token.get_secret_value())} "
                f"characters): use at least {MIN_TOKEN_CHARS}, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return token

    def allowed_host_list(self) -> list[str]:
        """Host names requests may carry: the local names, the public URL's, and the setting."""
        hosts = ["127.0.0.1", "localhost", "[::1]", "testserver"]
        if self.base_url and (public := urlsplit(self.base_url).hostname):
            hosts.append(public)
        return hosts + [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]

    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    def cors_origin_list(self) -> list[str]:
        """The CORS origins, parsed from the comma-separated setting."""
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'archive.db').resolve()}"

    def resolved_index_processes(self) -> int:
        if self.index_processes:
            return self.index_processes
        return max(1, min(4, os.cpu_count() or 1))

    def resolved_index_dir(self) -> Path:
        """The index folder, defaulting to <data_dir>/index."""
        return self.index_dir if self.index_dir is not None else self.data_dir / "index"

    def lock_path(self) -> Path:
        """The file lock that serialises writers across processes."""
        return self.data_dir / "write.lock"

    def index_lock_path(self) -> Path:
        """The file lock that serialises index writers (see Archive.index_lock)."""
        return self.data_dir / "index.lock"

    def ensure_dirs(self) -> None:
        """Create the data folders when missing."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.resolved_index_dir().mkdir(parents=True, exist_ok=True)
