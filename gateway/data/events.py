"""Contact events in (gateway/http/events.py is the endpoint): what an EventBridge API
destination sends (one event, or a JSON array of them), read and applied. What an event
carries updates the cached contact (gateway/data/event_records.py, docs/events.md); only
what it cannot carry is invalidated, in every replica, by the kinds' own rules
(gateway/data/kinds.py): the contact's search rows and its chain's tree, and for
CONTACT_DATA_UPDATED what `updatedProperties` names. Connect publishes events best-effort
and unordered: the merge makes order and duplicates not matter, and a lost event leaves
the data behind (never wrong) until its TTL ends.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from gateway.core.errors import BadUserInput
from gateway.core.settings import instance_id_of
from gateway.data.event_records import (
    CONTACT_DATA_UPDATED,
    event_time,
    folded,
    merge,
    partial_record,
    position,
    record_of,
)
from gateway.data.invalidation import Change, Invalidations, tag
from gateway.data.kinds import KINDS, NAMED

__all__ = ["CONTACT_EVENT", "MAX_EVENTS", "ContactEvent", "apply", "judge", "parse"]

CONTACT_EVENT = "Amazon Connect Contact Event"
MAX_EVENTS = 100
_MAX_ID = 256
_LINKS = ("initialContactId", "previousContactId", "relatedContactId")
_EVERYTHING = frozenset({"UserDefinedAttributes", "References", "Contact"})
"""What a CONTACT_DATA_UPDATED naming nothing may have changed: all of the contact's data."""


@dataclass(frozen=True)
class ContactEvent:
    instance_id: str
    contact_id: str
    links: tuple[str, ...]  # the initial, previous and related contacts it names
    initial_contact_id: str | None = None
    event_type: str = CONTACT_DATA_UPDATED
    sent: str | None = None  # EventBridge's `time`
    carried: dict[str, Any] = field(default_factory=dict)  # as DescribeContact's members
    updated: tuple[str, ...] | None = None  # CONTACT_DATA_UPDATED's updatedProperties

    @functools.cached_property
    def at(self) -> str | None:
        """Its place in the contact's history (event_records.position)."""
        return position(self.carried, self.sent)

    @property
    def mergeable(self) -> bool:
        """A state event: what it says of the contact merges into the cached record."""
        return self.event_type != CONTACT_DATA_UPDATED and self.at is not None

    def tags(self) -> list[str]:
        """Everything this event may have changed (the contact included)."""
        return [tag("contact", self.instance_id, self.contact_id), *self.dropped()]

    def dropped(self) -> list[str]:
        """What it changed and cannot carry, by the kinds' own rules (gateway/data/kinds.py):
        the contact's search rows, and each kind the event invalidates, for the contacts
        of its scope (the contact; its chain's initial one; every contact it links)."""
        instance, contact = self.instance_id, self.contact_id
        scopes = {
            "contact": (contact,),
            "chain": tuple(c for c in (contact, self.initial_contact_id) if c),
            "tree": (contact, *self.links),
        }
        updated = None if self.mergeable else frozenset(self.updated or ()) or _EVERYTHING
        tags = [tag("search", instance, contact)]
        for kind in KINDS.values():
            if kind.dropped_by(updated, NAMED):
                tags += [kind.tag(instance, c) for c in scopes[kind.scope]]
        return tags

    def merge_into(self, record: dict[str, Any]) -> dict[str, Any]:
        assert self.at is not None
        return merge(record, self.carried, self.at)

    def first_record(self) -> dict[str, Any]:
        """The contact as this event alone says it (no DescribeContact read yet)."""
        assert self.at is not None
        return partial_record(self.carried, self.at)


async def apply(
    events: list[ContactEvent], invalidations: Invalidations, store: Any, echoes: Any = None
) -> None:
    """Merges what the events carry into the cached records, then publishes one change:
    what they cannot carry is dropped (shared entries too), what was merged is stored (and
    new here already), a contact with nothing cached to merge into is stored as is (its
    copies elsewhere may be older). A CONTACT_DATA_UPDATED that is the echo of a write the
    gateway merged (`echoes`, gateway/data/writes.py) drops nothing."""
    if echoes is not None:
        events = [event for event in events if not await _echo(event, echoes)]
    merged, unmerged = [], []
    for event in events:
        if event.mergeable:
            contact = tag("contact", event.instance_id, event.contact_id)
            # Whichever of its events comes first makes the record, the others merge
            # into it in their places: INITIATED may well come last.
            first = event.first_record
            if await store.merge(event.instance_id, event.contact_id, event.merge_into, first):
                merged.append(contact)
            else:  # nothing cached to merge into: invalidated (also a fetch in flight)
                unmerged.append(contact)
    dropped = [item for event in events for item in event.dropped()]
    await invalidations.publish(
        Change.of(dropped=dropped, stored=[*merged, *unmerged], here=merged)
    )


async def _echo(event: ContactEvent, echoes: Any) -> bool:
    if event.event_type != CONTACT_DATA_UPDATED or not event.updated:
        return False
    # Attributes are the chain's: their echoes are counted under its initial contact.
    chained = set(event.updated) <= {"UserDefinedAttributes"}
    key = (event.initial_contact_id or event.contact_id) if chained else event.contact_id
    return bool(await echoes.consume(event.instance_id, key, event.updated))


def parse(body: object, accounts: frozenset[str] | None = None) -> list[ContactEvent]:
    """The contact events in an EventBridge body, each from one of `accounts` when given
    (the AWS accounts of the gateway's instances); BadUserInput naming the first problem."""
    events, refused = judge(body, accounts)
    if refused:
        raise refused[0]
    return events


def judge(
    body: object, accounts: frozenset[str] | None = None
) -> tuple[list[ContactEvent], list[BadUserInput]]:
    """The contact events of an EventBridge body, and why each other one is refused: only
    an event that cannot be tied to a contact of an instance it may speak for. A member
    the gateway does not know, or cannot read, is ignored.

    Only named members are read, never walked: a deeply nested body cannot recurse here."""
    items = body if isinstance(body, list) else [body]
    if not 1 <= len(items) <= MAX_EVENTS:
        raise BadUserInput(f"POST /events takes 1 to {MAX_EVENTS} events (got {len(items)})")
    events, refused = [], []
    for n, item in enumerate(items):
        try:
            events.append(
                _event(item, f"events[{n}]" if isinstance(body, list) else "event", accounts)
            )
        except BadUserInput as error:
            refused.append(error)
    return events, refused


def _event(item: object, where: str, accounts: frozenset[str] | None) -> ContactEvent:
    if not isinstance(item, dict):
        raise BadUserInput(f"{where} must be an EventBridge event (a JSON object)")
    if item.get("detail-type") != CONTACT_EVENT:
        raise BadUserInput(f'{where}["detail-type"] must be "{CONTACT_EVENT}"')
    raw = item.get("detail")
    if not isinstance(raw, dict):
        raise BadUserInput(f"{where}.detail must be an object")
    detail = folded(raw)  # AWS's own samples write instanceArn and instanceARN
    arn = _arn(detail.get("instancearn"))
    if arn is None:
        raise BadUserInput(f"{where}.detail.instanceArn must be a Connect instance ARN")
    region, owner, instance = arn
    _check_origin(item, where, region, owner, accounts)
    contact = _id(detail.get("contactid"))
    if contact is None:
        raise BadUserInput(
            f"{where}.detail.contactId must be a contact ID (1 to {_MAX_ID} characters)"
        )
    links = {name: _id(detail.get(name.lower())) for name in _LINKS}
    updated = detail.get("updatedproperties")
    event_type = detail.get("eventtype")
    return ContactEvent(
        instance,
        contact,
        tuple(value for value in links.values() if value is not None),
        links["initialContactId"],
        event_type if isinstance(event_type, str) else CONTACT_DATA_UPDATED,
        event_time(item.get("time")),
        record_of(raw),
        tuple(p for p in updated if isinstance(p, str)) if isinstance(updated, list) else None,
    )


def _arn(value: object) -> tuple[str, str, str] | None:
    """(region, account, instance ID) of a Connect instance ARN; None for anything else,
    a bare instance ID included."""
    if not isinstance(value, str) or ":" not in value:
        return None
    try:
        instance = instance_id_of(value)  # the ARN's syntax is settings' to say
    except ValueError:
        return None
    region, account = value.strip().split(":")[3:5]
    return region, account, instance


def _check_origin(
    item: dict[str, Any], where: str, region: str, owner: str, accounts: frozenset[str] | None
) -> None:
    # EventBridge sets `account` and `region` to where the event happened: an instance ARN
    # of another account or region is a forged or misrouted event.
    if item.get("account") != owner:
        raise BadUserInput(f"{where}.account must be the account of its detail.instanceArn")
    if item.get("region") != region:
        raise BadUserInput(f"{where}.region must be the region of its detail.instanceArn")
    if accounts is not None and owner not in accounts:
        raise BadUserInput(
            f"{where}.detail.instanceArn names another AWS account than this gateway's instances"
        )


def _id(value: object) -> str | None:
    """A contact ID, or None for anything else (absent, not a string, too long...)."""
    if not isinstance(value, str) or not 1 <= len(value) <= _MAX_ID or not value.isprintable():
        return None
    return value
