"""Where each member of a cached contact came from, and whether it may still be served.

A cached contact is DescribeContact's record with its sources beside it (`SOURCES`, a
member Connect never has):

- `read`: the DescribeContact that read it, `{"at": clock seconds, "ttl": seconds, "last":
  its LastUpdateTimestamp}`; absent for a contact known from its events alone;
- `events`: for each member an event set or confirmed, the event's place in the contact's
  history (the latest state timestamp it carried);
- `void`: members of the read that a later event made unknown (`"*"`: all of them), e.g.
  a new agent's accept and ring times, or what a contact's end settles.

A member is served from the record while its own source is fresh (docs/events.md):
- a member events carry (`CARRIED`), while the entry is fresh (every merge renews it: the
  events keep these members true, and the entry's TTL bounds a lost event);
- any other member, within the TTL of the DescribeContact that read it, counted from that
  read and never renewed by a merge, unless an event since voided it.
Anything else comes from a new DescribeContact (one for every replica).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.connect.model import model
from gateway.core.records import Record

__all__ = [
    "ACW_TOLD",
    "CARRIED",
    "SOURCES",
    "Subset",
    "answerable",
    "complete",
    "read_fresh_for",
    "with_read",
]


SOURCES = "gateway:sources"

CARRIED: Mapping[str, frozenset[str] | None] = {
    "Id": None,
    "Channel": None,
    "InitiationMethod": None,
    "InitialContactId": None,
    "PreviousContactId": None,
    "RelatedContactId": None,
    "InitiationTimestamp": None,
    "ConnectedToSystemTimestamp": None,
    "DisconnectTimestamp": None,
    "ScheduledTimestamp": None,
    "QueueInfo": None,
    "AgentInfo": frozenset({
        "Id", "ConnectedToAgentTimestamp", "AfterContactWorkStartTimestamp",
        "AfterContactWorkEndTimestamp", "AfterContactWorkDuration",
    }),
    "CustomerVoiceActivity": None,
}  # fmt: skip
"""The members of Contact that contact events carry (None: the whole structure; a set:
only these of its members). Not LastUpdateTimestamp: Connect updates it for changes no
event announces, so it cannot be derived from events. Not DisconnectReason or Tags: no
documented event carries them."""


ACW_TOLD = "AgentInfo.AfterContactWork"
"""In `events`: an event (COMPLETED) told the after-contact work. Until one has, the
after-contact work members are the read's: DISCONNECTED starts it without saying so."""
_TOLD_BY_COMPLETED = frozenset({
    "AfterContactWorkStartTimestamp", "AfterContactWorkEndTimestamp", "AfterContactWorkDuration"
})  # fmt: skip


@dataclass(frozen=True)
class Subset:
    """Members of a shape a record answers by itself: `members` maps each to its own
    subset (None: all of it). The API turns it into a summary shape."""

    members: frozenset[tuple[str, frozenset[str] | None]]

    def get(self, name: str) -> tuple[bool, frozenset[str] | None]:
        for member, sub in self.members:
            if member == name:
                return True, sub
        return False, None


def with_read(record: Record, at: float, ttl: float) -> Record:
    """`record`, as DescribeContact answered it at `at` (fresh for `ttl`), with its source."""
    read = {"at": at, "ttl": ttl, "last": record.get("LastUpdateTimestamp")}
    return record | {SOURCES: {"read": read}}


def _read(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    sources = record.get(SOURCES)
    if not isinstance(sources, Mapping):
        # A record without sources is a DescribeContact record stored before them: it is
        # as fresh as its entry.
        return {}
    read = sources.get("read")
    return read if isinstance(read, Mapping) else None


def _void(record: Mapping[str, Any]) -> list[str]:
    sources = record.get(SOURCES)
    void = sources.get("void") if isinstance(sources, Mapping) else None
    return list(void) if isinstance(void, list) else []


def read_fresh_for(record: Mapping[str, Any], now: float) -> float | None:
    """Seconds the read's members stay fresh (None: there is no read, or it is stale; an
    empty mapping of sources: unlimited, the entry decides)."""
    read = _read(record)
    if read is None:
        return None
    if not read:
        return float("inf")
    left = float(read["ttl"]) - (now - float(read["at"]))
    return left if left >= 0 else None


def complete(record: Mapping[str, Any], now: float) -> bool:
    """Every member of the record may be served (its read is fresh and nothing voided)."""
    return read_fresh_for(record, now) is not None and not _void(record)


def answerable(record: Mapping[str, Any], now: float) -> Subset | None:
    """The members the record answers now; None when it answers every member."""
    if complete(record, now):
        return None
    void = _void(record)
    sources = record.get(SOURCES)
    events = sources.get("events") if isinstance(sources, Mapping) else None
    told = isinstance(events, Mapping) and ACW_TOLD in events
    if read_fresh_for(record, now) is None or "*" in void:
        return _carried(told)
    return _read_less(frozenset(void), told)


@functools.cache
def _carried(told: bool) -> Subset:
    return Subset(frozenset((name, _told(name, told)) for name in CARRIED))


def _told(name: str, told: bool) -> frozenset[str] | None:
    only = CARRIED[name]
    return only if only is None or told else only - _TOLD_BY_COMPLETED


@functools.cache
def _read_less(void: frozenset[str], told: bool) -> Subset:
    """Every member but the voided ones, of which only what events carry."""
    members: list[tuple[str, frozenset[str] | None]] = []
    for name in model().shape_for("Contact").members:
        if name not in void:
            members.append((name, None))
        elif name in CARRIED:
            members.append((name, _told(name, told)))
    return Subset(frozenset(members))
