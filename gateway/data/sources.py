"""Where each member of a cached contact came from, and whether it may still be served.

A cached contact is DescribeContact's record with its sources beside it (`SOURCES`, a
member Connect never has):

- `read`: the DescribeContact that read it, `{"at": clock seconds, "ttl": seconds}`;
  absent for a contact known from its events alone (the record's LastUpdateTimestamp is
  the read's: no event sets it);
- `events`: for the members whose order decides (the queue, the agent, the scheduled
  time), the place in the contact's history of the event that set them, and `ACW_TOLD`
  once COMPLETED told the after-contact work;
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

import copy
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
    "TOLD_BY_COMPLETED",
    "Subset",
    "answerable",
    "complete",
    "fresh_for",
    "with_read",
    "with_written",
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
TOLD_BY_COMPLETED = frozenset({
    "AfterContactWorkStartTimestamp", "AfterContactWorkEndTimestamp", "AfterContactWorkDuration"
})  # fmt: skip
"""AgentInfo's members only COMPLETED carries."""


@dataclass(frozen=True)
class Subset:
    """Members of a shape a record answers by itself: `members` maps each to its own
    subset (None: all of it). The API turns it into a summary shape."""

    members: frozenset[tuple[str, frozenset[str] | None]]


def with_written(record: Mapping[str, Any], written: Mapping[str, Any]) -> Record:
    """`record` (not changed) with what a write set: each member its new value (None:
    removed), as true as the record's read, and LastUpdateTimestamp voided (Connect
    stamps it with the write's time, which the write does not answer)."""
    merged = copy.deepcopy(dict(record))
    for name, value in written.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = copy.deepcopy(value)
    sources = merged.setdefault(SOURCES, {})
    void = set(sources.get("void") or ())
    sources["void"] = sorted(void | {"LastUpdateTimestamp"})
    return merged


def with_read(record: Record, at: float, ttl: float) -> Record:
    """`record`, as DescribeContact answered it at `at` (fresh for `ttl`), with its source."""
    return record | {SOURCES: {"read": {"at": at, "ttl": ttl}}}


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


def _read_fresh_for(record: Mapping[str, Any], now: float) -> float | None:
    """Seconds the read's members stay fresh (None: there is no read, or it is stale; an
    empty mapping of sources: unlimited, the entry decides)."""
    read = _read(record)
    if read is None:
        return None
    if not read:
        return float("inf")
    left = float(read["ttl"]) - (now - float(read["at"]))
    return left if left >= 0 else None


def fresh_for(record: Mapping[str, Any], now: float) -> float | None:
    """Seconds every member of the record stays servable: its read is fresh and nothing
    voided (None: not now)."""
    return None if _void(record) else _read_fresh_for(record, now)


def complete(record: Mapping[str, Any], now: float) -> bool:
    """Every member of the record may be served (its read is fresh and nothing voided)."""
    return fresh_for(record, now) is not None


def answerable(record: Mapping[str, Any], now: float) -> Subset | None:
    """The members the record answers now; None when it answers every member."""
    read = _read_fresh_for(record, now)
    void = _void(record)
    if read is not None and not void:
        return None
    sources = record.get(SOURCES)
    events = sources.get("events") if isinstance(sources, Mapping) else None
    told = isinstance(events, Mapping) and ACW_TOLD in events
    if read is None or "*" in void:
        return _carried(told)
    return _read_less(frozenset(void), told)


@functools.cache
def _carried(told: bool) -> Subset:
    return Subset(frozenset((name, _told(name, told)) for name in CARRIED))


def _told(name: str, told: bool) -> frozenset[str] | None:
    only = CARRIED[name]
    return only if only is None or told else only - TOLD_BY_COMPLETED


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
