"""Contact events as data: what an event of Connect's contact events data model says about
the contact, as DescribeContact's members, and how it merges into a cached record.

Connect publishes events best-effort, at least once and in no order, so the merge gives the
same record whatever the order, however many duplicates, and a record that is at worst
behind, never wrong, when one is lost (docs/events.md has the table):

- an event's place in the contact's history is the latest state timestamp it carries
  (EventBridge's `time`, when it was emitted, only where it carries none);
- once set, a timestamp stays set (Connect only ever sets them);
- identities (channel, initiation method, the links) are set where the record has none;
- what can change back (the queue after a transfer, the agent) follows the later event; a
  tie or an older event changes nothing. A new agent or queue replaces the whole
  structure, so that nothing of the previous one is shown as the new one's;
- what an event newer than the record's DescribeContact changes but does not carry is
  voided in the record's sources (gateway/data/sources.py), to be read again when asked:
  a new agent's accept and ring times, and everything a contact's end settles.

Member names are read case-insensitively (AWS's own samples write `AgentInfo`/`agentInfo`,
`instanceARN`), channel values too; a member the gateway does not know is ignored.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gateway.core.records import Record
from gateway.data.sources import ACW_TOLD, SOURCES, TOLD_BY_COMPLETED

__all__ = [
    "CONTACT_DATA_UPDATED",
    "event_time",
    "folded",
    "merge",
    "partial_record",
    "position",
    "record_of",
]

CONTACT_DATA_UPDATED = "CONTACT_DATA_UPDATED"


_IDENTITIES = {
    "initiationmethod": "InitiationMethod",
    "initialcontactid": "InitialContactId",
    "previouscontactid": "PreviousContactId",
    "relatedcontactid": "RelatedContactId",
}
_SET_ONCE = {
    "initiationtimestamp": "InitiationTimestamp",
    "connectedtosystemtimestamp": "ConnectedToSystemTimestamp",
    "disconnecttimestamp": "DisconnectTimestamp",
}
_CHANNELS = {"voice": "VOICE", "chat": "CHAT", "task": "TASK", "email": "EMAIL"}

_STRUCTURES = (  # (detail member, its ID member, Contact member, {detail sub: Contact sub})
    ("queueinfo", "queuearn", "QueueInfo", {"enqueuetimestamp": "EnqueueTimestamp"}),
    (
        "agentinfo",
        "agentarn",
        "AgentInfo",
        {
            "connectedtoagenttimestamp": "ConnectedToAgentTimestamp",
            "aftercontactworkstarttimestamp": "AfterContactWorkStartTimestamp",
            "aftercontactworkendtimestamp": "AfterContactWorkEndTimestamp",
            "aftercontactworkduration": "AfterContactWorkDuration",
        },
    ),
)
_VOICE = {
    "greetingstarttimestamp": "GreetingStartTimestamp",
    "greetingendtimestamp": "GreetingEndTimestamp",
}
_ENDS = ("DisconnectTimestamp", ("AgentInfo", "AfterContactWorkEndTimestamp"))
"""What a contact's end sets: once an event newer than the read sets one, what the read
said of everything else may have changed with it (after-contact work, disconnect details,
recordings, metrics, LastUpdateTimestamp)."""
_NEW_AGENT_VOIDS = ("AgentInfo", "RingStartTimestamp")
"""What a new agent makes unknown: its accept time, device, hierarchy..., the ring."""


def folded(value: Mapping[str, Any]) -> dict[str, Any]:
    """`value`'s members by their lower-case names (the first of two that fold together)."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(key, str):
            out.setdefault(key.lower(), item)
    return out


def record_of(detail: Mapping[str, Any]) -> Record:
    """The members of DescribeContact's Contact that an event's `detail` (with a contact
    ID) carries; a member that is not what Connect documents is left out."""
    members = folded(detail)
    record: Record = {"Id": members["contactid"]}
    channel = members.get("channel")
    if isinstance(channel, str) and channel:
        record["Channel"] = _CHANNELS.get(channel.lower(), channel.upper())
    for name, member in _IDENTITIES.items():
        value = members.get(name)
        if isinstance(value, str) and value:
            record[member] = value
    for name, member in (_SET_ONCE | {"scheduledtimestamp": "ScheduledTimestamp"}).items():
        stamp = _stamp(members.get(name))
        if stamp is not None:
            record[member] = stamp
    for name, arn, member, subs in _STRUCTURES:
        value = members.get(name)
        if not isinstance(value, Mapping):
            continue
        inner = folded(value)
        if not isinstance(inner.get(arn), str):
            continue
        info: Record = {"Id": _last(inner[arn])}
        for sub, target in subs.items():
            item = inner.get(sub)
            if target.endswith("Duration"):
                if isinstance(item, int) and not isinstance(item, bool):
                    info[target] = item
            elif (stamp := _stamp(item)) is not None:
                info[target] = stamp
        record[member] = info
    voice = members.get("customervoiceactivity")
    if isinstance(voice, Mapping):
        inner = folded(voice)
        greeting = {t: s for n, t in _VOICE.items() if (s := _stamp(inner.get(n))) is not None}
        if greeting:
            record["CustomerVoiceActivity"] = greeting
    return record


def position(carried: Record, sent: str | None) -> str | None:
    """The event's place in the contact's history: the latest state timestamp it carries,
    else when EventBridge says it was emitted."""
    stamps = _stamps(carried)
    if stamps:
        return max(stamps, key=_moment)
    return sent


def merge(record: Record, carried: Record, at: str) -> Record:
    """`record` (a cached record, not changed) with what an event at `at` (its `position`)
    carried merged in."""
    merged = copy.deepcopy(record)
    sources = merged.setdefault(SOURCES, {})
    # When the record was last true as a whole: its read's LastUpdateTimestamp (no event
    # sets that member), or that of a record stored without sources.
    last = record.get("LastUpdateTimestamp")
    # After the read: what the read said may have moved on with this event.
    after_read = isinstance(sources.get("read"), dict) and (
        not isinstance(last, str) or _later(at, last)
    )
    events: dict[str, str] = sources.setdefault("events", {})
    void: set[str] = set(sources.get("void") or ())
    ended = _ended(merged)
    for member in (*_IDENTITIES.values(), "Channel", *_SET_ONCE.values()):
        if member in carried and not merged.get(member):
            merged[member] = carried[member]
    if "ScheduledTimestamp" in carried and _later(at, events.get("ScheduledTimestamp")):
        merged["ScheduledTimestamp"] = carried["ScheduledTimestamp"]  # a task can be rescheduled
        events["ScheduledTimestamp"] = at
    for _, _, member, _ in _STRUCTURES:
        if member not in carried:
            continue
        ours, theirs = merged.get(member), carried[member]
        if isinstance(ours, dict) and ours.get("Id") == theirs["Id"]:
            for sub, value in theirs.items():
                ours.setdefault(sub, value)
            events[member] = _latest(events.get(member), at)
            continue
        since = events.get(member, last if isinstance(ours, dict) else None)
        if ours and not _later(at, since):
            continue  # a tie or an older event: the newer structure stays
        merged[member] = dict(theirs)
        events[member] = at
        if member == "AgentInfo" and after_read:
            void.update(_NEW_AGENT_VOIDS)
    if TOLD_BY_COMPLETED & set(carried.get("AgentInfo", {})):
        # Only COMPLETED tells the after-contact work: until it has, what the record says
        # of it is the read's (DISCONNECTED starts it and does not say so).
        events[ACW_TOLD] = _latest(events.get(ACW_TOLD), at)
    if "CustomerVoiceActivity" in carried:
        voice = merged.setdefault("CustomerVoiceActivity", {})
        for sub, value in carried["CustomerVoiceActivity"].items():
            voice.setdefault(sub, value)
    if after_read and _ended(merged) != ended:
        void.add("*")
    if void:
        sources["void"] = sorted(void)
    return merged


def _ended(record: Record) -> tuple[bool, ...]:
    agent = record.get("AgentInfo") or {}
    return tuple(
        bool(record.get(end)) if isinstance(end, str) else bool(agent.get(end[1])) for end in _ENDS
    )


def partial_record(carried: Record, at: str) -> Record:
    """A record of a contact no one has read yet, from what its first event carried."""
    return merge({"Id": carried["Id"], SOURCES: {}}, carried, at)


def _stamps(record: Record) -> list[str]:
    """Every state timestamp a carried record holds."""
    # Not ScheduledTimestamp: when a task is due, not when anything happened.
    found = [
        v
        for k, v in record.items()
        if k.endswith("Timestamp") and k != "ScheduledTimestamp" and isinstance(v, str)
    ]
    for member in ("QueueInfo", "AgentInfo", "CustomerVoiceActivity"):
        info = record.get(member) or {}
        found += [v for k, v in info.items() if k.endswith("Timestamp") and isinstance(v, str)]
    return found


def _later(at: str, than: str | None) -> bool:
    return than is None or _moment(at) > _moment(than)


def _latest(one: str | None, other: str) -> str:
    return other if _later(other, one) else one  # type: ignore[return-value]


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def event_time(value: object) -> str | None:
    """An EventBridge `time` as a record's timestamp (None when it is not one)."""
    return _stamp(value)


def _stamp(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return _timestamp(value)
    except ValueError:
        return None


def _timestamp(value: str) -> str:
    """ISO-8601 in UTC as records keep them (`...Z`, milliseconds as Connect gives them)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _last(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]
