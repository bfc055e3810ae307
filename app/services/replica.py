"""The read replica's state, for /api/v1/health: reachable or not, and how far behind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from app.archive import Archive

# What the replica has received and replayed, and when it last replayed a transaction.
_REPLICA_STATE = text(
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
    "extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
)
# How many bytes of WAL the primary has written past the replica's replay position.
_BYTES_BEHIND = text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), CAST(:lsn AS pg_lsn))")


def replica_status(archive: Archive) -> dict[str, Any] | None:
    """None without a replica; else whether it answers, and its lag in bytes and seconds.

    The seconds are the age of the last transaction the replica replayed, and 0 when it has
    replayed everything the primary wrote: an idle primary is not a lagging replica."""
    if archive.replica is None:
        return None
    try:
        with archive.replica.connect() as conn:
            in_recovery, replay_lsn, replay_age = conn.execute(_REPLICA_STATE).one()
    except Exception as exc:  # down or refusing: report it, never raise from the health check
        return {"reachable": False, "error": _first_line(exc)}
    if not in_recovery or replay_lsn is None:
        # Promoted, or not a replica at all: it serves reads, but nothing is streaming into it.
        return {"reachable": True, "streaming": False, "lag_bytes": 0, "lag_seconds": 0.0}
    with archive.engine.connect() as conn:
        behind = max(0, int(conn.scalar(_BYTES_BEHIND, {"lsn": replay_lsn}) or 0))
    seconds = float(replay_age or 0.0) if behind else 0.0
    return {
        "reachable": True,
        "streaming": True,
        "lag_bytes": behind,
        "lag_seconds": round(max(0.0, seconds), 3),
    }


def _first_line(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return f"{orig.__class__.__name__}: {lines[0] if lines else ''}"
