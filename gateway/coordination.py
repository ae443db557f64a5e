"""The Redis connection, and the coordination between replicas on it: leases (one replica
fetches an entity, the others wait for what it stores) and atomic scripts (the quota).

Redis is an optimisation, never a dependency. Every call is bounded by `timeout` (socket
timeouts, and a deadline around the whole call, so a Redis that accepts and never answers
costs at most that); a failing call marks Redis down for a few seconds, during which calls
fail at once with `Unavailable` and each user falls back on its own (the cache to process
memory, the quota to this replica's share, a lease to fetching itself).

Lease keys live in their own namespace (`<ns>:lease:<key>`), apart from any entity. A
lease holds its owner's token; an owner that fails replaces it with a short failure mark
(`!<code> <message>`), so the waiters learn at once instead of waiting the lease out.
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
_SHARED_ERRORS: dict[str, type[GatewayError]] = {
    error.code: error for error in (UpstreamThrottled, UpstreamUnavailable, Forbidden, BadUserInput)
}


class Unavailable(Exception):
    """Redis is not configured, down, or did not answer in time."""


class Coordinator:
    def __init__(self, url: str, namespace: str, timeout: float) -> None:
        self.namespace, self.timeout = namespace, timeout
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

    async def run(self, what: str, call: Callable[[Any], Awaitable[T]]) -> T:
        """`call(client)`, bounded; Unavailable when Redis is not there (now)."""
        started = time.monotonic()
        if self._client is None or started < self._down_until:
            raise Unavailable(what)
        try:
            result = await asyncio.wait_for(call(self._client), self.timeout)
        except Exception as error:
            self._failed(what, error)
            raise Unavailable(what) from error
        if started > self._failed_at:
            # Only a call begun after the last failure says Redis is back: one in flight
            # across the failure must not end the fallback a moment after it began.
            self._recovered()
        return result

    async def eval(self, script: str, keys: list[str], *args: Any) -> Any:
        return await self.run("script", lambda c: c.eval(script, len(keys), *keys, *args))

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
        lease = Lease(self, self.key("lease", key), uuid.uuid4().hex)
        try:
            millis = max(1, int(seconds * 1000))
            lease.mine = bool(
                await self.run(
                    "lease", lambda c: c.set(lease.name, lease.token, nx=True, px=millis)
                )
            )
        except Unavailable:
            lease.mine = True
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

    async def close(self) -> None:
        if self._client is not None:
            try:
                await self._client.aclose()
            except Exception as error:
                log.warning("Redis close failed: %s", type(error).__name__)

    def _failed(self, what: str, error: Exception) -> None:
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

    async def wait(self, done: Callable[[], Awaitable[T | None]], until: float) -> T | None:
        """Polls `done()` until it gives a value, while the holder fetches. None when the
        lease ends without one (or at `until`, monotonic): then fetch yourself. Raises
        what the holder failed with, as soon as it did."""
        while time.monotonic() < until:
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
        # Shielded: a cancelled holder must still hand the lease on, not leave it to expire
        # (it does expire by itself if Redis is unavailable).
        with contextlib.suppress(Unavailable):
            await asyncio.shield(self.coordinator.eval(script, [self.name], *args))
