"""A small typed cache over aiocache: `memory://` in process, or Redis shared by replicas.

Values are JSON (never pickle: a shared Redis must not be a code-execution channel).
The cache is an optimisation, never a dependency: a failing or slow backend (bounded by
`cache_timeout_seconds`) reads as a miss and writes are dropped, logged once per outage.
"""

from __future__ import annotations

import logging
from typing import Any

from aiocache import Cache as AioCache
from aiocache.serializers import JsonSerializer

__all__ = ["Cache"]

log = logging.getLogger(__name__)


class Cache:
    def __init__(self, url: str, namespace: str, timeout: float) -> None:
        self.url = url
        self._backend: Any = AioCache.from_url(url)
        self._backend.serializer = JsonSerializer()
        self._backend.namespace = namespace
        self._backend.timeout = timeout
        self._healthy = True

    @property
    def shared(self) -> bool:
        """True when other processes see the same entries (Redis)."""
        return not self.url.startswith("memory://")

    async def get(self, key: str) -> Any | None:
        try:
            value = await self._backend.get(key)
        except Exception as error:
            self._failed("read", error)
            return None
        self._recovered()
        return value

    async def set(self, key: str, value: Any, ttl: float) -> None:
        if ttl <= 0:
            return
        try:
            # aiocache's Redis backend takes whole seconds; round up so nothing expires early.
            await self._backend.set(key, value, ttl=max(1, int(-(-ttl // 1))))
        except Exception as error:
            self._failed("write", error)
            return
        self._recovered()

    async def delete(self, key: str) -> None:
        try:
            await self._backend.delete(key)
        except Exception as error:
            self._failed("delete", error)

    async def ping(self) -> bool:
        """True when the backend answers now (for /readyz)."""
        try:
            await self._backend.exists("__ping__")
        except Exception as error:
            self._failed("ping", error)
            return False
        self._recovered()
        return True

    async def close(self) -> None:
        try:
            await self._backend.close()
        except Exception as error:
            log.warning("cache close failed: %s", error)

    def _failed(self, what: str, error: Exception) -> None:
        if self._healthy:
            log.warning("cache %s failed (%s): serving without it", what, type(error).__name__)
        self._healthy = False

    def _recovered(self) -> None:
        if not self._healthy:
            log.warning("cache is answering again")
        self._healthy = True
