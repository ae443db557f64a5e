"""Per-request DataLoaders over the entity store: within one request, each entity is
loaded at most once however often the query names it, and sibling loads run together.
They also carry the request's freshness wish (Cache-Control: no-cache) down, note every
stale value served, for the response's extensions, and note every entity read with how long
it stays fresh, for the response cache."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.data.kinds import CONTACT, KINDS, RAW_TRANSCRIPT, STORAGE, TRANSCRIPT, Kind
from gateway.data.quality import CALL_RECORDINGS, TranscriptHint
from gateway.data.store import EntityStore

__all__ = ["EntityKey", "Loader", "Loaders", "Reads", "Stale"]

EntityKey = tuple[str, str]
"""(instance ID, entity ID)"""

Loader = DataLoader[EntityKey, Any]


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


@dataclass(frozen=True)
class Loaders:
    """A loader per kind (`loaders[CONTACT]`: may answer only some members, see
    gateway/data/sources.py), and `complete_contact`: a contact that answers every member.
    The transcripts' loaders are keyed by contact, the evaluation's by
    `<evaluationId>@<version>`, the storage configs' by resource type."""

    by_kind: Mapping[str, Loader]
    complete_contact: Loader
    stale: list[Stale] = field(default_factory=list)
    reads: Reads = field(default_factory=Reads)
    now: Callable[[], float] = time.time  # the store's clock, that sources are kept by
    # When the request began: what it reads is judged fresh as of then, so that a record
    # read for it is never read again for it (a TTL of 0 included).
    opened: list[float] = field(default_factory=lambda: [time.time()])

    def __getitem__(self, kind: Kind) -> Loader:
        return self.by_kind[kind.name]

    def as_of(self) -> float:
        """The moment this request's freshness is judged at."""
        return self.opened[0]

    def clear(self) -> None:
        """Forgets what was loaded: a subscription's next push reads the store again."""
        for loader in (*self.by_kind.values(), self.complete_contact):
            loader.clear_all()
        self.stale.clear()
        self.opened[0] = self.now()

    @classmethod
    def for_request(cls, store: EntityStore, *, fresh: bool = False) -> Loaders:
        stale: list[Stale] = []
        reads = Reads()

        def loader(kind: Kind, *, complete: bool = False) -> Loader:
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

            async def load(keys: Sequence[EntityKey]) -> list[Any]:
                values: list[Any] = await asyncio.gather(
                    *(one(instance, entity) for instance, entity in keys), return_exceptions=True
                )
                return values

            return DataLoader(load_fn=load)

        return cls(
            by_kind={name: loader(kind) for name, kind in KINDS.items()},
            complete_contact=loader(CONTACT, complete=True),
            stale=stale,
            reads=reads,
            now=store.clock.time,
            opened=[store.clock.time()],
        )


def _storage(store: EntityStore, instance: str) -> Callable[[], Awaitable[Any]]:
    """The instance's call-recordings storage configs, through the store (cached)."""

    async def configs() -> Any:
        return (await store.get(STORAGE, instance, CALL_RECORDINGS)).value

    return configs
