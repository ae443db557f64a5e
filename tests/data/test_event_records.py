"""Contact events merged into a cached record, and what the record may serve by itself
(gateway/data/sources.py): whatever the order, the duplicates and the losses, every member
served is what DescribeContact showed at or after the read (behind, never wrong); with every
event delivered, every member served is what DescribeContact shows at the end."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.connect.client import to_json
from gateway.data.event_records import event_time, merge, partial_record, position, record_of
from gateway.data.sources import CARRIED, SOURCES, answerable, with_read
from gateway.emulator.world.dataset import build_dataset
from gateway.emulator.world.events import (
    COMPLETED,
    CONNECTED_TO_AGENT,
    DISCONNECTED,
    INITIATED,
    QUEUED,
    contact_event,
)

_DATASET = build_dataset()


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
    connected["AgentInfo"]["AcceptedByAgentTimestamp"] = agent["ConnectedToAgentTimestamp"]
    connected["RingStartTimestamp"] = agent["ConnectedToAgentTimestamp"]
    disconnected = copy.deepcopy(connected)
    disconnected |= {
        "DisconnectTimestamp": final["DisconnectTimestamp"],
        "DisconnectReason": final.get("DisconnectReason", "CUSTOMER_DISCONNECT"),
        "LastUpdateTimestamp": final["DisconnectTimestamp"],
    }
    disconnected["AgentInfo"]["AfterContactWorkStartTimestamp"] = final["DisconnectTimestamp"]
    completed = copy.deepcopy(disconnected)
    end = agent.get("AfterContactWorkEndTimestamp") or final["DisconnectTimestamp"]
    completed["AgentInfo"] |= {
        "AfterContactWorkEndTimestamp": end,
        "AfterContactWorkDuration": int((end - final["DisconnectTimestamp"]).total_seconds()),
    }
    completed["LastUpdateTimestamp"] = end
    states = [initiated, queued, connected, disconnected, completed]
    types = [INITIATED, QUEUED, CONNECTED_TO_AGENT, DISCONNECTED, COMPLETED]
    events = [
        contact_event(instance, state, kind, _moment(state["LastUpdateTimestamp"]))
        for state, kind in zip(states, types, strict=True)
    ]
    return [to_json(state) for state in states], events


def _moment(value: Any) -> datetime:
    assert isinstance(value, datetime)
    return value


STATES, EVENTS = _steps()


def served(record: dict[str, Any]) -> dict[str, Any]:
    """The members the record answers by itself (the others cost a DescribeContact)."""
    subset = answerable(record, now=1.0)
    plain = {k: v for k, v in record.items() if k != SOURCES}
    if subset is None:
        return plain
    out = {}
    for name, only in subset.members:
        if name in plain:
            value = plain[name]
            out[name] = value if only is None else {k: value[k] for k in only if k in value}
    return out


def _merged(record: dict[str, Any] | None, delivered: list[int]) -> dict[str, Any] | None:
    for n in delivered:
        event = EVENTS[n]
        carried = record_of(event["detail"])
        at = position(carried, event_time(event["time"]))
        assert at is not None
        record = partial_record(carried, at) if record is None else merge(record, carried, at)
    return record


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(range(len(EVENTS))), max_size=14),
    st.sampled_from([None, *range(len(STATES))]),
)
def test_any_order_duplicates_and_losses_serve_nothing_wrong(
    delivered: list[int], read_at: int | None
) -> None:
    # What the desktop's first read cached (fresh for a minute), or nothing yet.
    first = None if read_at is None else with_read(STATES[read_at], at=0.0, ttl=60.0)
    record = _merged(first, delivered)
    if record is None:
        return
    since = STATES[read_at or 0 :]
    final = STATES[-1]
    for member, value in served(record).items():
        if isinstance(value, dict):
            for sub, item in value.items():
                seen = [(state.get(member) or {}).get(sub) for state in since]
                assert item in seen, (member, sub, item)
        else:
            assert value in [state.get(member) for state in since], (member, value)
    if set(delivered) >= set(range(len(EVENTS))):
        for member, value in served(record).items():
            if isinstance(value, dict):
                for sub, item in value.items():
                    assert item == final[member].get(sub), (member, sub)
            else:
                assert value == final.get(member), member
        for member in CARRIED:
            assert member in served(record) or member not in final, member


def test_a_merge_never_refreshes_what_it_does_not_carry() -> None:
    read = with_read(STATES[2], at=0.0, ttl=60.0)  # connected, read at 0
    record = _merged(read, [3])  # DISCONNECTED
    assert record is not None
    assert record[SOURCES]["read"]["at"] == 0.0, "the read's moment stays"
    shown = served(record)
    assert "LastUpdateTimestamp" not in shown, "what the end settles is read again"
    assert "DisconnectReason" not in shown
    assert shown["DisconnectTimestamp"] == STATES[3]["DisconnectTimestamp"]


def test_a_new_agent_voids_what_the_read_said_of_the_agent() -> None:
    read = with_read(STATES[1], at=0.0, ttl=60.0)  # queued
    record = _merged(read, [2])  # CONNECTED_TO_AGENT
    assert record is not None
    shown = served(record)
    assert "RingStartTimestamp" not in shown
    assert set(shown["AgentInfo"]) == {"Id", "ConnectedToAgentTimestamp"}
    assert shown["LastUpdateTimestamp"] == STATES[1]["LastUpdateTimestamp"], "within its TTL"


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
