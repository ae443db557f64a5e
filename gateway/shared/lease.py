"""Leases across replicas: one replica fetches an entity, the others wait for what it
stores (`Coordinator.lease` takes one, with the key's generation, in one script).

A lease holds its owner's token; an owner that fails replaces it with a short failure mark
(`!<code> <message>`), so the waiters learn at once instead of waiting the lease out. A
release that cannot reach Redis is retried in the background until the lease would have
expired anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from redis.backoff import ExponentialWithJitterBackoff

from gateway.core.errors import (
    BadUserInput,
    Forbidden,
    GatewayError,
    UpstreamThrottled,
    UpstreamUnavailable,
)
from gateway.shared.redis_clients import Unavailable

if TYPE_CHECKING:
    from gateway.shared.coordination import Coordinator

__all__ = ["Lease"]

T = TypeVar("T")

_POLL_SECONDS = 0.025
_FAILED_MS = 1000  # how long a failure mark tells late waiters the fetch just failed
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
_FAIL = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) end"
)
# Retrying a release Redis did not answer: redis-py's backoff (its Retry only takes
# RedisError subclasses; ours is Unavailable), bounded by the lease's own expiry.
_RELEASE_BACKOFF = ExponentialWithJitterBackoff(cap=2.0, base=0.25)
_SHARED_ERRORS: dict[str, type[GatewayError]] = {
    error.code: error for error in (UpstreamThrottled, UpstreamUnavailable, Forbidden, BadUserInput)
}


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
                state = await self.coordinator.run(
                    "lease", lambda c: c.get(self.name), key=self.name
                )
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
        attempt = 0
        while time.monotonic() < self.expires:
            attempt += 1
            await asyncio.sleep(_RELEASE_BACKOFF.compute(attempt))
            with contextlib.suppress(Unavailable):
                await self.coordinator.eval(script, [self.name], *args, force=True)
                return
