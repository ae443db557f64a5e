"""Fields that follow an ID member to the entity it names, through the per-request loaders."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.api.context import Info
from gateway.api.members import Node

__all__ = ["contact_link"]


def contact_link(shape: str, member: str, description: str) -> Any:
    """The contact named by `member` (a contact ID) of `shape`, in the same instance.

    An absent ID is simply null; an ID Connect no longer has is null with NOT_FOUND.
    """

    async def resolve(self: Node, info: Info) -> Any:
        from gateway.api.contact import load_contact

        contact_id = await self.raw(member)
        if contact_id is None:
            return None
        return await load_contact(info, self._instance, contact_id)

    return strawberry.field(resolver=resolve, description=f"{description} ({shape}.{member})")
