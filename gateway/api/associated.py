"""Contact.associatedContacts: the contact's whole tree, from ListAssociatedContacts.

Connect answers summaries (AssociatedContactSummary: IDs, links, channel, initiation method
and times); each node is a Contact holding its summary, so those fields cost nothing more
and any other field loads that contact once (DescribeContact through the per-request
loader), as search results do. The tree is cached once for its whole chain, under the
contact's initial contact (tag `associated:<instance ID>:<initial contact ID>`); within a
request, once one contact's tree is known, every other contact of it has it too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from gateway.api.context import Info
from gateway.api.members import Node, Place
from gateway.connect.wire import contact_of_summary, summary_shape
from gateway.core.errors import NotFound
from gateway.data.kinds import ASSOCIATED

__all__ = ["associated_contacts"]

C = TypeVar("C")


async def associated_contacts(
    info: Info, contact: Node, of: Callable[[dict[str, Any], Place], C | None]
) -> list[C]:
    """`contact`'s tree, each member made a node by `of` (Contact.of, which imports this
    module: passed in, so that the two do not import each other)."""

    instance = contact._instance
    own = await contact.raw("Id")
    initial = await contact.raw("InitialContactId") or own
    loader = info.context.loaders[ASSOCIATED]
    # One entry serves the whole chain; if Connect has purged its initial contact, the
    # contact's own ID still finds the tree.
    summaries = await loader.load((instance, initial))
    if summaries is None and initial != own:
        summaries = await loader.load((instance, own))
    if summaries is None:
        raise NotFound(f"contact {own!r} was not found in instance {instance!r}")
    # Every contact of the tree has this same tree: the rest of the request asks no more.
    for summary in summaries:
        key = summary.get("InitialContactId") or summary["ContactId"]
        loader.prime((instance, key), summaries)
    records = sorted((contact_of_summary(s) for s in summaries), key=_initiated)
    nodes = [of(record, _place(info, instance, record["Id"])) for record in records]
    return [node for node in nodes if node is not None]


def _place(info: Info, instance: str, contact_id: str) -> Place:
    loader = info.context.loaders.complete_contact
    return Place(instance, summary_shape(), lambda: loader.load((instance, contact_id)))


def _initiated(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["InitiationTimestamp"])
