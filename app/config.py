"""Settings, read from NEWSARCHIVE_* environment variables and passed down explicitly.

Nothing here is created at import time: the app factory and the CLI build a `Settings` and hand it
to whatever needs it, so tests can give every test its own data directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    def ensure_dirs(self) -> None:
        """Create the data folders when missing."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.resolved_index_dir().mkdir(parents=True, exist_ok=True)
