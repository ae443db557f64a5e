"""The root Query: a contact, or many contacts, by ID."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, cast

import strawberry

from gateway.api import inputs
from gateway.api.contact import Contact, load_contact
from gateway.api.context import Info
from gateway.api.permissions import check_read, readable_instance
from gateway.api.search import ContactConnection, search
from gateway.core.errors import BadUserInput, Forbidden

__all__ = ["Query"]

_INSTANCE = (
    "The Connect instance (ID or ARN); the gateway's default instance when omitted. "
    "Must be one the gateway is allowed to query."
)
InstanceArg = Annotated[strawberry.ID | None, strawberry.argument(description=_INSTANCE)]


async def _refused(error: Forbidden) -> Contact:
    raise error


@strawberry.type
class Query:
    @strawberry.field(description="A contact by ID; null (with NOT_FOUND) if Connect has none.")
    async def contact(
        self,
        info: Info,
        contact_id: strawberry.ID,
        instance_id: InstanceArg = None,
    ) -> Contact | None:
        instance = readable_instance(instance_id, info.context.settings, info.context.caller)
        return await load_contact(info, instance, inputs.contact_id(contact_id))

    @strawberry.field(
        description=(
            f"Contacts by ID (at most {inputs.MAX_CONTACT_IDS}), in the order asked; "
            "null (with NOT_FOUND at its index) for one Connect does not have."
        )
    )
    def contacts(
        self,
        info: Info,
        contact_ids: list[strawberry.ID],
        instance_id: InstanceArg = None,
    ) -> list[Contact | None]:
        if len(contact_ids) > inputs.MAX_CONTACT_IDS:
            raise BadUserInput(
                f"contactIds takes at most {inputs.MAX_CONTACT_IDS} IDs (got {len(contact_ids)})"
            )
        instance = inputs.instance_id(instance_id, info.context.settings)
        ids = [inputs.contact_id(value, f"contactIds[{n}]") for n, value in enumerate(contact_ids)]
        # Awaitables, not values: graphql-core completes each item on its own, so a missing
        # contact nulls its own index (with its error) instead of failing the whole list.
        try:
            check_read(info.context.caller, instance)
        except Forbidden as error:
            items = [_refused(error) for _ in ids]
        else:
            items = [load_contact(info, instance, contact_id) for contact_id in ids]
        return cast(list[Contact | None], cast(list[Awaitable[Contact]], items))

    search_contacts: ContactConnection | None = strawberry.field(
        resolver=search,
        description=(
            "Contacts that match a search (SearchContacts), a page at a time: pass "
            "pageInfo.endCursor as `after` for the next page."
        ),
    )
