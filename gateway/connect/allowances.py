"""Per-caller allowances: a token bucket per caller (`key:<id>`, `sub:<subject>`; every
anonymous caller together), refilled per minute, per process. Two use them:

- fresh reads (`Cache-Control: no-cache`, GATEWAY_NO_CACHE_PER_MINUTE): past it, the
  request is served as any other (cache first), and says so;
- upstream fetches (GATEWAY_CALLER_UPSTREAM_CALLS_PER_MINUTE, gateway/connect/budget.py): past
  it, what needs a new Connect call is UPSTREAM_THROTTLED while cached answers still flow,
  so that one caller cannot spend the quota every user shares.
"""

from __future__ import annotations

from gateway.core.clock import SYSTEM, Clock

__all__ = ["Allowances"]

_MAX_CALLERS = 10_000


class Allowances:
    def __init__(self, per_minute: int, clock: Clock = SYSTEM) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, at)

    def allow(self, caller: str) -> bool:
        """Spends one of the caller's allowance; False when none is left."""
        if self.per_minute == 0:
            return False
        now = self._clock.monotonic()
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
