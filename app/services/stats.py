"""Archive statistics and health, shared by /api/v1/health and `newsarchive stats`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import make_url

from app.archive import Archive
from app.services.counts import count_articles, date_counts, date_span, source_counts
from app.services.index_sync import index_lag
from app.services.replica import replica_status
from app.services.storage import storage_faults

# Problems that stop the archive serving (health answers 503); anything else only degrades it.
SERVING_PROBLEMS = frozenset(
    {
        "database_unreachable",
        "index_damaged",
        "index_unreadable",
        "index_rebuilding",
        "disk_full",
        "read_only",
    }
)


def index_state(*, index_ok: bool, in_sync: bool, pending: int) -> str:
    """One word for the index: "in_sync"; "behind" while updates wait in the outbox (an import
    indexing behind, the server catching up); "unreadable"; or "disagrees" (`check --repair`)."""
    if not index_ok:
        return "unreadable"
    if in_sync:
        return "in_sync"
    return "behind" if pending else "disagrees"


def health(archive: Archive) -> dict[str, Any]:
    """Liveness, whether the database and the index agree and how far the index lags, and every
    problem found, each with a stable code (`problems`); `status` is `unavailable` when one of
    them stops the archive serving (SERVING_PROBLEMS), `degraded` when the index is only behind."""
    problems: list[dict[str, str]] = []
    pending, oldest_seconds = 0, None
    # The index before the count: with a read replica the index is what searches see there,
    # and a replica catching up has fewer rows than the primary counted after it, never more.
    index = archive.search.health()
    try:
        articles: int | None = count_articles(archive)
        with archive.sessions() as session:
            lag = index_lag(session)
        pending, oldest_seconds = lag.pending, lag.oldest_seconds
    except Exception as exc:  # the database itself: report it, don't fail the health check
        articles = None
        problems.append(
            {"code": "database_unreachable", "message": f"{exc.__class__.__name__}: {exc}"}
        )
    replica = replica_status(archive) if articles is not None else None
    replica_down = replica is not None and not replica["reachable"]
    # PostgreSQL searches on the replica: its being down is the replica's problem (reported
    # below; writes still work, so the archive is degraded, not unavailable).
    if not index.ok and not (replica_down and archive.search.transactional):
        problems.append({"code": index.problem or "index_unreadable", "message": index.detail})
    for fault in storage_faults(archive.settings.data_dir):
        problems.append({"code": fault.code, "message": fault.message})
    in_sync = index.ok and articles is not None and index.doc_count == articles and pending == 0
    replica_ok = replica is None or (
        replica["reachable"] and replica["lag_seconds"] <= archive.settings.replica_max_lag
    )
    if not replica_ok and replica is not None:
        code = "replica_behind" if replica["reachable"] else "replica_unreachable"
        problems.append({"code": code, "message": _replica_problem(replica)})
    # A reachable replica a few transactions behind is normal under writes, not a fault: the
    # index (searched there) may count fewer rows than the primary for a moment.
    catching_up = replica_ok and replica is not None and replica["lag_bytes"] > 0
    if index.ok and articles is not None and not in_sync and not (catching_up and not pending):
        problems.append(
            {
                "code": "index_behind",
                "message": f"{index.doc_count} of {articles} articles indexed, "
                f"{pending} index updates pending",
            }
        )
    down = any(p["code"] in SERVING_PROBLEMS for p in problems)
    oldest = None if oldest_seconds is None else round(oldest_seconds, 1)
    return {
        "status": "unavailable" if down else "degraded" if problems else "ok",
        "articles": articles,
        "index_documents": index.doc_count,
        "in_sync": in_sync,
        "index": index_state(index_ok=index.ok, in_sync=in_sync, pending=pending),
        "pending_index_updates": pending,
        "oldest_pending_seconds": oldest,
        "database": make_url(archive.settings.resolved_database_url()).get_backend_name(),
        "search_backend": index.backend,
        "index_error": None if index.ok else index.detail,
        "problems": problems,
        "replica": replica,
    }


def _replica_problem(replica: dict[str, Any]) -> str:
    if not replica["reachable"]:
        return f"the read replica does not answer: {replica.get('error')}"
    return f"the read replica is {replica['lag_seconds']} s behind the primary"


def archive_stats(archive: Archive) -> dict[str, Any]:
    h = health(archive)
    if h["articles"] is None:
        raise RuntimeError(h["problems"][0]["message"])  # the database cannot be read
    first, last = date_span(archive)
    return {
        "database": h["database"],
        "search_backend": h["search_backend"],
        "articles": h["articles"],
        "index": {
            "documents": h["index_documents"],
            "in_sync": h["in_sync"],
            "pending": h["pending_index_updates"],
            "oldest_pending_seconds": h["oldest_pending_seconds"],
            "state": h["index"],
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
