"""Per-request loaders over the entity store: within one request, each entity is loaded
at most once however often the query names it, and sibling loads run together.
They also carry the request's freshness wish (Cache-Control: no-cache) down, note every
stale value served, for the response's extensions, and note every entity read with how long
it stays fresh, for the response cache."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.data.kinds import CONTACT, RAW_TRANSCRIPT, STORAGE, TRANSCRIPT, Kind
from gateway.data.quality import CALL_RECORDINGS, TranscriptHint
from gateway.data.store import EntityStore

__all__ = ["EntityKey", "Loader", "Loaders", "Reads", "Stale"]

EntityKey = tuple[str, str]
"""(instance ID, entity ID)"""


@dataclass(frozen=True)
class Stale:
    kind: str
    instance_id: str
    id: str
    age_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "instanceId": self.instance_id,
            "id": self.id,
            "ageSeconds": round(self.age_seconds, 1),
        }


@dataclass
class Reads:
    """The entities a request read (their tags) and how long until the first turns stale."""

    tags: set[str] = field(default_factory=set)
    fresh_for: float = math.inf

    def note(self, tag: str, fresh_for: float) -> None:
        self.tags.add(tag)
        self.fresh_for = min(self.fresh_for, fresh_for)


class Loader:
    """One kind's entities for one request: each key fetched once, by its first caller, in
    that caller's own task (a warm read waits on nothing: no batch to schedule, no task of
    its own), its value or error shared with every concurrent or later caller.

    Connect has no batch read, so there is nothing to batch: siblings' loads run together
    because graphql-core runs sibling fields together. A caller cancelled mid-fetch takes
    only its own fetch with it: a caller waiting on that key fetches it again itself."""

    def __init__(self, fetch: Callable[[str, str], Awaitable[Any]]) -> None:
        self._fetch = fetch
        self._known: dict[EntityKey, asyncio.Future[Any]] = {}

    async def load(self, key: EntityKey) -> Any:
        while (known := self._known.get(key)) is not None:
            if known.done() and not known.cancelled():
                return known.result()  # or raises the fetch's error, as it did
            try:
                # Shielded: a waiter cancelled does not cancel the fetch the others wait on.
                return await asyncio.shield(known)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not known.cancelled() or (task is not None and task.cancelling()):
                    raise
                # Its fetcher was cancelled, not this caller: fetch it here instead.
        future = asyncio.get_running_loop().create_future()
        self._known[key] = future
        try:
            value = await self._fetch(*key)
        except asyncio.CancelledError:
            if self._known.get(key) is future:
                del self._known[key]
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            future.exception()  # retrieved: no waiter need ever ask for it
            raise
        future.set_result(value)
        return value

    def prime(self, key: EntityKey, value: Any) -> None:
        """`value` is what `key` loads to, unless it is loaded already."""
        if key not in self._known:
            future = asyncio.get_running_loop().create_future()
            future.set_result(value)
            self._known[key] = future

    def clear_all(self) -> None:
        self._known.clear()

    def __len__(self) -> int:
        """How many keys it has loaded (or is loading)."""
        return len(self._known)


@dataclass(frozen=True)
class Loaders:
    """A loader per kind (`loaders[CONTACT]`: may answer only some members, see
    gateway/data/sources.py), each made when the request first asks for it, and
    `complete_contact`: a contact that answers every member. The transcripts' loaders are
    keyed by contact, the evaluation's by `<evaluationId>@<version>`, the storage configs'
    by resource type."""

    make: Callable[[Kind, bool], Loader]  # a new loader of that kind (complete or not)
    by_kind: dict[str, Loader] = field(default_factory=dict)
    stale: list[Stale] = field(default_factory=list)
    reads: Reads = field(default_factory=Reads)
    now: Callable[[], float] = time.time  # the store's clock, that sources are kept by
    # When the request began: what it reads is judged fresh as of then, so that a record
    # read for it is never read again for it (a TTL of 0 included).
    opened: list[float] = field(default_factory=lambda: [time.time()])

    def __getitem__(self, kind: Kind) -> Loader:
        loader = self.by_kind.get(kind.name)
        if loader is None:
            loader = self.by_kind[kind.name] = self.make(kind, False)
        return loader

    @property
    def complete_contact(self) -> Loader:
        loader = self.by_kind.get(_COMPLETE)
        if loader is None:
            loader = self.by_kind[_COMPLETE] = self.make(CONTACT, True)
        return loader

    def as_of(self) -> float:
        """The moment this request's freshness is judged at."""
        return self.opened[0]

    def clear(self) -> None:
        """Forgets what was loaded: a subscription's next push reads the store again."""
        for loader in self.by_kind.values():
            loader.clear_all()
        self.stale.clear()
        self.opened[0] = self.now()

    @classmethod
    def for_request(cls, store: EntityStore, *, fresh: bool = False) -> Loaders:
        stale: list[Stale] = []
        reads = Reads()

        def loader(kind: Kind, complete: bool) -> Loader:
            transcript = kind in (TRANSCRIPT, RAW_TRANSCRIPT)

            async def one(instance: str, entity: str) -> Any:
                hint = None
                if transcript:
                    # The contact's own record decides where its transcript is (and is
                    # loaded already, as the transcript is a field of it).
                    contact = await store.get(CONTACT, instance, entity, complete=True)
                    hint = TranscriptHint(
                        contact.value, _storage(store, instance), redacted=kind is TRANSCRIPT
                    )
                fetched = await store.get(
                    kind, instance, entity, fresh=fresh, complete=complete, hint=hint
                )
                reads.note(kind.tag(instance, entity), fetched.fresh_for)
                if fetched.stale_age is not None:
                    stale.append(Stale(kind.name, instance, entity, fetched.stale_age))
                return fetched.value

            return Loader(one)

        return cls(
            make=loader,
            stale=stale,
            reads=reads,
            now=store.clock.time,
            opened=[store.clock.time()],
        )


_COMPLETE = "complete contact"  # complete_contact's place among the loaders (not a kind)


def _storage(store: EntityStore, instance: str) -> Callable[[], Awaitable[Any]]:
    """The instance's call-recordings storage configs, through the store (cached)."""

    async def configs() -> Any:
        return (await store.get(STORAGE, instance, CALL_RECORDINGS)).value

    return configs
