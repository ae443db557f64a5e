"""Contact events as data: what an event of Connect's contact events data model says about
the contact, as DescribeContact's members, and how it merges into a cached record.

Connect publishes events best-effort, at least once and in no order, so the merge is
built to give the same record whatever the order, however many duplicates, and a record
that is at worst older, never wrong, when one is lost (docs/events.md has the table):

- once set, a timestamp stays set (Connect only ever sets them: initiated, connected to
  the system, enqueued, connected to an agent, disconnected);
- identities (channel, initiation method, the links) are set where the record has none;
- what can change back (the queue after a transfer, the agent, the tags) follows the
  later event: an event older than the record's `LastUpdateTimestamp` does not move it
  back. A new agent or queue replaces the whole structure, so that nothing of the
  previous one (its device, its hierarchy) is shown as the new one's;
- `LastUpdateTimestamp` is the latest of the record's and the timestamps the event carries.

What an event does not carry (after-contact work, device info, quality metrics...) stays
as it was: absent where Connect has it is "older", and the entry's TTL bounds that.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "CARRIED_MEMBERS",
    "CONTACT_DATA_UPDATED",
    "PARTIAL",
    "event_time",
    "merge",
    "partial_record",
    "record_of",
]

CONTACT_DATA_UPDATED = "CONTACT_DATA_UPDATED"

Record = dict[str, Any]

PARTIAL = "gateway:partial"
"""Set (True) in a record made from events alone: only CARRIED_MEMBERS are known; a
reader of any other member loads the complete record from Connect (once)."""
CARRIED_MEMBERS = frozenset({
    "Id", "Channel", "InitiationMethod", "InitialContactId", "PreviousContactId",
    "RelatedContactId", "InitiationTimestamp", "ConnectedToSystemTimestamp",
    "DisconnectTimestamp", "ScheduledTimestamp", "DisconnectReason", "QueueInfo",
    "AgentInfo", "Tags", "LastUpdateTimestamp",
})  # fmt: skip
"""The members of Contact an event can carry (AgentInfo: its Id and
ConnectedToAgentTimestamp only; QueueInfo whole)."""

_IDENTITIES = {
    "channel": "Channel",
    "initiationMethod": "InitiationMethod",
    "initialContactId": "InitialContactId",
    "previousContactId": "PreviousContactId",
    "relatedContactId": "RelatedContactId",
}
_SET_ONCE = {
    "initiationTimestamp": "InitiationTimestamp",
    "connectedToSystemTimestamp": "ConnectedToSystemTimestamp",
    "disconnectTimestamp": "DisconnectTimestamp",
    "scheduledTimestamp": "ScheduledTimestamp",
    "disconnectReason": "DisconnectReason",
}


_STRUCTURES = (  # (detail member, its ARN, its timestamp, Contact member)
    ("queueInfo", "queueArn", "enqueueTimestamp", "QueueInfo"),
    ("agentInfo", "agentArn", "connectedToAgentTimestamp", "AgentInfo"),
)


def record_of(detail: Mapping[str, Any]) -> Record:
    """The members of DescribeContact's Contact that an event's `detail` carries."""
    record: Record = {"Id": detail["contactId"]}
    for name, member in (_IDENTITIES | _SET_ONCE).items():
        value = detail.get(name)
        if isinstance(value, str) and value:
            record[member] = _timestamp(value) if member.endswith("Timestamp") else value
    for name, arn, stamp, member in _STRUCTURES:
        value = detail.get(name)
        if isinstance(value, Mapping) and isinstance(value.get(arn), str):
            info = {"Id": _last(value[arn])}
            if isinstance(value.get(stamp), str):
                info[stamp[0].upper() + stamp[1:]] = _timestamp(value[stamp])
            record[member] = info
    tags = detail.get("tags")
    if isinstance(tags, Mapping) and all(isinstance(v, str) for v in tags.values()):
        record["Tags"] = dict(tags)
    return record


def merge(record: Record, carried: Record, sent: str) -> Record:
    """`record` (a cached DescribeContact record, not changed) with what an event sent at
    `sent` (EventBridge's `time`, ISO-8601) carried merged in."""
    at = max((sent, *_stamps(carried)), key=_moment)  # to the millisecond where it can
    merged = copy.deepcopy(record)
    for member in (*_IDENTITIES.values(), *_SET_ONCE.values()):
        if member in carried and not merged.get(member):
            merged[member] = carried[member]
    last = record.get("LastUpdateTimestamp")
    newer = not isinstance(last, str) or _moment(at) >= _moment(last)
    for member, stamp in (
        ("QueueInfo", "EnqueueTimestamp"),
        ("AgentInfo", "ConnectedToAgentTimestamp"),
    ):
        if member not in carried:
            continue
        ours, theirs = merged.get(member), carried[member]
        if isinstance(ours, dict) and ours.get("Id") == theirs["Id"]:
            if stamp in theirs and not ours.get(stamp):
                ours[stamp] = theirs[stamp]
        elif newer or not ours:
            merged[member] = dict(theirs)
    if "Tags" in carried and newer:
        merged["Tags"] = dict(carried["Tags"])
    stamps = _stamps(carried)
    if stamps:
        latest = max(stamps, key=_moment)
        last = merged.get("LastUpdateTimestamp")
        if not isinstance(last, str) or _moment(latest) > _moment(last):
            merged["LastUpdateTimestamp"] = latest
    return merged


def _stamps(record: Record) -> list[str]:
    """Every timestamp a carried record holds."""
    # Not ScheduledTimestamp: when a task is due, not when anything happened.
    found = [
        v
        for k, v in record.items()
        if k.endswith("Timestamp") and k != "ScheduledTimestamp" and isinstance(v, str)
    ]
    for member in ("QueueInfo", "AgentInfo"):
        info = record.get(member) or {}
        found += [v for k, v in info.items() if k.endswith("Timestamp") and isinstance(v, str)]
    return found


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def partial_record(carried: Record, sent: str) -> Record:
    """A record of a contact no one has read yet, from what its first event carried."""
    return merge({"Id": carried["Id"], PARTIAL: True}, carried, sent)


def event_time(value: object) -> str | None:
    """An EventBridge `time` as a record's timestamp (None when it is not one)."""
    if not isinstance(value, str):
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
