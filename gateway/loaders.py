"""Per-request DataLoaders over the entity store: within one request, each entity is
loaded at most once however often the query names it, and sibling loads run together.
They also carry the request's freshness wish (Cache-Control: no-cache) down, and note
every stale value served, for the response's extensions."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.store import AGENT, ATTRIBUTES, CONTACT, QUEUE, REFERENCES, EntityStore, Kind

__all__ = ["EntityKey", "Loader", "Loaders", "Stale"]

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


@dataclass(frozen=True)
class Loaders:
    contact: Loader
    agent: Loader
    queue: Loader
    attributes: Loader
    references: Loader
    stale: list[Stale] = field(default_factory=list)

    @classmethod
    def for_request(cls, store: EntityStore, *, fresh: bool = False) -> Loaders:
        stale: list[Stale] = []

        def loader(kind: Kind) -> Loader:
            async def one(instance: str, entity: str) -> Any:
                fetched = await store.get(kind, instance, entity, fresh=fresh)
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
            contact=loader(CONTACT),
            agent=loader(AGENT),
            queue=loader(QUEUE),
            attributes=loader(ATTRIBUTES),
            references=loader(REFERENCES),
            stale=stale,
        )
