"""Contact events posted to a real receiving server: envelope, knobs, timeline, retries."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gateway.emulator import DEMO_INSTANCE_ID, EventKnobs
from gateway.emulator.world.dataset import DEMO_ACCOUNT_ID, DEMO_REGION
from tests import web
from tests.emulator.conftest import connect_client
from tests.emulator.receiver import Receiver, receiving


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


def ended_contact(url: str) -> dict[str, Any]:
    contacts = web.get(f"{url}/_emulator/contacts").json()["contacts"]
    return next(c for c in contacts if c["disconnected"] and c["initialContactId"])


def events_stats(url: str) -> dict[str, int]:
    return web.get(f"{url}/_emulator/stats").json()["events"]  # type: ignore[no-any-return]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_update_contact_posts_contact_data_updated(
    serve: Callable[..., str], receiver: Receiver
) -> None:
    url = serve(events_url=receiver.url, events_api_key="secret-key")
    contact = ended_contact(url)
    connect_client(url).update_contact(
        InstanceId=DEMO_INSTANCE_ID, ContactId=contact["id"], Name="n", Description="d"
    )
    [(key, event)] = receiver.take_with_keys(1)
    assert key == "secret-key"
    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert event["version"] == "0"
    assert event["detail-type"] == "Amazon Connect Contact Event"
    assert event["source"] == "aws.connect"
    assert event["account"] == DEMO_ACCOUNT_ID
    assert event["region"] == DEMO_REGION
    assert event["resources"] == [contact["arn"]]
    assert event["time"].endswith("Z")
    detail = event["detail"]
    assert detail["eventType"] == "CONTACT_DATA_UPDATED"
    assert detail["updatedProperties"] == ["Name", "Description"]
    assert detail["contactId"] == contact["id"]
    assert detail["initialContactId"] == contact["initialContactId"]
    assert detail.get("previousContactId") == contact["previousContactId"]
    assert detail["channel"] == contact["channel"]
    assert detail["initiationMethod"] == contact["initiationMethod"]
    assert detail["instanceArn"] == contact["arn"].split("/contact/")[0]
    assert detail["disconnectTimestamp"] == contact["disconnectTimestamp"]
    # The sender counts a POST once its answer is back, just after the receiver has it.
    wait_for(lambda: events_stats(url)["sent"] == 1)


def test_update_contact_attributes_posts_one_event_per_contact_of_the_chain(
    serve: Callable[..., str], receiver: Receiver
) -> None:
    url = serve(events_url=receiver.url)
    contact = ended_contact(url)
    initial = contact["initialContactId"]
    contacts = web.get(f"{url}/_emulator/contacts").json()["contacts"]
    chain = {c["id"] for c in contacts if initial in (c["id"], c["initialContactId"])}
    connect_client(url).update_contact_attributes(
        InstanceId=DEMO_INSTANCE_ID, InitialContactId=initial, Attributes={"a": "b"}
    )
    events = receiver.take(len(chain))
    assert {event["detail"]["contactId"] for event in events} == chain
    for event in events:
        assert event["detail"]["eventType"] == "CONTACT_DATA_UPDATED"
        assert event["detail"]["updatedProperties"] == ["UserDefinedAttributes"]
        assert event["detail"].get("initialContactId", event["detail"]["contactId"]) == initial
    assert receiver.nothing_more(0.3)


_ORDER = [
    "INITIATED", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED",
    "COMPLETED",
]  # fmt: skip


def test_timeline_moves_a_new_contact_through_its_states(
    serve: Callable[..., str], receiver: Receiver
) -> None:
    url = serve(events_url=receiver.url, clock="wall", time_scale=2000)
    started = web.post(f"{url}/_emulator/contacts", json={"channel": "VOICE"})
    assert started.status_code == 201
    contact_id = started.json()["id"]
    mine: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while len(mine) < 6:
        assert time.monotonic() < deadline, mine
        event = receiver.take(1)[0]
        if event["detail"]["contactId"] == contact_id:
            mine.append(event)
    mine.sort(key=lambda event: _ORDER.index(event["detail"]["eventType"]))  # 4 senders
    states = [event["detail"]["eventType"] for event in mine]
    assert states == [
        "INITIATED", "CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED",
        "COMPLETED",
    ]  # fmt: skip
    assert "connectedToSystemTimestamp" in mine[1]["detail"]
    assert "queueInfo" in mine[2]["detail"]
    assert "connectedToAgentTimestamp" in mine[3]["detail"]["agentInfo"]
    assert "disconnectTimestamp" in mine[4]["detail"]
    record = connect_client(url).describe_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact_id)
    contact = record["Contact"]
    assert contact["DisconnectReason"] == "CUSTOMER_DISCONNECT"
    agent = contact["AgentInfo"]
    assert agent["AfterContactWorkEndTimestamp"] > contact["DisconnectTimestamp"]
    # Connected live, the agent has what a seeded contact's has.
    assert agent["HierarchyGroups"]["Level1"]["Arn"]
    assert agent["DeviceInfo"]["PlatformName"]
    # COMPLETED tells the after-contact work, as Connect documents it.
    completed = mine[5]["detail"]["agentInfo"]
    assert completed["afterContactWorkDuration"] == agent["AfterContactWorkDuration"]
    end = completed["afterContactWorkEndTimestamp"]
    assert (
        end == agent["AfterContactWorkEndTimestamp"].isoformat(timespec="milliseconds")[:23] + "Z"
    )
    # EventBridge's `time` is when it was emitted: never before the state it tells.
    for event in mine:
        stamps = [v for k, v in event["detail"].items() if k.endswith("Timestamp")]
        assert all(event["time"] >= stamp[:19] + "Z" for stamp in stamps)
    # The history has each version DescribeContact answered.
    versions = web.get(f"{url}/_emulator/history?contactId={contact_id}").json()["versions"]
    assert len(versions) == 6
    assert "DisconnectTimestamp" not in versions[3]["contact"]
    assert versions[-1]["contact"]["AgentInfo"]["AfterContactWorkEndTimestamp"] == end


def test_timeline_finishes_the_active_demo_contacts(
    serve: Callable[..., str], receiver: Receiver
) -> None:
    url = serve(events_url=receiver.url, clock="wall", time_scale=5000)

    def active() -> int:
        """Active contacts but API tasks, some scheduled up to 20 hours ahead."""
        rows = web.get(f"{url}/_emulator/contacts").json()["contacts"]
        return sum(not row["disconnected"] and row["initiationMethod"] != "API" for row in rows)

    wait_for(lambda: active() == 0, timeout=60)
    kinds: Counter[str] = Counter()

    def completed() -> bool:
        """Every disconnected contact's after-contact work ended too (a moment later: on a
        busy machine, after the last disconnect was seen)."""
        taken = receiver.take(receiver.events.qsize())
        kinds.update(event["detail"]["eventType"] for event in taken)
        stats = events_stats(url)
        posts = stats["published"] - stats["dropped"] + stats["duplicated"]
        # Every post done (none queued, none in flight at a sender), then every one taken.
        done = stats["pending"] == 0 and stats["sent"] + stats["failed"] >= posts
        return done and receiver.events.empty() and kinds["COMPLETED"] >= kinds["DISCONNECTED"]

    wait_for(completed, timeout=60)
    assert kinds["DISCONNECTED"] >= 5, kinds


def test_a_fixed_clock_moves_nothing(serve: Callable[..., str], receiver: Receiver) -> None:
    url = serve(events_url=receiver.url)
    web.post(f"{url}/_emulator/contacts", json={"channel": "CHAT"}).raise_for_status()
    assert receiver.take(1)[0]["detail"]["eventType"] == "INITIATED"
    assert receiver.nothing_more(0.5)


def test_drop_and_duplicate_knobs(serve: Callable[..., str], receiver: Receiver) -> None:
    url = serve(events_url=receiver.url, events=EventKnobs(drop=1.0))
    connect = connect_client(url)
    contact = ended_contact(url)
    for _ in range(5):
        connect.update_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact["id"], Name="x")
    assert receiver.nothing_more(0.3)
    assert events_stats(url) | {"pending": 0} == {
        "published": 5,
        "sent": 0,
        "dropped": 5,
        "duplicated": 0,
        "reordered": 0,
        "retried": 0,
        "failed": 0,
        "pending": 0,
    }
    knobs = web.post(f"{url}/_emulator/events", json={"drop": 0, "duplicate": 1})
    assert knobs.json() == {
        "url": receiver.url,
        "apiKey": False,
        "drop": 0.0,
        "duplicate": 1.0,
        "delayMs": 0.0,
        "jitterMs": 0.0,
        "reorder": 0.0,
        "holdMs": 2000.0,
        "lateMs": 0.0,
    }
    connect.update_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact["id"], Name="y")
    first, second = receiver.take(2)
    assert first == second
    wait_for(lambda: events_stats(url)["sent"] == 2)
    assert events_stats(url)["duplicated"] == 1


def test_delay_knob(serve: Callable[..., str], receiver: Receiver) -> None:
    url = serve(events_url=receiver.url)
    web.post(f"{url}/_emulator/events", json={"delayMs": 400}).raise_for_status()
    contact = ended_contact(url)
    sent = time.monotonic()
    connect = connect_client(url)
    connect.update_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact["id"], Name="x")
    receiver.take(1)
    assert time.monotonic() - sent >= 0.4


def test_failed_posts_are_retried_then_dropped_and_counted(
    serve: Callable[..., str], receiver: Receiver
) -> None:
    url = serve(events_url=receiver.url)
    connect = connect_client(url)
    contact = ended_contact(url)
    receiver.failures = 2
    connect.update_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact["id"], Name="x")
    receiver.take(1)
    wait_for(lambda: events_stats(url)["sent"] == 1)
    assert events_stats(url)["retried"] == 2
    receiver.failures = 100
    connect.update_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact["id"], Name="y")
    wait_for(lambda: events_stats(url)["failed"] == 1)
    assert receiver.attempts == 3 + 4
    receiver.failures, receiver.status = 1, 401
    connect.update_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact["id"], Name="z")
    wait_for(lambda: events_stats(url)["failed"] == 2)
    assert receiver.attempts == 3 + 4 + 1  # refused: not retried


def test_events_endpoint_refuses_nonsense(serve: Callable[..., str]) -> None:
    url = serve()
    for body in ({"drop": 2}, {"delayMs": -1}, {"speed": 1}, {"url": "ftp://x"}, [1]):
        response = web.post(f"{url}/_emulator/events", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]
    assert web.post(f"{url}/_emulator/contacts", json={"channel": "FAX"}).status_code == 400


def test_without_a_url_events_are_only_counted(serve: Callable[..., str]) -> None:
    url = serve()
    connect_client(url).update_contact(
        InstanceId=DEMO_INSTANCE_ID, ContactId=ended_contact(url)["id"], Name="x"
    )
    assert events_stats(url)["published"] == 1
    assert events_stats(url)["sent"] == 0
