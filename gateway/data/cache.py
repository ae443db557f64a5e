"""A small typed cache: process memory (aiocache), or Redis shared by replicas.

Values are JSON (never pickle: a shared Redis must not be a code-execution channel).
The cache is an optimisation, never a dependency: while Redis fails or is slower than its
timeout (see `gateway.shared.coordination`), the process carries on with a memory cache of its
own and tries Redis again every few seconds.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiocache import Cache as AioCache
from aiocache.serializers import NullSerializer

from gateway.shared.coordination import Coordinator, Unavailable

__all__ = [
    "DECODED",
    "DECODED_BYTES",
    "DECODED_PER_TEXT_BYTE",
    "Cache",
    "Generation",
    "when_dropped",
]

DECODED = 512
"""How many entries a process keeps decoded (the warm set), besides their JSON text."""

DECODED_BYTES = 6 * 2**20
"""The most memory those decoded entries take, counted as DECODED_PER_TEXT_BYTE times
their JSON text: large entries (search pages) leave room for fewer. (Issue 31's soak: the
warm set filling was most of a replica's growth at 1,024 entries and 4 MiB of text.)"""

DECODED_PER_TEXT_BYTE = 4
"""What a decoded DescribeContact record takes per byte of its JSON text (tracemalloc:
4.2 for the demo's records)."""


_GENERATIONS = 20_000  # keys whose local generation is remembered (see `generation`)
_MEMORY_ENTRY = 600  # bytes a memory entry costs besides its text and key: aiocache's
# namespaced key and dict slots, its TTL's timer handle, this index's slot
_DROPPED: list[Callable[[Any], None]] = []


def when_dropped(callback: Callable[[Any], None]) -> None:
    """Calls `callback(value)` whenever any cache of this process stops handing out a
    decoded value (evicted, replaced by a newer text, forgotten): what is kept per value
    (gateway/api/members.py's converted nodes) goes with it instead of keeping it alive."""
    _DROPPED.append(callback)


@dataclass(frozen=True)
class Generation:
    """A key's generations when a fetch of it began: in Redis (None: not known) and in
    this process."""

    shared: str | None
    local: int


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class Cache:
    def __init__(self, coordinator: Coordinator, memory_bytes: int = 64 * 2**20) -> None:
        """`memory_bytes` bounds the JSON text the process's own memory cache holds (the
        cache itself without Redis, Redis's stand-in while it is unreachable): past it the
        least recently written entries go."""
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
        self._decoded_bytes = 0
        # The memory cache's keys, least recently written first, with their text's size:
        # aiocache's memory backend has TTLs but no bound.
        self._written: OrderedDict[str, int] = OrderedDict()
        self._written_bytes = 0
        self._memory_bytes = memory_bytes
        self._generations: OrderedDict[str, int] = OrderedDict()
        self._epoch = 0  # moved on by forget_all_local: every key's generation at once
        self._memory.namespace = coordinator.namespace
        self._memory.timeout = None

    @property
    def shared(self) -> bool:
        return self._redis.shared

    @property
    def degraded(self) -> bool:
        """True while Redis is failing and the process uses its own memory cache."""
        return self._redis.degraded

    async def get_raw(self, key: str) -> tuple[bool, str | bytes | None]:
        """The entry's text as stored, and whether that is the shared store's."""
        if self.shared:
            try:
                name = self._redis.tagged(key)
                return True, await self._redis.run("get", lambda c: c.get(name), key=name)
            except Unavailable:
                pass
        return False, await self._memory.get(key)

    async def create(self, key: str, shared: bool, value: Any, ttl: float) -> bool:
        """Writes `value` where the key holds nothing (in the store `get_raw` named) and
        moves on its generations; False when something is stored."""
        seconds = max(1, math.ceil(ttl))
        if shared:
            try:
                return await self._redis.create(key, _dump(value), seconds)
            except Unavailable:
                return False
        if await self._memory.get(key) is not None:
            return False
        self._bump_generation(key)
        await self._memory_set(key, _dump(value), seconds)
        return True

    async def replace(
        self, key: str, expected: str | bytes, shared: bool, value: Any, ttl: float
    ) -> bool:
        """Writes `value` if the entry is still `expected` (as `get_raw` gave it, from the
        store it named) and moves on the key's generations; False when it changed."""
        seconds = max(1, math.ceil(ttl))
        if shared:
            raw = expected if isinstance(expected, bytes) else expected.encode()
            try:
                replaced = await self._redis.replace(key, raw, _dump(value), seconds)
            except Unavailable:
                return False
            if replaced:
                await self.forget_local([key])  # this process's fallback copy is older
            return replaced
        if await self._memory.get(key) != expected:
            return False
        self._bump_generation(key)
        await self._memory_set(key, _dump(value), seconds)
        return True

    async def get(self, key: str) -> Any | None:
        if self.shared:
            try:
                name = self._redis.tagged(key)
                raw = await self._redis.run("get", lambda c: c.get(name), key=name)
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
        self._forget_decoded(key)
        self._decoded[key] = (raw, value)
        self._decoded_bytes += len(raw) * DECODED_PER_TEXT_BYTE
        while len(self._decoded) > DECODED or self._decoded_bytes > DECODED_BYTES:
            oldest = next(iter(self._decoded))
            self._forget_decoded(oldest)
        return value

    def _forget_decoded(self, key: str) -> None:
        dropped = self._decoded.pop(key, None)
        if dropped is not None:
            self._decoded_bytes -= len(dropped[0]) * DECODED_PER_TEXT_BYTE
            for callback in _DROPPED:
                callback(dropped[1])

    async def _memory_set(self, key: str, text: str, seconds: int) -> None:
        """Writes to the memory cache, then drops the least recently written entries past
        its bound."""
        await self._memory.set(key, text, ttl=seconds)
        size = len(text) + len(key) + _MEMORY_ENTRY
        self._written_bytes += size - self._written.pop(key, 0)
        self._written[key] = size
        while self._written_bytes > self._memory_bytes and len(self._written) > 1:
            oldest, size = self._written.popitem(last=False)
            self._written_bytes -= size
            self._forget_decoded(oldest)
            await self._memory.delete(oldest)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        if ttl <= 0:
            return
        seconds = max(1, math.ceil(ttl))  # whole seconds, rounded up: nothing expires early
        if self.shared:
            data = _dump(value)
            try:
                name = self._redis.tagged(key)
                await self._redis.run("set", lambda c: c.set(name, data, ex=seconds), key=name)
            except Unavailable:
                pass
            else:
                return
        await self._memory_set(key, _dump(value), seconds)

    async def store(
        self, key: str, value: Any, overtaken: Any, ttl: float, generation: Generation
    ) -> bool:
        """Writes a fetched value: `value` if no invalidation of `key` came since the
        fetch read `generation`, else `overtaken` (where nothing newer is stored), checked
        and written in one step; True when `value` was stored."""
        seconds = max(1, math.ceil(ttl))
        if self.shared:
            try:
                return await self._redis.store(
                    key, generation.shared, _dump(value), _dump(overtaken), seconds
                )
            except Unavailable:
                pass
        fresh = self.generation(key) == generation.local
        if fresh or await self._memory.get(key) is None:
            await self._memory_set(key, _dump(value if fresh else overtaken), seconds)
        return fresh

    def generation(self, key: str) -> int:
        """How many times this process has dropped `key` (its local generation). The
        least recently dropped are forgotten past `_GENERATIONS` keys: a fetch in flight
        then sees its key's generation change (overtaken: safe), unless that many other
        keys were dropped during one fetch and this one only once before it."""
        return self._epoch + self._generations.get(key, 0)

    async def forget_local(self, keys: list[str]) -> None:
        """Drops `keys` from this process's memory (the cache itself, or Redis's stand-in)
        and moves on their local generations."""
        for key in keys:
            self._bump_generation(key)
            self._forget_decoded(key)
            self._written_bytes -= self._written.pop(key, 0)
            await self._memory.delete(key)

    def _bump_generation(self, key: str) -> None:
        """Moves on the key's local generation; past `_GENERATIONS` keys the least recently
        moved are forgotten."""
        self._generations[key] = self._generations.get(key, 0) + 1
        self._generations.move_to_end(key)
        while len(self._generations) > _GENERATIONS:
            self._generations.popitem(last=False)

    async def forget_all_local(self) -> None:
        """Drops everything from this process's memory and moves on every local generation
        (a fetch in flight stores what it got as overtaken): for when this process may have
        missed invalidations (its subscription was lost and is back)."""
        self._epoch += 1 << 32
        for key in list(self._decoded):
            self._forget_decoded(key)
        self._written.clear()
        self._written_bytes = 0
        await self._memory.clear()

    async def invalidate_shared(self, keys: list[str]) -> None:
        """Deletes `keys` from Redis and moves on their shared generations; raises
        `Unavailable` while Redis is unreachable. No-op for memory."""
        if self.shared and keys:
            await self._redis.invalidate(keys)

    async def ping(self) -> bool:
        """True when the shared backend answers now (memory: always), for /readyz."""
        return await self._redis.ping() if self.shared else True

    async def close(self) -> None:
        await self._memory.close()
