"""How often a caller may ask for fresh data (`Cache-Control: no-cache`): each fresh read
costs Connect calls from the quota every user shares, so each caller (API key, token
subject; every anonymous caller together) gets GATEWAY_NO_CACHE_PER_MINUTE of them per
process. Past that, the request is served as any other (cache first), and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Refreshes"]

_MAX_CALLERS = 10_000


class Refreshes:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, at)

    def allow(self, caller: str) -> bool:
        """Spends one of the caller's fresh reads; False when none is left."""
        if self.per_minute == 0:
            return False
        now = self._clock()
        tokens, at = self._buckets.get(caller, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - at) * self.per_minute / 60)
        if tokens < 1:
            self._buckets[caller] = (tokens, now)
            return False
        if len(self._buckets) >= _MAX_CALLERS and caller not in self._buckets:
            self._forget_rested(now)
        self._buckets[caller] = (tokens - 1, now)
        return True

    def _forget_rested(self, now: float) -> None:
        """Drops callers whose allowance has refilled (they are as good as new)."""
        full = 60.0  # seconds to refill from empty
        self._buckets = {
            caller: state for caller, state in self._buckets.items() if now - state[1] < full
        }
