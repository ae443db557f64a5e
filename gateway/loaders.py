"""Per-request DataLoaders over the entity store: within one request, each entity is
loaded at most once however often the query names it, and sibling loads run together."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.store import AGENT, ATTRIBUTES, CONTACT, QUEUE, REFERENCES, EntityStore, Kind

__all__ = ["EntityKey", "Loaders"]

EntityKey = tuple[str, str]
"""(instance ID, entity ID)"""

Loader = DataLoader[EntityKey, Any]


@dataclass(frozen=True)
class Loaders:
    contact: Loader
    agent: Loader
    queue: Loader
    attributes: Loader
    references: Loader

    @classmethod
    def for_request(cls, store: EntityStore) -> Loaders:
        def loader(kind: Kind) -> Loader:
            async def load(keys: Sequence[EntityKey]) -> list[Any]:
                values: list[Any] = await asyncio.gather(
                    *(store.get(kind, instance, entity) for instance, entity in keys),
                    return_exceptions=True,
                )
                return values

            return DataLoader(load_fn=load)

        return cls(
            contact=loader(CONTACT),
            agent=loader(AGENT),
            queue=loader(QUEUE),
            attributes=loader(ATTRIBUTES),
            references=loader(REFERENCES),
        )
