"""Contact events merged into a cached record: whatever the order, the duplicates and the
losses, every member is what DescribeContact shows at the end, or what it showed at some
earlier step of the contact (older, never wrong); with every event delivered, each member
an event carries is what DescribeContact shows."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.connect.client import to_json
from gateway.data.event_records import event_time, merge, record_of
from gateway.emulator.dataset import build_dataset
from gateway.emulator.events import (
    COMPLETED,
    CONNECTED_TO_AGENT,
    DISCONNECTED,
    INITIATED,
    QUEUED,
    contact_event,
)

_DATASET = build_dataset()
_CARRIED = (
    "Channel", "InitiationMethod", "InitialContactId", "PreviousContactId",
    "RelatedContactId", "InitiationTimestamp", "DisconnectTimestamp", "DisconnectReason",
    "QueueInfo", "LastUpdateTimestamp",
)  # fmt: skip


def _ended_with_agent() -> tuple[Any, dict[str, Any]]:
    for instance, record in _DATASET.contacts():
        info = record.get("AgentInfo") or {}
        queued = (record.get("QueueInfo") or {}).get("EnqueueTimestamp")
        if record.get("DisconnectTimestamp") and info.get("ConnectedToAgentTimestamp") and queued:
            return instance, record
    raise AssertionError("the demo has an ended contact connected to an agent")


def _steps() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The contact's states as DescribeContact showed them (JSON), and the event each
    step announced."""
    instance, final = _ended_with_agent()
    agent, queue = final["AgentInfo"], final["QueueInfo"]
    initiated = {
        k: v
        for k, v in final.items()
        if k not in ("AgentInfo", "DisconnectTimestamp", "DisconnectReason")
    }
    initiated["QueueInfo"] = {"Id": queue["Id"]}
    initiated["LastUpdateTimestamp"] = max(
        final["InitiationTimestamp"],
        final.get("ConnectedToSystemTimestamp") or final["InitiationTimestamp"],
    )
    queued = copy.deepcopy(initiated)
    queued["QueueInfo"] = dict(queue)
    queued["LastUpdateTimestamp"] = queue["EnqueueTimestamp"]
    connected = copy.deepcopy(queued)
    connected["AgentInfo"] = {
        "Id": agent["Id"], "ConnectedToAgentTimestamp": agent["ConnectedToAgentTimestamp"]
    }  # fmt: skip
    connected["LastUpdateTimestamp"] = agent["ConnectedToAgentTimestamp"]
    disconnected = copy.deepcopy(connected)
    disconnected |= {
        "DisconnectTimestamp": final["DisconnectTimestamp"],
        "DisconnectReason": final.get("DisconnectReason", "CUSTOMER_DISCONNECT"),
        "LastUpdateTimestamp": final["DisconnectTimestamp"],
    }
    states = [initiated, queued, connected, disconnected]
    types = [INITIATED, QUEUED, CONNECTED_TO_AGENT, DISCONNECTED]
    events = [
        contact_event(instance, state, kind, _moment(state["LastUpdateTimestamp"]))
        for state, kind in zip(states, types, strict=True)
    ]
    events.append(contact_event(instance, disconnected, COMPLETED, final["DisconnectTimestamp"]))
    return [to_json(state) for state in states], events


def _moment(value: Any) -> datetime:
    assert isinstance(value, datetime)
    return value


STATES, EVENTS = _steps()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(range(len(EVENTS))), max_size=12), st.sampled_from(range(4)))
def test_any_order_duplicates_and_losses_give_an_older_never_wrong_record(
    delivered: list[int], read_at: int
) -> None:
    record = STATES[read_at]  # what the desktop's first read cached
    for n in delivered:
        event = EVENTS[n]
        sent = event_time(event["time"])
        assert sent is not None
        record = merge(record, record_of(event["detail"]), sent)
    final = STATES[-1]
    for member, value in record.items():
        seen = [state.get(member) for state in STATES]
        assert value == final.get(member) or value in seen, (member, value)
    if set(delivered) >= set(range(len(EVENTS))):
        for member in _CARRIED:
            assert record.get(member) == final.get(member), member
        assert record["AgentInfo"]["Id"] == final["AgentInfo"]["Id"]


def test_a_new_agent_replaces_the_whole_agent_info() -> None:
    record = {"Id": "c", "AgentInfo": {"Id": "a1", "DeviceInfo": {"PlatformName": "x"}}}
    carried = {
        "Id": "c",
        "AgentInfo": {"Id": "a2", "ConnectedToAgentTimestamp": "2026-01-01T00:00:00Z"},
    }
    merged = merge(record, carried, "2026-01-01T00:00:00Z")
    assert merged["AgentInfo"] == carried["AgentInfo"], "nothing of a1 shown as a2's"
    assert record["AgentInfo"]["Id"] == "a1", "the cached record is not changed"


def test_an_older_event_does_not_move_the_queue_back() -> None:
    record = {
        "Id": "c",
        "QueueInfo": {"Id": "q2", "EnqueueTimestamp": "2026-01-01T00:05:00Z"},
        "LastUpdateTimestamp": "2026-01-01T00:05:00Z",
    }
    late = {"Id": "c", "QueueInfo": {"Id": "q1", "EnqueueTimestamp": "2026-01-01T00:01:00Z"}}
    assert merge(record, late, "2026-01-01T00:01:00Z")["QueueInfo"]["Id"] == "q2"
