"""Token buckets: Connect's per-operation request rate limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from gateway.core.rates import Rate

__all__ = ["Throttle", "TokenBucket"]

Clock = Callable[[], float]


class TokenBucket:
    """`burst` tokens, refilled continuously at `rate` tokens per second."""

    def __init__(self, rate: float, burst: int, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Spend one token if there is one; False means the request is over the limit."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


class Throttle:
    """One token bucket per operation name, at its rate in `quotas`, else at `rate` and
    `burst`; an operation with neither is not limited."""

    def __init__(
        self,
        rate: float | None,
        burst: int | None,
        clock: Clock = time.monotonic,
        *,
        quotas: Mapping[str, Rate] | None = None,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.quotas = dict(quotas or {})
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def allow(self, operation: str) -> bool:
        quota = self.quotas.get(operation)
        if quota is None and (self.rate is None or self.burst is None):
            return True
        with self._lock:
            bucket = self._buckets.get(operation)
            if bucket is None:
                if quota is None:
                    quota = Rate(self.rate or 0, self.burst or 0)  # both set: checked above
                bucket = TokenBucket(quota.per_second, quota.burst, self._clock)
                self._buckets[operation] = bucket
        return bucket.take()
