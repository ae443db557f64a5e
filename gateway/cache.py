"""A small typed cache over aiocache: `memory://` in process, or Redis shared by replicas.

Values are JSON (never pickle: a shared Redis must not be a code-execution channel).
The cache is an optimisation, never a dependency: when Redis fails or is slower than
`timeout`, the process carries on with a memory cache of its own (logged once) and tries
Redis again every few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiocache import Cache as AioCache
from aiocache.serializers import JsonSerializer

__all__ = ["Cache"]

log = logging.getLogger(__name__)

_RETRY_SECONDS = 5.0
_POLL_SECONDS = 0.025
_CLOCK_SKEW = 1.0  # seconds of wall-clock difference tolerated between replicas
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def _backend(url: str, namespace: str, timeout: float) -> Any:
    backend = AioCache.from_url(url)
    backend.namespace = namespace
    # JSON in memory too: a record as a string takes a quarter of the memory it takes as
    # objects. No timeout there: it costs a task per call and guards against nothing.
    backend.serializer = JsonSerializer()
    backend.timeout = None if url.startswith("memory://") else timeout
    return backend


class Cache:
    def __init__(self, url: str, namespace: str, timeout: float) -> None:
        self.url = url
        self.shared = not url.startswith("memory://")
        self._primary: Any = _backend(url, namespace, timeout)
        self._fallback: Any = _backend("memory://", namespace, timeout) if self.shared else None
        self._down_until = 0.0

    @property
    def degraded(self) -> bool:
        """True while Redis is failing and the process uses its own memory cache."""
        return self._down_until > 0

    async def get(self, key: str) -> Any | None:
        return await self._run("get", key)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        if ttl > 0:
            # aiocache's Redis backend takes whole seconds; round up so nothing expires early.
            await self._run("set", key, value, ttl=max(1, int(-(-ttl // 1))))

    async def forget_local(self, keys: list[str]) -> None:
        """Drops `keys` from this process's memory (the cache itself, or Redis's stand-in)."""
        memory = self._fallback if self._fallback is not None else self._primary
        for key in keys:
            await memory.delete(key)

    async def delete_shared(self, keys: list[str]) -> None:
        """Deletes `keys` from Redis; raises while Redis is unreachable. No-op for memory."""
        if not self.shared or not keys:
            return
        names = [self._primary.build_key(key) for key in keys]
        await asyncio.wait_for(self._primary.client.delete(*names), self._primary.timeout)

    async def ping(self) -> bool:
        """True when the (shared) backend answers now, for /readyz."""
        try:
            await self._primary.exists("__ping__")
        except Exception as error:
            self._failed("ping", error)
            return False
        self._recovered()
        return True

    @asynccontextmanager
    async def lease(self, key: str, seconds: float) -> AsyncIterator[bool]:
        """Tries to take a lease on `key` across replicas: yields True if this process has
        it (and releases it after), False if another holds it. Without Redis, always True.

        Not aiocache's RedLock: its waiters are woken only within one process, while here
        the waiters are other replicas (they poll the cache with `wait_for_newer`)."""
        client = self.redis_client()
        if client is None:
            yield True
            return
        name, token = self._primary.build_key(f"{key}:lease"), uuid.uuid4().hex
        try:
            taken = bool(await client.set(name, token, nx=True, px=max(1, int(seconds * 1000))))
        except Exception as error:
            self._failed("lease", error)
            taken = True
        try:
            yield taken
        finally:
            if taken and self.redis_client() is not None:
                try:
                    await client.eval(_RELEASE, 1, name, token)
                except Exception as error:
                    self._failed("lease release", error)

    async def wait_for_newer(self, key: str, since: float, deadline: float) -> Any | None:
        """The entry for `key` once another replica has stored one written at or after
        `since` (an entry's "at", wall-clock), or None at `deadline` (monotonic)."""
        while time.monotonic() < deadline:
            entry = await self.get(key)
            if entry is not None and entry.get("at", 0) >= since - _CLOCK_SKEW:
                return entry
            await asyncio.sleep(_POLL_SECONDS)
        return None

    async def close(self) -> None:
        client = self.redis_client()
        try:
            if client is not None:
                await client.aclose()  # aiocache's close() calls a method redis-py deprecated
            if self._fallback is not None:
                await self._fallback.close()
            if not self.shared:
                await self._primary.close()
        except Exception as error:
            log.warning("cache close failed: %s", error)

    def redis_client(self) -> Any | None:
        """The shared Redis client while Redis is usable; None for memory or when down."""
        if not self.shared or self.degraded:
            return None
        return self._primary.client

    async def _run(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self._fallback is not None and time.monotonic() < self._down_until:
            return await getattr(self._fallback, method)(*args, **kwargs)
        try:
            result = await getattr(self._primary, method)(*args, **kwargs)
        except Exception as error:
            self._failed(method, error)
            if self._fallback is None:
                return None
            return await getattr(self._fallback, method)(*args, **kwargs)
        self._recovered()
        return result

    def _failed(self, what: str, error: Exception) -> None:
        if not self.degraded:
            log.warning(
                "cache %s failed (%s): serving from this process's memory until it is back",
                what,
                type(error).__name__,
            )
        self._down_until = time.monotonic() + _RETRY_SECONDS

    def _recovered(self) -> None:
        if self.degraded:
            log.warning("cache is answering again")
        self._down_until = 0.0
