"""The Redis connection, and the coordination between replicas on it: leases (one replica
fetches an entity, the others wait for what it stores) and atomic scripts (the quota).

Redis is an optimisation, never a dependency. Every call is bounded by `timeout` (socket
timeouts, and a deadline around the whole call, so a Redis that accepts and never answers
costs at most that); a failing call marks Redis down for a few seconds, during which calls
fail at once with `Unavailable` and each user falls back on its own (the cache to process
memory, the quota to this replica's share, a lease to fetching itself).

Keys: a cached value `K` lives at `<ns>:{K}`, its lease at `<ns>:lease:{K}` and its
generation at `<ns>:gen:{K}`: one hash tag, so the three share a Redis Cluster slot (a
script may touch them together) while different entities spread over every slot. A lease
holds its owner's token; an owner that fails replaces it with a short failure mark
(`!<code> <message>`), so the waiters learn at once instead of waiting the lease out. A
release that cannot reach Redis is retried in the background until the lease would have
expired anyway.

The generation counts invalidations of a key (`invalidate`: delete the value, add one, in
one script). A fetch reads it when it takes the lease; `store` writes the fetched value as
fresh only if the generation is still the one read, atomically, else as overtaken (only
where nothing newer is stored): a value fetched before an event is never stored as fresh
after it. No clock is compared across replicas.

Only connection errors and timeouts mean "Redis down"; any other error (a script's, the
server's) is a bug: logged and counted, that call fails, the next one tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from gateway.errors import (
    BadUserInput,
    Forbidden,
    GatewayError,
    UpstreamThrottled,
    UpstreamUnavailable,
)

__all__ = ["RETRY_SECONDS", "Coordinator", "Lease", "Unavailable"]

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_SECONDS = 5.0
"""How long Redis is left alone after a failure (then the next call tries it again)."""
_POLL_SECONDS = 0.025
_FAILED_MS = 1000  # how long a failure mark tells late waiters the fetch just failed
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
_FAIL = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) end"
)
_LEASE = (
    "local mine = redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) "
    "local generation = redis.call('get', KEYS[2]) or '0' "
    "if mine then return {1, generation} end return {0, generation}"
)
_STORE = (
    "if (redis.call('get', KEYS[2]) or '0') == ARGV[1] then "
    "redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[4]) return 1 end "
    "redis.call('set', KEYS[1], ARGV[3], 'EX', ARGV[4], 'NX') return 0"
)
_INVALIDATE = (
    "redis.call('del', KEYS[1]) local generation = redis.call('incr', KEYS[2]) "
    "redis.call('expire', KEYS[2], ARGV[1]) return generation"
)
_GENERATION_SECONDS = 86_400  # outlives any fetch in flight; a lost count only overtakes
_RELEASE_RETRY_SECONDS = 0.25
_DOWN_ERRORS = (redis.ConnectionError, redis.TimeoutError, TimeoutError, OSError)
_SHARED_ERRORS: dict[str, type[GatewayError]] = {
    error.code: error for error in (UpstreamThrottled, UpstreamUnavailable, Forbidden, BadUserInput)
}


class Unavailable(Exception):
    """Redis is not configured, down, or did not answer in time."""


class Coordinator:
    def __init__(
        self,
        url: str,
        namespace: str,
        timeout: float,
        on_failure: Callable[[str], None] = lambda kind: None,
    ) -> None:
        self.namespace, self.timeout = namespace, timeout
        self._on_failure = on_failure
        self._background: set[asyncio.Task[Any]] = set()
        self.shared = not url.startswith("memory://")
        self._client: Any = None
        if self.shared:
            self._client = redis.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                # One try, bounded: the caller falls back. Except that a pooled connection
                # Redis closed (it restarted) is replaced and the command sent again at
                # once: that is not Redis failing, and each one found would otherwise mark
                # it down anew for a few seconds after it came back.
                retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
            )
        self._down_until = 0.0
        self._failed_at = -1.0

    @property
    def degraded(self) -> bool:
        """True while Redis is configured but failing."""
        return self._down_until > 0

    def key(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    def tagged(self, key: str, role: str | None = None) -> str:
        """The Redis key of cache key `key` (role None), or of its `lease` or `gen`."""
        return (
            f"{self.namespace}:{{{key}}}" if role is None else f"{self.namespace}:{role}:{{{key}}}"
        )

    async def run(
        self, what: str, call: Callable[[Any], Awaitable[T]], *, force: bool = False
    ) -> T:
        """`call(client)`, bounded; Unavailable when Redis is not there (now). `force`
        tries even while Redis is left alone after a failure."""
        started = time.monotonic()
        if self._client is None or (started < self._down_until and not force):
            raise Unavailable(what)
        try:
            result = await asyncio.wait_for(call(self._client), self.timeout)
        except _DOWN_ERRORS as error:
            self._failed(what, error)
            raise Unavailable(what) from error
        except Exception as error:
            self._on_failure("error")
            log.error("Redis %s failed: %s: %s", what, type(error).__name__, error)
            raise Unavailable(what) from error
        if started > self._failed_at:
            # Only a call begun after the last failure says Redis is back: one in flight
            # across the failure must not end the fallback a moment after it began.
            self._recovered()
        return result

    async def eval(self, script: str, keys: list[str], *args: Any, force: bool = False) -> Any:
        return await self.run(
            "script", lambda c: c.eval(script, len(keys), *keys, *args), force=force
        )

    async def store(
        self, key: str, generation: str | None, fresh: str, overtaken: str, seconds: int
    ) -> bool:
        """Writes cache key `key`: `fresh` if its generation is still `generation` (None:
        unknown), else `overtaken` where nothing is stored; True for fresh. Unavailable
        while Redis is."""
        stored = await self.eval(
            _STORE,
            [self.tagged(key), self.tagged(key, "gen")],
            generation if generation is not None else "unknown",
            fresh,
            overtaken,
            seconds,
        )
        return bool(stored)

    async def invalidate(self, keys: list[str]) -> None:
        """Deletes cache keys `keys` and moves on their generations (one script per key:
        each key's own slot); Unavailable if any failed."""
        results = await asyncio.gather(
            *(
                self.eval(_INVALIDATE, [self.tagged(k), self.tagged(k, "gen")], _GENERATION_SECONDS)
                for k in keys
            ),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def ping(self) -> bool:
        """True when Redis answers now (False when not configured), for /readyz."""
        if self._client is None:
            return False
        self._down_until = min(self._down_until, time.monotonic())  # try, even if down
        try:
            await self.run("ping", lambda c: c.ping())
        except Unavailable:
            return False
        return True

    @asynccontextmanager
    async def lease(self, key: str, seconds: float) -> AsyncIterator[Lease]:
        """A lease on `key` across replicas for at most `seconds`: `mine` when this process
        holds it (or Redis is not there: then every replica fetches for itself)."""
        lease = Lease(self, self.tagged(key, "lease"), uuid.uuid4().hex)
        millis = max(1, int(seconds * 1000))
        lease.expires = time.monotonic() + seconds
        try:
            mine, generation = await self.eval(
                _LEASE, [lease.name, self.tagged(key, "gen")], lease.token, millis
            )
        except Unavailable:
            # Perhaps set all the same (a timeout after Redis ran it): released as ours.
            lease.mine = True
        else:
            lease.mine = bool(mine)
            lease.generation = (
                generation.decode() if isinstance(generation, bytes) else str(generation)
            )
        try:
            yield lease
        except GatewayError as error:
            if lease.mine:
                await lease.fail(error)
            raise
        except BaseException:
            if lease.mine:
                await lease.fail(UpstreamUnavailable("the replica fetching it failed"))
            raise
        else:
            if lease.mine:
                await lease.release()

    def later(self, work: Awaitable[Any]) -> None:
        """Runs `work` in the background, kept until done (closing waits for nothing)."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._client is not None:
            try:
                await self._client.aclose()
            except Exception as error:
                log.warning("Redis close failed: %s", type(error).__name__)

    def _failed(self, what: str, error: Exception) -> None:
        self._on_failure(
            "timeout" if isinstance(error, TimeoutError | redis.TimeoutError) else "connection"
        )
        if not self.degraded:
            log.warning(
                "Redis %s failed (%s): each replica on its own until it is back",
                what,
                type(error).__name__,
            )
        self._failed_at = time.monotonic()
        self._down_until = self._failed_at + RETRY_SECONDS

    def _recovered(self) -> None:
        if self.degraded:
            log.warning("Redis is answering again")
        self._down_until = 0.0


@dataclass
class Lease:
    coordinator: Coordinator
    name: str
    token: str
    mine: bool = False
    generation: str | None = None  # the key's generation when the lease was asked for
    expires: float = 0.0  # monotonic

    async def wait(
        self, done: Callable[[], Awaitable[T | None]], until: Callable[[], float]
    ) -> T | None:
        """Polls `done()` until it gives a value, while the holder fetches. None when the
        lease ends without one (or at `until()`, monotonic, asked each time: a shared
        deadline moves): then fetch yourself. Raises what the holder failed with, as soon
        as it did."""
        while time.monotonic() < until():
            value = await done()
            if value is not None:
                return value
            try:
                state = await self.coordinator.run("lease", lambda c: c.get(self.name))
            except Unavailable:
                return None
            if state is None:
                return await done()
            if state.startswith(b"!"):
                code, _, message = state[1:].decode(errors="replace").partition(" ")
                raise _SHARED_ERRORS.get(code, UpstreamUnavailable)(message)
            await asyncio.sleep(_POLL_SECONDS)
        return None

    async def release(self) -> None:
        await self._script(_RELEASE, self.token)

    async def fail(self, error: GatewayError) -> None:
        await self._script(_FAIL, self.token, f"!{error.code} {error.message}", _FAILED_MS)

    async def _script(self, script: str, *args: Any) -> None:
        # Shielded: a cancelled holder must still hand the lease on, not leave it to expire.
        try:
            await asyncio.shield(self.coordinator.eval(script, [self.name], *args, force=True))
        except Unavailable:
            # Redis did not answer: try again in the background, or the others would wait
            # the whole lease out for a fetch that is over.
            self.coordinator.later(self._retry(script, *args))

    async def _retry(self, script: str, *args: Any) -> None:
        while time.monotonic() < self.expires:
            await asyncio.sleep(_RELEASE_RETRY_SECONDS)
            with contextlib.suppress(Unavailable):
                await self.coordinator.eval(script, [self.name], *args, force=True)
                return
