"""Contact trees: what ListAssociatedContacts lists for a contact.

Each contact hangs from one parent: the contact it continues (PreviousContactId) or, for
one that only relates to another (a task about a call, a monitor, an emailed summary),
the contact it names in RelatedContactId; a contact whose links name none the instance
has is a root. A contact's tree is every contact under the same root, itself included,
in initiation order. (Connect documents the list as "all the contacts in contact tree";
the same grouping shows in ContactAssociationId, "the root contactId ... for all
subsequent contacts in a contact tree".)
"""

from __future__ import annotations

from typing import Any

from gateway.emulator.world.contacts import Record
from gateway.emulator.world.dataset import Instance

__all__ = ["SUMMARY_MEMBERS", "associated_summary", "contact_tree", "tree_root"]

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
"""AssociatedContactSummary's members, and the Contact member each one copies."""


def contact_tree(instance: Instance, record: Record) -> list[Record]:
    root = tree_root(instance, record)
    members = [other for other in instance.contacts.values() if tree_root(instance, other) == root]
    return sorted(members, key=lambda other: (other["InitiationTimestamp"], other["Id"]))


def associated_summary(record: Record) -> dict[str, Any]:
    return {
        summary: record[member] for summary, member in SUMMARY_MEMBERS.items() if member in record
    }


def tree_root(instance: Instance, record: Record) -> str:
    """The ID of the root of the contact's tree."""
    seen = {record["Id"]}
    while (parent := _parent(instance, record)) is not None and parent["Id"] not in seen:
        seen.add(parent["Id"])
        record = parent
    return str(record["Id"])


def _parent(instance: Instance, record: Record) -> Record | None:
    for link in ("PreviousContactId", "RelatedContactId"):
        parent = instance.contacts.get(record.get(link) or "")
        if parent is not None:
            return parent
    return None
