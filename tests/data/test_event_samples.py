"""AWS's own published contact event samples (tests/data/contact_events, SOURCES.md says
where each is from), posted to a real gateway as published, with only what names the
contact adapted (its IDs, ARNs, account and region, and its moments, so that they tell this
contact's history): every shape is read (`AgentInfo`/`AgentArn`, `instanceARN`, `"Voice"`,
`CustomerVoiceActivity`), and the merged answer is DescribeContact's."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.emulator.world.dataset import DEMO_ACCOUNT_ID, DEMO_REGION, build_dataset
from tests.support import Emulator, Gateway

SAMPLES = Path(__file__).parent / "contact_events"
ARN = f"arn:aws:connect:{DEMO_REGION}:{DEMO_ACCOUNT_ID}:instance/{DEMO_INSTANCE_ID}"

CARRIED = """query($id: ID!) { contact(contactId: $id) {
  id channel initiationMethod initialContactId previousContactId
  initiationTimestamp connectedToSystemTimestamp disconnectTimestamp
  queueInfo { id enqueueTimestamp } agentInfo { id connectedToAgentTimestamp }
  customerVoiceActivity { greetingStartTimestamp greetingEndTimestamp }
} }"""


def _called() -> str:
    """An ended call that went through the system, a queue and an agent, with the
    greeting's voice activity: every member the samples carry."""
    for _, record in build_dataset().contacts():
        agent, queue = record.get("AgentInfo") or {}, record.get("QueueInfo") or {}
        if (
            record["Channel"] == "VOICE"
            and record.get("DisconnectTimestamp")
            and record.get("ConnectedToSystemTimestamp")
            and record.get("CustomerVoiceActivity")
            and agent.get("ConnectedToAgentTimestamp")
            and queue.get("EnqueueTimestamp")
        ):
            return str(record["Id"])
    raise AssertionError("the demo has such a call")


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return loaded


def adapted(event: dict[str, Any], contact: dict[str, Any]) -> dict[str, Any]:
    """`event` naming `contact` (a gateway answer): IDs, ARNs and moments replaced by the
    contact's, member names, casing, nesting, extra members and values' style untouched;
    a link or moment the contact does not have is left out."""
    event = copy.deepcopy(event)
    if "detail" not in event:  # published as a detail alone: in EventBridge's envelope
        event = {
            "version": "0", "id": "e", "detail-type": "Amazon Connect Contact Event",
            "source": "aws.connect", "time": "2021-08-04T17:43:48Z", "resources": [],
            "detail": event,
        }  # fmt: skip
    event |= {"account": DEMO_ACCOUNT_ID, "region": DEMO_REGION}
    detail = event["detail"]
    values = {
        "contactid": contact["id"],
        "initialcontactid": contact["initialContactId"],
        "previouscontactid": contact["previousContactId"],
        "instancearn": ARN,
        "initiationmethod": contact["initiationMethod"],
        "initiationtimestamp": contact["initiationTimestamp"],
        "connectedtosystemtimestamp": contact["connectedToSystemTimestamp"],
        "disconnecttimestamp": contact["disconnectTimestamp"],
    }
    nested = {
        "queueinfo": {
            "queuearn": f"{ARN}/queue/{contact['queueInfo']['id']}",
            "enqueuetimestamp": contact["queueInfo"]["enqueueTimestamp"],
        },
        "agentinfo": {
            "agentarn": f"{ARN}/agent/{contact['agentInfo']['id']}",
            "connectedtoagenttimestamp": contact["agentInfo"]["connectedToAgentTimestamp"],
        },
        "customervoiceactivity": {
            "greetingstarttimestamp": contact["customerVoiceActivity"]["greetingStartTimestamp"],
            "greetingendtimestamp": contact["customerVoiceActivity"]["greetingEndTimestamp"],
        },
    }
    _replace(detail, values)
    for name, inner in detail.items():
        if name.lower() in nested and isinstance(inner, dict):
            _replace(inner, nested[name.lower()])
    if detail["channel" if "channel" in detail else "Channel"] == "Voice":
        assert contact["channel"] == "VOICE"  # the sample's own spelling stays
    return event


def _replace(members: dict[str, Any], values: dict[str, Any]) -> None:
    for name in list(members):
        if name.lower() in values:
            if values[name.lower()] is None:
                del members[name]
            else:
                members[name] = values[name.lower()]


@pytest.fixture
def truth(start_gateway: Callable[..., Gateway]) -> Gateway:
    """A gateway that reads Connect every time: DescribeContact's answer."""
    return start_gateway(response_cache=False, ttl_active_seconds=0, ttl_ended_seconds=0)


@pytest.mark.parametrize(
    "name", sorted(path.name for path in SAMPLES.glob("*.json")), ids=lambda name: name
)
def test_every_published_sample_is_read(
    name: str, start_gateway: Callable[..., Gateway], truth: Gateway, emulator: Emulator
) -> None:
    contact_id = _called()
    contact = truth.query(CARRIED, id=contact_id)["data"]["contact"]
    gateway = start_gateway(events=True)
    event = adapted(sample(name), contact)
    emulator.reset()

    answer = gateway.http.post("/events", json=event)

    assert (answer.status_code, answer.json()) == (202, {"accepted": 1, "ignored": 0})
    merged = gateway.query(CARRIED, id=contact_id)["data"]["contact"]
    assert emulator.calls() == 0, "what the event carried needs no DescribeContact"
    said = _leaves(merged)
    assert said["id"] == contact_id
    assert said["channel"] == "VOICE"
    truth_leaves = _leaves(contact)
    for member, value in said.items():  # what the sample told is DescribeContact's
        assert value == truth_leaves[member], member
    if "agentinfo" in json.dumps(sample(name)).lower():
        assert merged["agentInfo"]["id"] == contact["agentInfo"]["id"]


def _leaves(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The members that are not null, by their paths."""
    out: dict[str, Any] = {}
    for name, item in value.items():
        if isinstance(item, dict):
            out |= _leaves(item, f"{prefix}{name}.")
        elif item is not None:
            out[f"{prefix}{name}"] = item
    return out


def test_a_late_older_event_with_a_later_time_changes_nothing(
    start_gateway: Callable[..., Gateway], truth: Gateway, emulator: Emulator
) -> None:
    contact_id = _called()
    contact = truth.query(CARRIED, id=contact_id)["data"]["contact"]
    gateway = start_gateway(events=True)
    disconnected = adapted(sample("disconnected.json"), contact)
    assert gateway.http.post("/events", json=disconnected).status_code == 202
    # Delivered last, emitted late (EventBridge's `time` an hour after everything): the
    # contact being connected to another agent from another queue, before all the rest.
    late = adapted(sample("disconnected.json"), contact)
    late["time"] = "2099-01-01T00:00:00Z"
    detail = late["detail"]
    detail["eventType"] = "CONNECTED_TO_AGENT"
    for member in ("disconnectTimestamp", "CustomerVoiceActivity", "connectedToSystemTimestamp"):
        del detail[member]
    earlier = contact["initiationTimestamp"]
    detail["queueInfo"] |= {"queueArn": f"{ARN}/queue/q-before", "enqueueTimestamp": earlier}
    detail["AgentInfo"] |= {"AgentArn": f"{ARN}/agent/a-before"}
    detail["AgentInfo"]["connectedToAgentTimestamp"] = earlier
    emulator.reset()

    assert gateway.http.post("/events", json=late).status_code == 202

    merged = gateway.query(CARRIED, id=contact_id)["data"]["contact"]
    assert merged == contact
    assert emulator.calls() == 0


def test_the_published_disconnected_sample_is_not_older_for_its_time() -> None:
    """The reason order is by the contact's own timestamps: AWS's sample was emitted 866 s
    after its latest state timestamp."""
    event = sample("disconnected.json")
    assert event["time"] == "2021-08-04T17:43:48Z"
    assert event["detail"]["CustomerVoiceActivity"]["greetingEndTimestamp"].startswith(
        "2021-08-04T17:29:22"
    )
