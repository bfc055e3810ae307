"""In-process token buckets per caller (token name or client IP): 429 with Retry-After.

One process, one set of buckets: enough for a self-hosted archive served by one uvicorn worker;
with `serve --workers N` each worker keeps its own, so a caller may get up to N times the
configured rate (docs/operations.md says so)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets keyed by (kind, caller); `rate` per minute, `burst` at once."""

    def __init__(
        self, limits: dict[str, tuple[float, int]], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self.clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def waiting(self, kind: str, caller: str) -> float:
        """Seconds until the caller's bucket holds a token again (0.0: now), spending nothing."""
        rate, _ = self.limits.get(kind, (0.0, 0))
        if rate <= 0:
            return 0.0
        with self._lock:
            bucket = self._buckets.get((kind, caller))
            if bucket is None:
                return 0.0
            tokens = bucket.tokens + (self.clock() - bucket.stamp) * rate / 60.0
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / (rate / 60.0)

    def hit(self, kind: str, caller: str, cost: float = 1.0) -> float:
        """Take `cost` from the caller's bucket; 0.0 when allowed, else seconds to wait."""
        rate, burst = self.limits.get(kind, (0.0, 0))
        if rate <= 0:
            return 0.0
        per_second = rate / 60.0
        capacity = max(float(burst), cost)
        now = self.clock()
        with self._lock:
            if len(self._buckets) > 100_000:  # many callers: forget the idle ones
                self._buckets.clear()
            bucket = self._buckets.setdefault((kind, caller), _Bucket(capacity, now))
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.stamp) * per_second)
            bucket.stamp = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            return (cost - bucket.tokens) / per_second


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
