"""Invalidations: telling every replica that some entities changed.

A tag names an entity: `"<kind>:<instance ID>:<entity ID>"` (kinds `contact`, `attributes`,
`references`, `associated`, `search`, ...). `publish(change)` hands what changed to this
process's listeners at once and, with Redis, to every other replica's over pub/sub (a
channel in the cache namespace), one message. A `Change` says what the publisher knows of
each entity: its shared entry is wrong (`dropped`), or already the new value (`stored`: a
fetch found it changed, an event or a write was merged into it), and, of those, which are
the new value in this process's memory too (`here`). Each listener says, when it
subscribes, what it does: drop answers, drop copies, or read again. Listeners registered
with `on_publish` run only in the replica that publishes, for the `dropped` entities:
there the shared Redis entries are deleted, once.

Pub/sub is fire-and-forget: a replica that is not listening at that moment misses the
message. While Redis is unreachable the tags are kept (bounded) and published again when
it is back (retried with backoff until they go, and with every publish that gets through).
A replica whose subscription was lost cannot know what it missed: when it is back, its
`on_resubscribed` listeners drop every copy it holds (the store's memory, its responses).
Every Redis call here is bounded by `timeout`: a Redis that stops answering never holds a
publisher.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ResponseError

__all__ = ["Change", "Invalidations", "Listener", "parse_tag", "tag"]

log = logging.getLogger(__name__)

Listener = Callable[[list[str]], object]
"""Called with a batch of tags; what it returns is awaited if it is awaitable."""

_MAX_PENDING = 10_000
# Between attempts to reach Redis again (resubscribing, sharing kept tags): redis-py's
# exponential backoff with full jitter, 0.1 s doubling up to 5 s.
_BACKOFF = ExponentialWithJitterBackoff(cap=5.0, base=0.1)
_READY_SECONDS = 2.0


def tag(kind: str, instance_id: str, entity_id: str) -> str:
    return f"{kind}:{instance_id}:{entity_id}"


def parse_tag(value: str) -> tuple[str, str, str] | None:
    """(kind, instance ID, entity ID), or None for anything else."""
    parts = value.split(":", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


@dataclass(frozen=True)
class Change:
    """What one publish says changed (the module's docstring): entities whose shared entry
    is wrong, `dropped`; entities whose shared entry is the new value, `stored`; of those,
    the ones this process's memory holds the new value of too, `here`."""

    dropped: tuple[str, ...] = ()
    stored: tuple[str, ...] = ()
    here: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, dropped: Iterable[str] = (), stored: Iterable[str] = (), here: Iterable[str] = ()
    ) -> Change:
        """Each tag once: one dropped is not also stored; `here` only of the stored."""
        gone = tuple(dict.fromkeys(dropped))
        kept = tuple(item for item in dict.fromkeys(stored) if item not in gone)
        return cls(gone, kept, frozenset(here) & frozenset(kept))

    @property
    def tags(self) -> list[str]:
        return [*self.dropped, *self.stored]


class Invalidations:
    def __init__(
        self,
        redis_url: str | None,
        namespace: str,
        timeout: float = 0.5,
        cluster: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.channel = f"{namespace}:invalidations"
        self.timeout = timeout
        self._origin = uuid.uuid4().hex
        self._url = redis_url
        self._cluster = cluster
        # One Redis: one client, for pub/sub and publishing. A cluster: a cluster client
        # (sharded pub/sub follows the channel's slot), made once the mode is known.
        self._redis: Any = None if redis_url is None or cluster else Redis.from_url(redis_url)
        self._sharded = False
        self._listeners: list[Listener] = []  # those that drop first, then the readers
        self._readers: list[Listener] = []
        self._copies: list[Listener] = []
        self._publishers: list[Listener] = []
        self._resubscribed: list[Callable[[], Awaitable[None] | None]] = []
        # Insertion-ordered sets of tags to share again: with the publishers (the shared
        # entries to delete), and notices only (the shared entry is already the new one).
        self._pending: dict[str, None] = {}
        self._notices: dict[str, None] = {}
        self._listening: asyncio.Task[None] | None = None
        self._retrying: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    @property
    def shared(self) -> bool:
        return self._url is not None

    @property
    def connected(self) -> bool:
        """True without Redis, or while subscribed to the channel."""
        return self._url is None or self._subscribed.is_set()

    @property
    def pending(self) -> int:
        """How many tags wait to be shared again (Redis was unreachable)."""
        return len(self._pending) + len(self._notices)

    def subscribe(
        self, listener: Listener, *, copies: bool = False, reads: bool = False
    ) -> Callable[[], None]:
        """Calls `listener(tags)` in this process for every invalidation, whichever replica
        published it; returns a function that unsubscribes it. `copies`: the listener
        drops this process's copies of entities (skipped for a publish that has just
        written the new value here, a Change's `here`). `reads`: the listener reads the
        changed entities again (a subscription's push): it runs after every listener that
        drops something, whatever order they subscribed in."""
        if reads:
            self._listeners.append(listener)
            self._readers.append(listener)
        else:
            first_reader = next(
                (n for n, known in enumerate(self._listeners) if known in self._readers),
                len(self._listeners),
            )
            self._listeners.insert(first_reader, listener)
        if copies:
            self._copies.append(listener)

        def unsubscribe() -> None:
            self._remove(self._listeners, listener)
            self._remove(self._copies, listener)
            self._remove(self._readers, listener)

        return unsubscribe

    def on_resubscribed(self, listener: Callable[[], Awaitable[None] | None]) -> None:
        """Calls `listener()` each time the subscription is back after it was lost: what was
        published meanwhile never arrives, so this process's copies of anything may be
        stale (the listener drops them all)."""
        self._resubscribed.append(listener)

    def on_publish(self, listener: Listener) -> Callable[[], None]:
        """Calls `listener(tags)` only for the invalidations this replica publishes (again
        after a Redis outage if it raised)."""
        self._publishers.append(listener)
        return lambda: self._remove(self._publishers, listener)

    async def publish(self, change: Change | Iterable[str]) -> None:
        """Tells every replica what changed, in one message (tags alone: all dropped). The
        publishers delete the `dropped` shared entries first, so that a listener woken here
        (a subscription about to push the contact) cannot read what is being invalidated;
        then this process's listeners run (those that drop copies, for what is not `here`);
        then the other replicas hear of every tag."""
        if not isinstance(change, Change):
            change = Change.of(dropped=change)
        batch = change.tags
        if not batch:
            return
        dropped = list(change.dropped)
        shared = not dropped or await self._share(dropped, send=False)
        elsewhere = [item for item in batch if item not in change.here]
        await _call(self._listeners, batch, copies=(self._copies, elsewhere))
        if shared and await self._share(batch, run_publishers=False):
            if self._pending or self._notices:
                await self._replay()  # Redis is back: what it missed goes too
            return
        # Kept to share again: the dropped with the publishers once more (a fetch begun
        # meanwhile must not store as fresh), the stored only to the other replicas.
        self._keep(dropped, self._pending)
        self._keep(list(change.stored), self._notices)
        self._retry_soon()

    async def start(self) -> None:
        """Starts listening (with Redis), waiting briefly for the subscription so that an
        invalidation published by another replica right after start-up is not missed."""
        if self._url is None or self._listening is not None:
            return
        self._listening = asyncio.create_task(self._listen())
        try:
            await asyncio.wait_for(self._subscribed.wait(), _READY_SECONDS)
        except TimeoutError:
            log.warning("invalidations: Redis not reachable yet; listening once it is")

    async def close(self) -> None:
        for task in (self._listening, self._retrying):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._redis is not None:
            await self._redis.aclose()

    async def _share(
        self, batch: list[str], *, run_publishers: bool = True, send: bool = True
    ) -> bool:
        """Runs the publishers and sends `batch` to the other replicas; False if either
        failed (Redis unreachable)."""
        try:
            if run_publishers:
                await _call(self._publishers, batch, raise_errors=True)
            if send and self._url is not None:
                message = json.dumps({"origin": self._origin, "tags": batch})
                await asyncio.wait_for(self._send(message), self.timeout)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("invalidations: could not share %d tags (%r)", len(batch), error)
            return False
        return True

    def _retry_soon(self) -> None:
        """Shares the kept tags again, with backoff, until they have all gone."""
        if self._retrying is not None and not self._retrying.done():
            return

        async def retry() -> None:
            attempt = 0
            while self._pending or self._notices:
                await asyncio.sleep(_BACKOFF.compute(attempt))
                attempt += 1
                if self.connected:
                    await self._replay()

        self._retrying = asyncio.create_task(retry())

    @staticmethod
    def _keep(batch: list[str], into: dict[str, None]) -> None:
        for item in batch:
            into[item] = None
        while len(into) > _MAX_PENDING:
            del into[next(iter(into))]

    async def _client(self) -> Any:
        """The client, once the store's mode is known (a cluster, or one Redis)."""
        if self._redis is None:
            assert self._url is not None
            assert self._cluster is not None
            cluster = await self._cluster()
            if cluster:
                client = RedisCluster.from_url(self._url, require_full_coverage=False)
                await client.initialize()
                self._redis = client
                self._sharded = True
            else:
                self._redis = Redis.from_url(self._url)
        return self._redis

    async def _send(self, message: str) -> None:
        client = await self._client()
        if self._sharded:
            try:
                await client.spublish(self.channel, message)
                return
            except ResponseError as error:  # no sharded pub/sub here (Redis before 7)
                log.warning("invalidations: %s; publishing cluster-wide instead", error)
                self._sharded = False
        await client.publish(self.channel, message)

    async def _listen(self) -> None:
        attempt = 0
        while True:
            pubsub: Any = None
            try:
                client = await self._client()
                pubsub = client.pubsub()
                if self._sharded:
                    await pubsub.ssubscribe(self.channel)
                else:
                    await pubsub.subscribe(self.channel)
                if attempt:
                    log.warning("invalidations: receiving from Redis again")
                    for listener in self._resubscribed:
                        try:
                            result = listener()
                            if inspect.isawaitable(result):
                                await result
                        except Exception:
                            log.exception("invalidations: a resubscribed listener failed")
                attempt = 0
                self._subscribed.set()
                await self._replay()
                while True:
                    message = await (
                        pubsub.get_sharded_message(ignore_subscribe_messages=True, timeout=1.0)
                        if self._sharded
                        else pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    )
                    if message is not None:
                        await self._receive(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self._subscribed.is_set() or not attempt:
                    log.warning("invalidations: Redis pub/sub lost (%s); retrying", error)
                self._subscribed.clear()
            finally:
                if pubsub is not None:
                    await asyncio.shield(_close(pubsub))
            await asyncio.sleep(_BACKOFF.compute(attempt))
            attempt += 1

    async def _replay(self) -> None:
        """Shares the kept tags again; what fails is kept, and retried."""
        failed = False
        if self._pending:
            batch, self._pending = list(self._pending), {}
            if not await self._share(batch):
                self._keep(batch, self._pending)
                failed = True
        if self._notices:
            batch, self._notices = list(self._notices), {}
            if not await self._share(batch, run_publishers=False):
                self._keep(batch, self._notices)
                failed = True
        if failed:
            self._retry_soon()

    async def _receive(self, message: dict[str, Any]) -> None:
        try:
            body = json.loads(message["data"])
            origin, tags = body["origin"], body["tags"]
        except (ValueError, KeyError, TypeError):
            log.warning("invalidations: ignored a malformed message on %s", self.channel)
            return
        if origin == self._origin or not isinstance(tags, list):
            return
        await _call(self._listeners, [item for item in tags if isinstance(item, str)])

    @staticmethod
    def _remove(listeners: list[Listener], listener: Listener) -> None:
        if listener in listeners:
            listeners.remove(listener)


async def _call(
    listeners: list[Listener],
    tags: list[str],
    *,
    copies: tuple[list[Listener], list[str]] | None = None,
    raise_errors: bool = False,
) -> None:
    """Calls every listener; one failing does not keep the others from their tags.
    `copies`: the listeners that drop copies, and the tags they get instead."""
    failure: Exception | None = None
    for listener in list(listeners):
        given = tags
        if copies is not None and listener in copies[0]:
            given = copies[1]
            if not given:
                continue
        try:
            result = listener(given)
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if not raise_errors:
                log.exception("invalidation listener failed")
            failure = failure or error
    if raise_errors and failure is not None:
        raise failure


async def _close(pubsub: Any) -> None:
    with contextlib.suppress(Exception):  # the connection may be gone already
        await pubsub.aclose()
