"""The quota guard: a token bucket per Connect operation, shared by every replica through
Redis (one Lua script, atomic, on Redis's clock), so that all of them together stay under
the account's quota. A caller reserves its turn (callers queue in the order they ask)
if it comes within the deadline, instead of drawing a 429; otherwise it gets
UPSTREAM_THROTTLED at once. Without Redis (or while it is down) the
bucket is this process's own, at its share of the quota (GATEWAY_QUOTA_REPLICAS x
GATEWAY_WORKERS processes share it).

Connect counts its quota per account, for every caller in it (contact flows' Lambdas too):
a 429 from Connect means someone else is spending it. The guard then lowers the
operation's rate for all replicas (its factor, shared in Redis beside the bucket) by 30 %
(CUBIC's decrease: halving left a neighbour's 5 DescribeContact/s beside the gateway's 8
with the gateway's clients refused), at most once every two seconds (the 429s of calls
already out, and of the bucket's refill, are one event) and down to a tenth, and raises it
back by `RECOVERY` of the rate a second while no 429 comes (additive increase,
multiplicative decrease, as TCP shares a link with strangers). The client calls Connect
throttles anyway are retried, each taking its turn, while the caller's wait allows
(connect/client.py). Background work (refreshes) takes a turn only when one is free now:
it never queues ahead of a client waiting for one."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from contextvars import ContextVar

from gateway.core import deadline
from gateway.core.errors import UpstreamThrottled
from gateway.core.rates import Rate, Rates
from gateway.shared.coordination import RETRY_SECONDS, Coordinator, Unavailable

__all__ = ["DECREASE", "FLOOR", "RECOVERY", "Quota", "background"]

DECREASE = 0.7  # the factor a 429 from Connect multiplies the rate by
FLOOR = 0.1  # the least factor
RECOVERY = 0.01  # of the rate, added back each second without a 429 (0.7 -> 1 in 30 s)
_DECREASE_EVERY = 2.0  # seconds: the 429s of calls already out count as one
_BACKGROUND: ContextVar[bool] = ContextVar("background", default=False)


def background() -> None:
    """Calls from the current context are background work: they take free turns only."""
    _BACKGROUND.set(True)


# KEYS[1] bucket; ARGV rate/s, burst, longest wait (s), tokens of a new bucket. A caller
# that can have a token within the longest wait reserves it (the bucket may go below zero:
# callers queue in the order they asked) and is told how many milliseconds to wait; one
# that cannot is told -1 and reserves nothing.
# KEYS[2] the operation's factor (AIMD, see the module's docstring); ARGV[5] its recovery.
_TAKE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local rate, burst, longest = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local adaptive = redis.call('HMGET', KEYS[2], 'factor', 'at')
if adaptive[1] then
  local since = t - tonumber(adaptive[2])
  local factor = math.min(1, tonumber(adaptive[1]) + since * tonumber(ARGV[5]))
  rate, burst = rate * factor, math.max(1, burst * factor)
end
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


# KEYS[1] the factor, KEYS[2] the bucket; ARGV decrease, floor, recovery, interval (s).
# Halves the factor (at most once an interval) and empties the bucket: Connect is full.
_THROTTLED = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'factor', 'at', 'cut')
local factor, at, cut = tonumber(state[1]) or 1, tonumber(state[2]) or t, tonumber(state[3]) or 0
factor = math.min(1, factor + (t - at) * tonumber(ARGV[3]))
if t - cut >= tonumber(ARGV[4]) then
  factor = math.max(tonumber(ARGV[2]), factor * tonumber(ARGV[1]))
  cut = t
end
redis.call('HSET', KEYS[1], 'factor', factor, 'at', t, 'cut', cut)
redis.call('EXPIRE', KEYS[1], 3600)
local tokens = tonumber(redis.call('HGET', KEYS[2], 'tokens'))
if tokens and tokens > 0 then redis.call('HSET', KEYS[2], 'tokens', 0, 'at', t) end
return tostring(factor)
"""


class _Adaptive:
    """The operation's factor in this process (while Redis is not there)."""

    def __init__(self) -> None:
        self.factor, self.at, self.cut = 1.0, time.monotonic(), -math.inf

    def now(self) -> float:
        return min(1.0, self.factor + (time.monotonic() - self.at) * RECOVERY)

    def throttled(self) -> None:
        now = time.monotonic()
        factor = self.now()
        if now - self.cut >= _DECREASE_EVERY:
            factor, self.cut = max(FLOOR, factor * DECREASE), now
        self.factor, self.at = factor, now


class _LocalBucket:
    """The same reservation as `_TAKE`, in this process."""

    def __init__(self, rate: float, burst: float, tokens: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = tokens, time.monotonic()

    def reserve(self, longest: float, factor: float = 1.0) -> float:
        now = time.monotonic()
        rate, burst = self.rate * factor, max(1.0, self.burst * factor)
        self.tokens = min(burst, self.tokens + (now - self.at) * rate)
        self.at = now
        wait = 0.0 if self.tokens >= 1 else (1 - self.tokens) / rate
        if wait > longest:
            return -1.0
        self.tokens -= 1
        return wait


# KEYS[1..n] the slot keys; ARGV token, lease (ms). The first slot free or already this
# replica's is (re)claimed for the lease: its index, or -1 when all are taken.
_CLAIM = """
for n, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder == false or holder == ARGV[1] then
    redis.call('SET', key, ARGV[1], 'PX', tonumber(ARGV[2]))
    return n - 1
  end
end
return -1
"""
_SLOT_LEASE_SECONDS = 60.0
_SLOT_REFRESH_SECONDS = 15.0


class _Slots:
    """Turns at the start of this replica's slot of each frame of wall-clock time: replica
    `slot` of `replicas` calls at `slot x spacing` past each multiple of `replicas x
    spacing`, at most once a frame. Replicas' clocks are assumed within a fraction of
    `spacing` of each other (NTP); the spacing already allows for a call's delay."""

    def __init__(self, per_second: float, replicas: int, slot: int) -> None:
        self.spacing = 1 / per_second
        self.frame = self.spacing * replicas
        self.offset = slot * self.spacing
        self.next = 0.0  # wall-clock: no turn before

    def reserve(self, longest: float, factor: float = 1.0) -> float:
        now = time.time()
        start = max(now, self.next)
        turn = self.offset + math.ceil((start - self.offset) / self.frame) * self.frame
        if turn - now > longest:
            return -1.0
        self.next = turn + self.frame / 2  # the next turn is in a later frame
        return turn - now


class Quota:
    def __init__(
        self,
        rates: Rates | None,
        wait: float,
        redis: Coordinator | None = None,
        *,
        replicas: int = 1,
        scope: str = "",
    ) -> None:
        """`scope` names the account and region whose quota this is (Connect counts each
        apart): guards of different scopes share nothing in Redis."""
        self.rates, self.wait = rates, wait
        self._scope = f"{scope}:" if scope else ""
        self._redis, self._replicas = redis, replicas
        self._queued: dict[str, int] = {}  # turns reserved in Redis, not yet come
        self._local: dict[str, _LocalBucket | _Slots] = {}
        # Until when a bucket this process has been spending on its own could still hold
        # the quota's calls: a new shared bucket (Redis restarted empty) then starts empty.
        self._local_until: dict[str, float] = {}
        # Until when a turn from the shared bucket must also be one of this process's own
        # share: after an outage the other replicas may still be spending on theirs.
        self._strict_until = 0.0
        self._token = uuid.uuid4().hex
        self.slot: int | None = None  # this replica's slot number, claimed in Redis
        self._slot_claimed = -math.inf
        self._adaptive: dict[str, _Adaptive] = {}

    async def take(self, operation: str) -> float:
        """Reserves a token for `operation` and waits for its turn; the seconds waited.
        UpstreamThrottled, at once, when its turn would come after the longest wait or
        the request's deadline."""
        if self.rates is None:
            return 0.0
        longest = max(0.0, min(self.wait, deadline.remaining()))
        if _BACKGROUND.get():
            return await self._free_turn(operation, longest)
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

    async def _free_turn(self, operation: str, longest: float) -> float:
        """A turn free now, looked for again every spacing of the rate until `longest`."""
        assert self.rates is not None
        rate = self.rates.of(operation)
        started = time.monotonic()
        while True:
            delay, _ = await self._reserve(operation, rate, 0.0)
            if delay >= 0:
                return time.monotonic() - started
            if time.monotonic() - started + 1 / rate.per_second > longest:
                raise UpstreamThrottled(
                    f"no free turn of Connect's quota for {operation} (background work)"
                )
            await asyncio.sleep(1 / rate.per_second)

    async def throttled(self, operation: str) -> None:
        """Connect answered 429: someone else spends the account's quota. Lowers the
        operation's rate for every replica (AIMD, see the module's docstring)."""
        self._adaptive.setdefault(operation, _Adaptive()).throttled()
        if self._redis is None or not self._redis.shared:
            return
        bucket = self._bucket_key(operation)
        with contextlib.suppress(Unavailable):
            await self._redis.eval(
                _THROTTLED,
                [f"{bucket}:factor", bucket],
                DECREASE,
                FLOOR,
                RECOVERY,
                _DECREASE_EVERY,
            )

    def factor(self, operation: str) -> float:
        """This process's view of the operation's factor (1: Connect's whole rate)."""
        adaptive = self._adaptive.get(operation)
        return 1.0 if adaptive is None else adaptive.now()

    def _bucket_key(self, operation: str) -> str:
        assert self._redis is not None
        # One hash tag: the take script reads the factor beside the bucket.
        return self._redis.key("{quota:" + self._scope + operation + "}")

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
                key = self._bucket_key(operation)
                wait_ms = await self._redis.eval(
                    _TAKE,
                    [key, f"{key}:factor"],
                    rate.per_second,
                    rate.burst,
                    longest,
                    fresh,
                    RECOVERY,
                )
            except Unavailable:
                pass  # this process's bucket, at its share
            else:
                wait = -1.0 if int(wait_ms) < 0 else float(wait_ms) / 1000
                await self._claim_slot()
                if wait >= 0 and time.monotonic() < self._strict_until:
                    own = self._own(operation, rate).reserve(longest, self.factor(operation))
                    return (-1.0 if own < 0 else max(wait, own)), True
                self._local.pop(operation, None)  # the next outage starts a bucket afresh
                return wait, True
            self._strict_until = time.monotonic() + RETRY_SECONDS + rate.burst / rate.per_second
        self._local_until[operation] = time.monotonic() + rate.burst / rate.per_second
        return self._own(operation, rate).reserve(longest, self.factor(operation)), False

    def _own(self, operation: str, rate: Rate) -> _LocalBucket | _Slots:
        """This process's own share of the operation's quota."""
        own = self._local.get(operation)
        if own is None:
            burst = rate.burst / self._replicas
            shared = self._redis is not None and self._redis.shared
            if burst < 1 and self.slot is not None:
                own = _Slots(rate.per_second, self._replicas, self.slot)
                if shared:
                    # Lost mid-way: the shared bucket may have just given a turn (to any
                    # replica), and this one's callers still hold theirs in it. The first
                    # slot comes a spacing after those.
                    own.next = time.time() + own.spacing * (1 + self.queued(operation))
            else:
                # Without the shared bucket each replica keeps to its share of the quota.
                # One that lost it mid-way starts empty, and behind the turns it had
                # reserved there: those callers still go at their time. A share of the
                # burst may be under one token: then every call waits its turn.
                tokens = -self.queued(operation) if shared else burst
                own = _LocalBucket(rate.per_second / self._replicas, burst, float(tokens))
            self._local[operation] = own
        return own

    async def _claim_slot(self) -> None:
        """Claims (or keeps) this replica's slot number in Redis, every few seconds."""
        now = time.monotonic()
        if self._replicas < 2 or self._redis is None or now < self._slot_claimed:
            return
        self._slot_claimed = now + _SLOT_REFRESH_SECONDS
        # One hash tag: the script touches them all, so they must share a cluster slot.
        slots = "{quota-slot" + (":" + self._scope[:-1] if self._scope else "") + "}"
        keys = [self._redis.key(slots, str(n)) for n in range(self._replicas)]
        try:
            slot = int(
                await self._redis.eval(_CLAIM, keys, self._token, int(_SLOT_LEASE_SECONDS * 1000))
            )
        except Unavailable:
            return
        self.slot = slot if slot >= 0 else None
