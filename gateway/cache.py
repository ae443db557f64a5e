"""A small typed cache: process memory (aiocache), or Redis shared by replicas.

Values are JSON (never pickle: a shared Redis must not be a code-execution channel).
The cache is an optimisation, never a dependency: while Redis fails or is slower than its
timeout (see `gateway.coordination`), the process carries on with a memory cache of its
own and tries Redis again every few seconds.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from typing import Any

from aiocache import Cache as AioCache
from aiocache.serializers import NullSerializer

from gateway.coordination import Coordinator, Unavailable

__all__ = ["DECODED", "Cache"]

DECODED = 1024
"""How many entries a process keeps decoded (the warm set), besides their JSON text."""


class Cache:
    def __init__(self, coordinator: Coordinator) -> None:
        self.coordinator = self._redis = coordinator
        self._memory: Any = AioCache.from_url("memory://")
        # JSON in memory too: a record as a string takes a quarter of the memory it takes as
        # objects. No timeout there: it costs a task per call and guards against nothing.
        self._memory.serializer = NullSerializer()  # the JSON text, encoded by `set`
        # The last DECODED entries read, decoded, each with the text it was decoded from:
        # a warm entry is decoded once, not once per request, and readers get the same
        # object each time (which they treat as read-only), so what is built from it can
        # be kept too (gateway/api/members.py keeps the converted nodes).
        self._decoded: OrderedDict[str, tuple[str | bytes, Any]] = OrderedDict()
        self._memory.namespace = coordinator.namespace
        self._memory.timeout = None

    @property
    def shared(self) -> bool:
        return self._redis.shared

    @property
    def degraded(self) -> bool:
        """True while Redis is failing and the process uses its own memory cache."""
        return self._redis.degraded

    async def get(self, key: str) -> Any | None:
        if self.shared:
            try:
                raw = await self._redis.run("get", lambda c: c.get(self._redis.key(key)))
            except Unavailable:
                pass
            else:
                return self._decode(key, raw)
        return self._decode(key, await self._memory.get(key))

    def _decode(self, key: str, raw: str | bytes | None) -> Any | None:
        if raw is None:
            return None
        decoded = self._decoded.get(key)
        if decoded is not None and (decoded[0] is raw or decoded[0] == raw):
            self._decoded.move_to_end(key)
            return decoded[1]
        value = json.loads(raw)
        self._decoded[key] = (raw, value)
        if len(self._decoded) > DECODED:
            self._decoded.popitem(last=False)
        return value

    async def set(self, key: str, value: Any, ttl: float) -> None:
        if ttl <= 0:
            return
        seconds = max(1, math.ceil(ttl))  # whole seconds, rounded up: nothing expires early
        if self.shared:
            data = json.dumps(value, separators=(",", ":"))
            try:
                await self._redis.run(
                    "set", lambda c: c.set(self._redis.key(key), data, ex=seconds)
                )
            except Unavailable:
                pass
            else:
                return
        await self._memory.set(key, json.dumps(value, separators=(",", ":")), ttl=seconds)

    async def forget_local(self, keys: list[str]) -> None:
        """Drops `keys` from this process's memory (the cache itself, or Redis's stand-in)."""
        for key in keys:
            self._decoded.pop(key, None)
            await self._memory.delete(key)

    async def delete_shared(self, keys: list[str]) -> None:
        """Deletes `keys` from Redis; raises `Unavailable` while Redis is unreachable. No-op
        for memory."""
        if not self.shared or not keys:
            return
        names = [self._redis.key(key) for key in keys]
        await self._redis.run("delete", lambda c: c.delete(*names))

    async def ping(self) -> bool:
        """True when the shared backend answers now (memory: always), for /readyz."""
        return await self._redis.ping() if self.shared else True

    async def close(self) -> None:
        await self._memory.close()
