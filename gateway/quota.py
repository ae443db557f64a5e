"""The quota guard: a token bucket per Connect operation, shared by every replica through
Redis (one Lua script, atomic, on Redis's clock), so that all of them together stay under
the account's quota. A caller reserves its turn (callers queue in the order they ask)
if it comes within the deadline, instead of drawing a 429; otherwise it gets
UPSTREAM_THROTTLED at once. Without Redis (or while it is down) the
bucket is this process's own, at its share of the quota (GATEWAY_QUOTA_REPLICAS x
GATEWAY_WORKERS processes share it)."""

from __future__ import annotations

import asyncio
import time

from gateway import deadline
from gateway.coordination import Coordinator, Unavailable
from gateway.errors import UpstreamThrottled
from gateway.rates import Rate, Rates

__all__ = ["Quota"]

# KEYS[1] bucket; ARGV rate/s, burst, longest wait (s), tokens of a new bucket. A caller
# that can have a token within the longest wait reserves it (the bucket may go below zero:
# callers queue in the order they asked) and is told how many milliseconds to wait; one
# that cannot is told -1 and reserves nothing.
_TAKE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local rate, burst, longest = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]) or tonumber(ARGV[4]), tonumber(state[2]) or t
tokens = math.min(burst, tokens + (t - at) * rate)
local wait = 0
if tokens < 1 then wait = (1 - tokens) / rate end
if wait > longest then return -1 end
redis.call('HSET', KEYS[1], 'tokens', tokens - 1, 'at', t)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst + 1) / rate * 1000 + longest * 1000) + 1000)
return math.ceil(wait * 1000)
"""


class _LocalBucket:
    """The same reservation as `_TAKE`, in this process."""

    def __init__(self, rate: float, burst: float, tokens: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = tokens, time.monotonic()

    def reserve(self, longest: float) -> float:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        wait = 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate
        if wait > longest:
            return -1.0
        self.tokens -= 1
        return wait


class Quota:
    def __init__(
        self,
        rates: Rates | None,
        wait: float,
        redis: Coordinator | None = None,
        *,
        replicas: int = 1,
    ) -> None:
        self.rates, self.wait = rates, wait
        self._redis, self._replicas = redis, replicas
        self._queued: dict[str, int] = {}  # turns reserved in Redis, not yet come
        self._local: dict[str, _LocalBucket] = {}
        # Until when a bucket this process has been spending on its own could still hold
        # the quota's calls: a new shared bucket (Redis restarted empty) then starts empty.
        self._local_until: dict[str, float] = {}

    async def take(self, operation: str) -> float:
        """Reserves a token for `operation` and waits for its turn; the seconds waited.
        UpstreamThrottled, at once, when its turn would come after the longest wait or
        the request's deadline."""
        if self.rates is None:
            return 0.0
        longest = min(self.wait, deadline.remaining())
        delay, shared = await self._reserve(operation, self.rates.of(operation), longest)
        if delay < 0:
            raise UpstreamThrottled(
                f"Connect's quota for {operation} is used up; try again shortly"
            )
        if delay > 0 and shared:
            await self._sleep_in_line(operation, delay)
        elif delay > 0:
            await asyncio.sleep(delay)
        return delay

    def queued(self, operation: str) -> int:
        """How many callers of this process wait for a turn reserved in Redis."""
        return self._queued.get(operation, 0)

    async def _sleep_in_line(self, operation: str, delay: float) -> None:
        self._queued[operation] = self._queued.get(operation, 0) + 1
        try:
            await asyncio.sleep(delay)
        finally:
            self._queued[operation] -= 1

    async def _reserve(self, operation: str, rate: Rate, longest: float) -> tuple[float, bool]:
        """The wait for a reserved turn (-1: none within `longest`), and whether the turn
        is in the shared bucket."""
        if self._redis is not None and self._redis.shared:
            fresh = 0 if time.monotonic() < self._local_until.get(operation, 0) else rate.burst
            try:
                key = self._redis.key("quota", operation)
                wait_ms = await self._redis.eval(
                    _TAKE, [key], rate.per_second, rate.burst, longest, fresh
                )
            except Unavailable:
                pass  # this process's bucket, at its share
            else:
                self._local.pop(operation, None)  # the next outage starts a bucket afresh
                return (-1.0 if int(wait_ms) < 0 else float(wait_ms) / 1000), True
        bucket = self._local.get(operation)
        if bucket is None:
            # Without the shared bucket each replica keeps to its share of the quota. One
            # that lost it mid-way starts empty, and behind the turns it had reserved
            # there: those callers still go at their time.
            # A share of the burst may be under one token: then every call waits its turn.
            burst = rate.burst / self._replicas
            shared = self._redis is not None and self._redis.shared
            tokens = -self.queued(operation) if shared else burst
            bucket = self._local[operation] = _LocalBucket(
                rate.per_second / self._replicas, burst, float(tokens)
            )
        self._local_until[operation] = time.monotonic() + rate.burst / rate.per_second
        return bucket.reserve(longest), False
