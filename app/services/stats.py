"""Archive statistics and health, shared by /api/v1/health and `newsarchive stats`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import make_url

from app.archive import Archive
from app.services.counts import count_articles, date_counts, date_span, source_counts
from app.services.index_sync import pending_count
from app.services.replica import replica_status


def health(archive: Archive) -> dict[str, Any]:
    """Liveness, whether the database and the index agree, and the read replica's lag."""
    # The index first: with a replica it is what searches see there, and a replica catching
    # up has fewer rows than the primary counted after it, never more.
    index = archive.search.health()
    articles = count_articles(archive)
    with archive.sessions() as session:
        pending = pending_count(session)
    replica = replica_status(archive)
    in_sync = index.ok and index.doc_count == articles and pending == 0
    replica_ok = replica is None or (
        replica["reachable"] and replica["lag_seconds"] <= archive.settings.replica_max_lag
    )
    # A reachable replica a few transactions behind is normal under writes, not a fault.
    catching_up = replica_ok and replica is not None and replica["lag_bytes"] > 0
    healthy = index.ok and pending == 0 and (in_sync or catching_up) and replica_ok
    return {
        "status": "ok" if healthy else "degraded",
        "articles": articles,
        "index_documents": index.doc_count,
        "in_sync": in_sync,
        "pending_index_updates": pending,
        "database": make_url(archive.settings.resolved_database_url()).get_backend_name(),
        "search_backend": index.backend,
        "index_error": None if index.ok else index.detail,
        "replica": replica,
    }


def archive_stats(archive: Archive) -> dict[str, Any]:
    h = health(archive)
    first, last = date_span(archive)
    return {
        "database": h["database"],
        "search_backend": h["search_backend"],
        "articles": h["articles"],
        "index": {
            "documents": h["index_documents"],
            "in_sync": h["in_sync"],
            "pending": h["pending_index_updates"],
            "detail": h["index_error"] or archive.search.health().detail,
        },
        "first_date": first,
        "last_date": last,
        "sources": source_counts(archive),
        "years": date_counts(archive),
    }


def api_stats(archive: Archive, *, base: str = "") -> dict[str, Any]:
    """Totals, per-year and per-month counts and index health, for /api/v1/stats."""
    from app.services.counts import month_counts, person_counts

    data = archive_stats(archive)
    return {
        "articles": data["articles"],
        "sources": len(data["sources"]),
        "authors": len(person_counts(archive)),
        "first_date": data["first_date"],
        "last_date": data["last_date"],
        "database": data["database"],
        "search_backend": data["search_backend"],
        "index": data["index"],
        "years": [
            {
                "key": year,
                "date": f"{year:04d}",
                "articles": n,
                "links": {"articles": f"{base}/api/v1/articles?from={year:04d}&to={year:04d}"},
            }
            for year, n in data["years"]
        ],
        "months": [{"year": y, "month": m, "articles": n} for y, m, n in month_counts(archive)],
    }
