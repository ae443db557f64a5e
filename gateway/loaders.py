"""Per-request DataLoaders over the entity store: within one request, each entity is
loaded at most once however often the query names it, and sibling loads run together."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from gateway.connect import Record
from gateway.store import ContactStore

__all__ = ["ContactKey", "Loaders"]

ContactKey = tuple[str, str]
"""(instance ID, contact ID)"""


@dataclass(frozen=True)
class Loaders:
    contact: DataLoader[ContactKey, Record | None]

    @classmethod
    def for_request(cls, store: ContactStore) -> Loaders:
        async def load_contacts(keys: Sequence[ContactKey]) -> list[Record | BaseException | None]:
            return await asyncio.gather(
                *(store.contact(instance_id, contact_id) for instance_id, contact_id in keys),
                return_exceptions=True,
            )

        return cls(contact=DataLoader(load_fn=load_contacts))
