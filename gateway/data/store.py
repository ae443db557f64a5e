"""The entity store: Connect's entities from the cache, else from Connect, one upstream
call per key at a time: in the process (single-flight) and, with Redis, across replicas
(a lease: one replica fetches, the others read what it stored).

Below the per-request loaders and above the Connect client: it knows neither GraphQL
nor boto3. Freshness, per kind of entity:
- fresh for the kind's TTL (a contact that has ended longer than an active one; agents
  and queues longest); an entity Connect does not have is remembered briefly;
- then, for `stale_while_revalidate_seconds`, served at once while one background
  refresh runs;
- and, for `stale_if_error_seconds`, kept as the last known value to serve when Connect
  throttles or fails (the response's `extensions.stale` says so).
A fetch that finds an entity changed tells `on_change` its tag (`Kind.tag`), so that
responses holding the old value are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from gateway.connect import ConnectClient, budget, quota
from gateway.core import deadline
from gateway.core.clock import SYSTEM, Clock
from gateway.core.errors import NotFound, UpstreamThrottled, UpstreamUnavailable
from gateway.core.settings import Settings
from gateway.data import sources
from gateway.data.cache import Cache, Generation
from gateway.data.flights import SingleFlight
from gateway.data.invalidation import parse_tag
from gateway.data.kinds import CONTACT, KINDS, Kind
from gateway.observability import tracing
from gateway.observability.metrics import Metrics
from gateway.shared.coordination import Coordinator, Unavailable

__all__ = ["MAX_CHANGED", "Changed", "EntityStore", "Fetched"]

MAX_CHANGED = 10_000
"""How many recently changed contacts a store remembers for search pages (docs/limits.md);
past that, the oldest are forgotten (their pages' TTL bounds them, as before)."""

log = logging.getLogger(__name__)

_MERGE_TRIES = 5


@dataclass(frozen=True)
class Fetched:
    """An entity (None: Connect has none), how many seconds more it stays fresh (0 when it
    is served stale), and its age when it is a stale fallback."""

    value: Any
    fresh_for: float = 0.0
    stale_age: float | None = None


Changed = Callable[[list[str]], Awaitable[None]]
"""Told the tags of entities that a fetch found changed (e.g. to publish invalidations)."""


class EntityStore:
    def __init__(
        self,
        connect: ConnectClient,
        cache: Cache,
        redis: Coordinator,
        settings: Settings,
        metrics: Metrics,
        on_change: Changed | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self._connect = connect
        self._clock = clock
        self._recent: OrderedDict[str, float] = OrderedDict()
        self._recent_floor = float("-inf")
        self.clock = clock
        self._on_change = on_change
        self._cache = cache
        self._redis = redis
        # As long as a fetch can take: every attempt's timeouts, the quota wait, backoffs.
        self._lease_seconds = connect.longest_call
        self._settings = settings
        self._metrics = metrics
        self._flights: SingleFlight[dict[str, Any]] = SingleFlight(
            lambda key: metrics.joins.labels(key.split(":", 1)[0], "process").inc()
        )
        self._background: set[asyncio.Task[Any]] = set()

    async def presigned_get(self, instance_id: str, bucket: str, key: str, expires_in: int) -> str:
        """A presigned S3 GET URL (made locally: no upstream call, nothing cached), signed
        with the credentials of the instance's account."""
        return await self._connect.presigned_get(instance_id, bucket, key, expires_in)

    async def list_keys(self, instance_id: str, bucket: str, prefix: str) -> list[str]:
        """The S3 keys under `prefix` (not cached: a recording's key is looked up only
        when its contact does not name it)."""
        budget.spend()
        return await self._connect.list_object_keys(instance_id, bucket, prefix)

    async def drop_shared(self, tags: list[str]) -> None:
        """Deletes the tagged entities from Redis and moves on their generations, so that
        no fetch begun before stores what it got as fresh (once, by the replica that
        received the event); raises while Redis is unreachable."""
        await self._cache.invalidate_shared(_keys(tags))

    async def drop_all_local(self) -> None:
        """Drops every entity from this process's memory (see Invalidations.on_resubscribed:
        invalidations may have been missed meanwhile)."""
        await self._cache.forget_all_local()
        self._recent_floor = self._clock.time()  # anything may have changed since

    async def peek(self, kind: Kind, instance_id: str, entity_id: str) -> Any | None:
        """The cached value of the entity, fresh or not, never fetched (None: not cached)."""
        entry = await self._cache.get(kind.key(instance_id, entity_id))
        return entry.get("value") if isinstance(entry, dict) else None

    def note_changes(self, tags: list[str]) -> None:
        """Remembers when each contact an invalidation names changed (every replica hears
        every publish: writes, events, refetches), the last MAX_CHANGED of them."""
        now = self._clock.time()
        for item in tags:
            if item.startswith("contact:"):
                self._recent[item] = now
                self._recent.move_to_end(item)
        while len(self._recent) > MAX_CHANGED:
            self._recent.popitem(last=False)

    def changed_since(self, instance_id: str, contact_id: str, moment: float) -> bool:
        """Whether the contact changed after `moment` (this store's clock), as far as this
        process heard: a search page fetched before then holds an older summary of it."""
        if self._recent_floor > moment:
            return True
        return self._recent.get(CONTACT.tag(instance_id, contact_id), float("-inf")) > moment

    async def drop_local(self, tags: list[str]) -> None:
        """Drops the tagged entities from this process's memory, and moves on their local
        generations: a read from now on never joins a fetch begun before (every replica)."""
        await self._cache.forget_local(_keys(tags))

    async def merge(
        self,
        instance_id: str,
        contact_id: str,
        change: Callable[[Any], Any],
        first: Callable[[], Any] | None = None,
        kind: Kind = CONTACT,
    ) -> bool:
        """Changes the cached contact (or the entity of `kind` of that ID: a chain's
        attributes) by `change(record)` (what an event carried, what a write set),
        atomically against other writes: what events carry is fresh for the entry's TTL
        from now, the rest as its own source says (gateway/data/sources.py). Where none is
        cached, stores `first()` (a record from the event alone) if given. True
        when the cache holds the change. Otherwise (a "no such contact", a write that keeps
        coming first) the key is invalidated: a fetch in flight stores what it got as
        overtaken."""
        key = kind.key(instance_id, contact_id)
        keep = self._swr + self._settings.stale_if_error_seconds
        for _ in range(_MERGE_TRIES):
            shared, raw = await self._cache.get_raw(key)
            if raw is None:
                if first is None:
                    break
                record = first()
                ttl = kind.ttl(self._settings, record)
                entry = {"value": record, "at": self._clock.time(), "ttl": ttl}
                entry["id"] = uuid.uuid4().hex[:16]
                if await self._cache.create(key, shared, entry, ttl + keep):
                    return True
                continue
            entry = json.loads(raw)
            if entry["value"] is None:
                break
            record = change(entry["value"])
            ttl = 0.0 if entry.get("overtaken") else kind.ttl(self._settings, record)
            merged = entry | {"value": record, "at": self._clock.time(), "ttl": ttl}
            merged["id"] = uuid.uuid4().hex[:16]
            if await self._cache.replace(key, raw, shared, merged, ttl + keep):
                return True
        await self.drop_local([kind.tag(instance_id, contact_id)])
        with contextlib.suppress(Unavailable):
            await self.drop_shared([kind.tag(instance_id, contact_id)])
        return False

    async def get(
        self,
        kind: Kind,
        instance_id: str,
        entity_id: str,
        *,
        fresh: bool = False,
        complete: bool = False,
        hint: Any = None,
    ) -> Fetched:
        """The entity; `fresh` skips the cached copy (still one call for all who ask);
        `complete` skips a record that cannot answer every member (one known from events
        alone, or whose read is stale or voided: gateway/data/sources.py); `hint` goes to
        the kind's fetch."""
        key = kind.key(instance_id, entity_id)
        entry = None if fresh else await self._cache.get(key)
        if complete and entry is not None and not _complete(entry, self._clock):
            fresh = True  # a member its sources cannot vouch for: Connect's record is wanted
            entry = None
        if entry is not None:
            if _age(entry, self._clock) <= entry["ttl"]:
                self._count(kind, "hit")
                return _fetched(entry, self._clock)
            revalidate = entry["value"] is not None and not entry.get("overtaken")
            swr = self._swr if kind.stale_for is None else kind.stale_for(self._settings)
            if revalidate and _age(entry, self._clock) <= entry["ttl"] + swr:
                self._count(kind, "stale")
                self._refresh(kind, key, instance_id, entity_id, hint)
                flagged = None if kind.stale_for is None else _age(entry, self._clock)
                return Fetched(entry["value"], stale_age=flagged)
        self._count(kind, "miss")
        try:
            if self._flight(key, fresh=fresh) not in self._flights:
                budget.spend()  # a fetch of this request's own, not one it joins
            fetched = await deadline.bounded(
                self._fetch(kind, key, instance_id, entity_id, read_cache=not fresh, hint=hint)
            )
        except (UpstreamThrottled, UpstreamUnavailable):
            last = entry if entry is not None else await self._cache.get(key)
            if last is None or last["value"] is None:
                raise
            if _age(last, self._clock) > last["ttl"] + self._settings.stale_if_error_seconds:
                raise
            self._count(kind, "stale_if_error")
            return Fetched(last["value"], stale_age=_age(last, self._clock))
        return _fetched(fetched, self._clock)

    @property
    def _swr(self) -> float:
        return self._settings.stale_while_revalidate_seconds

    def _flight(self, key: str, *, fresh: bool) -> str:
        # The local generation: a read after an invalidation never joins a fetch from
        # before it (that one may hold the old value).
        return f"{key}#{self._cache.generation(key)}{'#fresh' if fresh else ''}"

    def _refresh(
        self, kind: Kind, key: str, instance_id: str, entity_id: str, hint: Any = None
    ) -> None:
        async def refresh() -> None:
            deadline.unbounded()  # the request that noticed staleness does not wait for it
            budget.unbounded()
            quota.background()  # and takes only turns no waiting request needs
            try:
                await self._fetch(kind, key, instance_id, entity_id, read_cache=False, hint=hint)
            except Exception as error:  # the stale value stays; the next reader tries again
                log.info("background refresh of %s failed: %s", key, error)

        self._later(refresh())

    def _later(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _fetch(
        self,
        kind: Kind,
        key: str,
        instance_id: str,
        entity_id: str,
        *,
        read_cache: bool,
        hint: Any = None,
    ) -> dict[str, Any]:
        return await self._flights.run(
            self._flight(key, fresh=not read_cache),
            lambda: self._fill(kind, key, instance_id, entity_id, read_cache, hint),
        )

    async def _fill(
        self,
        kind: Kind,
        key: str,
        instance_id: str,
        entity_id: str,
        read_cache: bool,
        hint: Any = None,
    ) -> dict[str, Any]:
        # Read again inside the flight: a flight that ended between our miss and now has
        # filled the cache, and a second upstream call would be waste.
        old = await self._cache.get(key)
        if read_cache and old is not None and _age(old, self._clock) <= old["ttl"]:
            return cast(dict[str, Any], old)
        local = self._cache.generation(key)
        async with self._redis.lease(key, self._lease_seconds) as lease:
            if not lease.mine:
                self._metrics.joins.labels(kind.name, "replica").inc()
                newer = await lease.wait(
                    lambda: self._newer_entry(key, old),
                    lambda: min(lease.expires, deadline.at()),
                )
                if newer is not None:
                    return newer
            elif read_cache and (newer := await self._newer_entry(key, old)) is not None:
                # Another replica's fetch ended (stored, and let its lease go) between our
                # read and our lease: its answer is as new as ours would be.
                self._metrics.joins.labels(kind.name, "replica").inc()
                return newer
            try:
                extra = () if hint is None else (hint,)
                value = await kind.fetch(self._connect, instance_id, entity_id, *extra)
            except NotFound:
                value = None
            ttl = (
                self._settings.ttl_not_found_seconds
                if value is None
                else kind.ttl(self._settings, value)
            )
            swr = self._swr if kind.stale_for is None else kind.stale_for(self._settings)
            keep = 0.0 if value is None else swr + self._settings.stale_if_error_seconds
            at = self._clock.time()
            if kind.sourced and isinstance(value, dict):
                value = sources.with_read(value, at, ttl)
            entry = {"value": value, "at": at, "ttl": ttl, "id": uuid.uuid4().hex[:16]}
            overtaken = entry | {"ttl": 0.0, "overtaken": True}
            generation = Generation(lease.generation, local)
            if not await self._cache.store(key, entry, overtaken, ttl + keep, generation):
                # Invalidated while this call was out: what it got may predate the change,
                # so the next reader asks again (it is still a last known value).
                return overtaken
            if old is not None and _unsourced(old["value"]) != _unsourced(value):
                # Outside the flight: telling other replicas must not hold up its readers.
                self._later(self._changed([kind.tag(instance_id, entity_id)]))
            return entry

    async def _newer_entry(self, key: str, old: Any) -> dict[str, Any] | None:
        """The entry another replica's fetch stored since `old` was read (by its fetch id,
        not by a clock), unless an invalidation overtook it."""
        entry = await self._cache.get(key)
        if entry is None or entry.get("overtaken") or not _complete(entry, self._clock):
            return None
        if old is not None and entry.get("id", entry.get("at")) == old.get("id", old.get("at")):
            return None
        return cast(dict[str, Any], entry)

    async def _changed(self, tags: list[str]) -> None:
        if self._on_change is None:
            return
        try:
            await self._on_change(tags)
        except Exception as error:  # the new value is stored; TTLs still bound staleness
            log.warning("telling that %s changed failed: %s", tags, error)

    def _count(self, kind: Kind, result: str) -> None:
        self._metrics.cache.labels(kind.name, result).inc()
        tracing.cache_event(kind.name, result)


def _complete(entry: dict[str, Any], clock: Clock) -> bool:
    value = entry.get("value")
    return not isinstance(value, dict) or sources.complete(value, clock.time())


def _unsourced(value: Any) -> Any:
    """The entity as Connect has it, without the sources it is kept with."""
    if isinstance(value, dict) and sources.SOURCES in value:
        return {k: v for k, v in value.items() if k != sources.SOURCES}
    return value


def _fetched(entry: dict[str, Any], clock: Clock) -> Fetched:
    fresh_for = max(0.0, entry["ttl"] - _age(entry, clock))
    value = entry["value"]
    if isinstance(value, dict):
        # A response that holds the contact's read members is fresh only as long as they.
        read = sources.fresh_for(value, clock.time())
        if read is not None:
            fresh_for = min(fresh_for, read)
    return Fetched(value, fresh_for=fresh_for)


def _keys(tags: list[str]) -> list[str]:
    """The cache keys of the tags that name an entity of the store."""
    keys = []
    for item in tags:
        parsed = parse_tag(item)
        kind = None if parsed is None else KINDS.get(parsed[0])
        if parsed is not None and kind is not None:
            keys.append(kind.key(parsed[1], parsed[2]))
    return keys


def _age(entry: dict[str, Any], clock: Clock) -> float:
    """Seconds since the entry was fetched from Connect."""
    return clock.time() - float(entry["at"])
