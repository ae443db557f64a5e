"""The root Subscription: a contact pushed again each time an event names it."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from gateway.api import inputs
from gateway.api.contact import Contact, load_contact
from gateway.api.context import Info
from gateway.core.caller import CONTACTS_READ
from gateway.core.errors import Forbidden
from gateway.data.invalidation import tag

__all__ = ["Subscription"]

_INSTANCE = (
    "The Connect instance (ID or ARN); the gateway's default instance when omitted. "
    "Must be one the gateway is allowed to query."
)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "The contact now, then again each time a contact event names it (POST /events, "
            "received by any replica). Over graphql-transport-ws on /graphql."
        )
    )
    async def contact_updated(
        self,
        info: Info,
        contact_id: strawberry.ID,
        instance_id: Annotated[
            strawberry.ID | None, strawberry.argument(description=_INSTANCE)
        ] = None,
    ) -> AsyncGenerator[Contact | None, None]:
        context = info.context
        instance = inputs.instance_id(instance_id, context.settings)
        contact = inputs.contact_id(contact_id)
        if not context.caller.has(CONTACTS_READ) or not context.caller.may_read_instance(instance):
            raise Forbidden(f"this caller may not read contacts of instance {instance!r}")
        assert context.subscriptions is not None, "subscriptions run over websockets"
        with context.subscriptions.watch(
            [tag("contact", instance, contact)], context.caller.id
        ) as watch:
            while True:
                context.loaders.clear()
                yield await load_contact(info, instance, contact)
                await watch.changed()
