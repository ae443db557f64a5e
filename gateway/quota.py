"""The quota guard: a token bucket per Connect operation, shared by every replica through
Redis (one Lua script, atomic, on Redis's clock), so that all of them together stay under
the account's quota. A caller waits its turn up to a deadline instead of drawing a 429;
past the deadline it gets UPSTREAM_THROTTLED. Without Redis (or while it is down) the
bucket is this process's own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from gateway.errors import UpstreamThrottled

__all__ = ["Quota"]

# KEYS[1] bucket; ARGV rate/s, burst. Returns 0 when a token was taken, else the
# milliseconds until one will be there.
_TAKE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or t
tokens = math.min(burst, tokens + (t - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate * 1000) end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', t)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


class _LocalBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class Quota:
    def __init__(
        self,
        rate: float | None,
        burst: int,
        wait: float,
        redis: Callable[[], Any | None],
        prefix: str,
    ) -> None:
        self.rate, self.burst, self.wait = rate, burst, wait
        self._redis, self._prefix = redis, prefix
        self._local: dict[str, _LocalBucket] = {}

    async def take(self, operation: str) -> float:
        """Waits for a token for `operation`; the seconds waited. UpstreamThrottled when
        none comes before the deadline."""
        if self.rate is None:
            return 0.0
        start = time.monotonic()
        deadline = start + self.wait
        while True:
            delay = await self._try(operation)
            if delay == 0:
                return time.monotonic() - start
            if time.monotonic() + delay > deadline:
                raise UpstreamThrottled(
                    f"Connect's quota for {operation} is used up; try again shortly"
                )
            await asyncio.sleep(delay)

    async def _try(self, operation: str) -> float:
        assert self.rate is not None
        redis = self._redis()
        if redis is not None:
            try:
                key = f"{self._prefix}:quota:{operation}"
                wait_ms = await redis.eval(_TAKE, 1, key, self.rate, self.burst)
                return float(wait_ms) / 1000
            except Exception:  # Redis down: the cache logs it; use this process's bucket
                pass
        bucket = self._local.setdefault(operation, _LocalBucket(self.rate, self.burst))
        return bucket.take()
