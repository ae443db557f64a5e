"""Contact.associatedContacts: the contact's whole tree, from ListAssociatedContacts.

Connect answers summaries (AssociatedContactSummary: IDs, links, channel, initiation method
and times); each node is a Contact holding its summary, so those fields cost nothing more
and any other field loads that contact once (DescribeContact through the per-request
loader), as search results do. The tree is cached once for its whole chain, under the
contact's initial contact (tag `associated:<instance ID>:<initial contact ID>`); within a
request, once one contact's tree is known, every other contact of it has it too.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.model import Shape, StructureShape

from gateway.api.context import Info
from gateway.api.docs import model
from gateway.api.members import Node, Place
from gateway.core.errors import NotFound

if TYPE_CHECKING:
    from gateway.api.contact import Contact

__all__ = ["SUMMARY_MEMBERS", "TREE_PAGE", "associated_contacts"]

TREE_PAGE = 100
"""Connect's largest ListAssociatedContacts page: the tree size the cost model assumes."""

SUMMARY_MEMBERS = {
    "ContactId": "Id",
    "ContactArn": "Arn",
    "InitiationTimestamp": "InitiationTimestamp",
    "DisconnectTimestamp": "DisconnectTimestamp",
    "InitialContactId": "InitialContactId",
    "PreviousContactId": "PreviousContactId",
    "RelatedContactId": "RelatedContactId",
    "InitiationMethod": "InitiationMethod",
    "Channel": "Channel",
}
"""AssociatedContactSummary's members and the Contact members they are."""


async def associated_contacts(info: Info, contact: Node) -> list[Contact]:
    from gateway.api.contact import Contact

    instance = contact._instance
    own = await contact.raw("Id")
    initial = await contact.raw("InitialContactId") or own
    loader = info.context.loaders.associated
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
    records = sorted((_as_contact(s) for s in summaries), key=_initiated)
    nodes = [Contact.of(record, _place(info, instance, record["Id"])) for record in records]
    return [node for node in nodes if node is not None]


def _place(info: Info, instance: str, contact_id: str) -> Place:
    loader = info.context.loaders.complete_contact
    return Place(instance, summary_shape(), lambda: loader.load((instance, contact_id)))


def _as_contact(summary: dict[str, Any]) -> dict[str, Any]:
    return {SUMMARY_MEMBERS[k]: v for k, v in summary.items() if k in SUMMARY_MEMBERS}


def _initiated(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["InitiationTimestamp"])


@cache
def summary_shape() -> Shape:
    """AssociatedContactSummary with the names of Contact's members (ContactId is Id), so
    that a node knows which members it holds."""
    contact = model().shape_for("Contact")
    members = {name: {"shape": contact.members[name].name} for name in SUMMARY_MEMBERS.values()}
    shape_model = {"type": "structure", "members": members}
    return StructureShape("AssociatedContactSummary", shape_model, model()._shape_resolver)
