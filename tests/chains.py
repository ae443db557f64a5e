"""Finding shapes in the emulator's demo data (through /_emulator/contacts), so tests
name no IDs of their own."""

from __future__ import annotations

from typing import Any

from gateway.emulator import DEMO_INSTANCE_ID

__all__ = [
    "chain_of",
    "deepest",
    "demo_contacts",
    "purged_link",
    "touched_by_links",
    "with_all_links",
]

Contact = dict[str, Any]


def demo_contacts(contacts: list[Contact]) -> dict[str, Contact]:
    return {c["id"]: c for c in contacts if c["instanceId"] == DEMO_INSTANCE_ID}


def chain_of(contact: Contact, by_id: dict[str, Contact]) -> list[Contact]:
    """The contact's chain, from the initial contact to it, following previous links."""
    chain = [contact]
    while chain[0].get("previousContactId") in by_id:
        chain.insert(0, by_id[chain[0]["previousContactId"]])
    return chain


def deepest(contacts: list[Contact]) -> list[Contact]:
    by_id = demo_contacts(contacts)
    return max((chain_of(c, by_id) for c in by_id.values()), key=len)


def with_all_links(contacts: list[Contact]) -> Contact:
    """A contact whose previous, initial and related links name three distinct contacts that
    exist (or, if the data has none, previous and initial only)."""
    by_id = demo_contacts(contacts)

    def distinct_links(contact: Contact, names: tuple[str, ...]) -> bool:
        links = [contact.get(name) for name in names]
        return all(link in by_id for link in links) and len(set(links)) == len(links)

    for names in [
        ("previousContactId", "initialContactId", "relatedContactId"),
        ("previousContactId", "initialContactId"),
    ]:
        for contact in by_id.values():
            if distinct_links(contact, names):
                return contact
    raise LookupError("no contact with distinct previous and initial links")


def purged_link(contacts: list[Contact]) -> Contact:
    """A contact whose previous contact Connect no longer has."""
    by_id = demo_contacts(contacts)
    return next(
        c
        for c in by_id.values()
        if c.get("previousContactId") and c["previousContactId"] not in by_id
    )


def touched_by_links(contact: Contact, by_id: dict[str, Contact]) -> set[str]:
    """The distinct contacts that tests' LINKS query reads, starting from `contact`:
    itself, previous (with its previous and initial), initial (with its initial), related."""
    ids = {contact["id"]}

    def follow(source: Contact | None, link: str) -> Contact | None:
        target_id = source.get(link) if source else None
        if target_id is None:
            return None
        ids.add(target_id)  # asked for even when Connect no longer has it
        return by_id.get(target_id)

    previous = follow(contact, "previousContactId")
    follow(previous, "previousContactId")
    follow(previous, "initialContactId")
    follow(follow(contact, "initialContactId"), "initialContactId")
    follow(contact, "relatedContactId")
    return ids
