"""The Contact type: Connect's members plus the links to the contacts around it."""

from __future__ import annotations

import strawberry

from gateway.api.context import Info
from gateway.api.types import ContactFields
from gateway.connect import Record
from gateway.errors import NotFound

__all__ = ["Contact", "load_contact"]


async def load_contact(info: Info, instance_id: str, contact_id: str) -> Contact:
    record = await info.context.loaders.contact.load((instance_id, contact_id))
    if record is None:
        raise NotFound(f"contact {contact_id!r} was not found in instance {instance_id!r}")
    return Contact.from_record(instance_id, record)


@strawberry.type(description="Contains information about a contact.")
class Contact(ContactFields):
    @classmethod
    def from_record(cls, instance_id: str, record: Record) -> Contact:
        return cls(**cls.fields_of(instance_id, record))

    async def _link(self, info: Info, contact_id: str | None) -> Contact | None:
        # An absent link is simply null; a link to a contact Connect no longer has is an error.
        if contact_id is None:
            return None
        return await load_contact(info, str(self.instance_id), contact_id)

    @strawberry.field(description="The first contact of this contact's chain (initialContactId).")
    async def initial_contact(self, info: Info) -> Contact | None:
        return await self._link(info, self.initial_contact_id)

    @strawberry.field(description="The contact before this one in its chain (previousContactId).")
    async def previous_contact(self, info: Info) -> Contact | None:
        return await self._link(info, self.previous_contact_id)

    @strawberry.field(description="The contact this contact is related to (relatedContactId).")
    async def related_contact(self, info: Info) -> Contact | None:
        return await self._link(info, self.related_contact_id)
