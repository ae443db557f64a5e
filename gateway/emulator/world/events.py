"""Contact events as Amazon Connect publishes them to EventBridge.

Each is EventBridge's envelope (version "0", id, detail-type "Amazon Connect Contact
Event", source "aws.connect", account, time, region, resources: the contact's ARN) around
a `detail` in Connect's contact events data model: eventType, contactId, channel,
instanceArn, initiationMethod, the links (initialContactId, previousContactId,
relatedContactId, present as DescribeContact has them), the timestamps so far, queueInfo
and agentInfo (COMPLETED's with the after-contact work), customerVoiceActivity, the
disconnect reason once there is one, tags, and for CONTACT_DATA_UPDATED the
`updatedProperties`. Its `time` is when Connect emitted it: the whole second after the
state it tells (EventBridge's `time` has no fraction; the sender's knobs make it later).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from gateway.emulator.world.dataset import Instance

__all__ = [
    "COMPLETED",
    "CONNECTED_TO_AGENT",
    "CONNECTED_TO_SYSTEM",
    "CONTACT_DATA_UPDATED",
    "DETAIL_TYPE",
    "DISCONNECTED",
    "INITIATED",
    "QUEUED",
    "contact_event",
]

DETAIL_TYPE = "Amazon Connect Contact Event"
INITIATED = "INITIATED"
CONNECTED_TO_SYSTEM = "CONNECTED_TO_SYSTEM"
QUEUED = "QUEUED"
CONNECTED_TO_AGENT = "CONNECTED_TO_AGENT"
DISCONNECTED = "DISCONNECTED"
COMPLETED = "COMPLETED"
CONTACT_DATA_UPDATED = "CONTACT_DATA_UPDATED"

_LINKS = {
    "InitialContactId": "initialContactId",
    "PreviousContactId": "previousContactId",
    "RelatedContactId": "relatedContactId",
}
_TIMESTAMPS = {
    "InitiationTimestamp": "initiationTimestamp",
    "ConnectedToSystemTimestamp": "connectedToSystemTimestamp",
    "DisconnectTimestamp": "disconnectTimestamp",
    "ScheduledTimestamp": "scheduledTimestamp",
}


def contact_event(
    instance: Instance,
    record: Mapping[str, Any],
    event_type: str,
    at: datetime,
    updated: Sequence[str] = (),
) -> dict[str, Any]:
    """The EventBridge event Connect publishes when `record` has `event_type` at `at`."""
    detail: dict[str, Any] = {
        "eventType": event_type,
        "contactId": record["Id"],
        "channel": record["Channel"],
        "instanceArn": instance.arn,
        "initiationMethod": record["InitiationMethod"],
    }
    detail |= {name: record[member] for member, name in _LINKS.items() if member in record}
    detail |= {
        name: _iso(record[member]) for member, name in _TIMESTAMPS.items() if member in record
    }
    if "QueueInfo" in record:
        detail["queueInfo"] = _queue_info(instance, record["QueueInfo"])
    if "AgentInfo" in record:
        detail["agentInfo"] = _agent_info(instance, record["AgentInfo"], event_type)
    voice = record.get("CustomerVoiceActivity") or {}
    if voice:
        detail["customerVoiceActivity"] = {
            name[0].lower() + name[1:]: _iso(value) for name, value in voice.items()
        }
    if "DisconnectReason" in record:
        detail["disconnectReason"] = record["DisconnectReason"]
    if record.get("Tags"):
        detail["tags"] = dict(record["Tags"])
    if event_type == CONTACT_DATA_UPDATED:
        detail["updatedProperties"] = list(updated)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": "aws.connect",
        "account": instance.account,
        "time": _emitted(at),
        "region": instance.region,
        "resources": [record["Arn"]],
        "detail": detail,
    }


def _queue_info(instance: Instance, info: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "queueArn": f"{instance.arn}/queue/{info['Id']}",
        "queueType": "STANDARD",
    }
    if "EnqueueTimestamp" in info:
        out["enqueueTimestamp"] = _iso(info["EnqueueTimestamp"])
    return out


def _agent_info(instance: Instance, info: Mapping[str, Any], event_type: str) -> dict[str, Any]:
    out: dict[str, Any] = {"agentArn": f"{instance.arn}/agent/{info['Id']}"}
    if "ConnectedToAgentTimestamp" in info:
        out["connectedToAgentTimestamp"] = _iso(info["ConnectedToAgentTimestamp"])
    if event_type == COMPLETED:  # the after-contact work, as Connect's COMPLETED tells it
        for member in ("AfterContactWorkStartTimestamp", "AfterContactWorkEndTimestamp"):
            if member in info:
                out[member[0].lower() + member[1:]] = _iso(info[member])
        if "AfterContactWorkDuration" in info:
            out["afterContactWorkDuration"] = info["AfterContactWorkDuration"]
    return out


def _emitted(at: datetime) -> str:
    """EventBridge's `time` of an event emitted once the state at `at` was reached."""
    whole = at.replace(microsecond=0)
    return (whole if whole == at else whole + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
