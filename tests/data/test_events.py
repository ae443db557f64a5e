"""Contact events: POST /events invalidates what an event names in every replica (real
gateways on real Redis, the emulator counting upstream calls), and subscriptions over a
real graphql-transport-ws client are pushed what another replica heard."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.core.settings import EVENTS_TTL_ENDED_SECONDS, Settings
from gateway.emulator import DEMO_INSTANCE_ID
from tests import web
from tests.chains import deepest, demo_contacts
from tests.events import GraphQLWebSocket, contact_event
from tests.support import Emulator, Gateway

CONTACT = "query($id: ID!) { contact(contactId: $id) { id channel disconnectTimestamp } }"
ATTRIBUTES = "query($id: ID!) { contact(contactId: $id) { id attributes { key value } } }"
UPDATED = "subscription($id: ID!) { contactUpdated(contactId: $id) { id channel } }"
FOREIGN_INSTANCE = "0f0f0f0f-0000-4000-8000-000000000000"


@pytest.fixture
def replicas(
    start_gateway: Callable[..., Gateway], redis_namespace: str, shared_url: str
) -> list[Gateway]:
    """Two gateways sharing one Redis namespace, each with its own memory and response
    cache: replicas of one deployment."""
    settings = {"cache_url": shared_url, "cache_namespace": redis_namespace, "events": True}
    return [start_gateway(**settings), start_gateway(**settings)]


def post(gateway: Gateway, body: Any, **headers: str) -> httpx.Response:
    return gateway.http.post("/events", json=body, headers=headers)


def until(condition: Callable[[], bool], seconds: float) -> float:
    """Polls `condition` until it holds; the seconds it took (fails after `seconds`)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "not within the deadline"
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.mark.redis
def test_an_event_at_one_replica_refreshes_the_contact_at_the_other(
    replicas: list[Gateway], emulator: Emulator, ended: str
) -> None:
    first, second = replicas
    assert second.query(CONTACT, id=ended)["data"]["contact"]["id"] == ended
    first.query(CONTACT, id=ended)
    second.query(CONTACT, id=ended)  # now from its response cache
    assert emulator.calls() == 1

    answer = post(first, contact_event(DEMO_INSTANCE_ID, ended))

    assert (answer.status_code, answer.json()) == (202, {"accepted": 1, "ignored": 0})
    until(lambda: second.query(CONTACT, id=ended) and emulator.calls() == 2, seconds=1.0)
    first.query(CONTACT, id=ended)
    second.query(CONTACT, id=ended)
    assert emulator.calls() == 2  # one DescribeContact for both replicas


@pytest.mark.redis
def test_an_attributes_event_refreshes_the_attributes_of_every_contact_of_the_chain(
    replicas: list[Gateway], emulator: Emulator
) -> None:
    first, second = replicas
    chain = deepest(emulator.contacts())
    assert len(chain) >= 2
    for contact in chain:
        assert second.query(ATTRIBUTES, id=contact["id"])["data"]["contact"]["attributes"]
    assert emulator.calls("GetContactAttributes") == 1  # kept by the initial contact

    last = chain[-1]
    event = contact_event(DEMO_INSTANCE_ID, last["id"], initialContactId=chain[0]["id"])
    assert post(first, event).status_code == 202

    def refreshed() -> bool:
        second.query(ATTRIBUTES, id=chain[0]["id"])
        return emulator.calls("GetContactAttributes") == 2

    until(refreshed, seconds=1.0)
    for contact in chain:
        second.query(ATTRIBUTES, id=contact["id"])
        first.query(ATTRIBUTES, id=contact["id"])
    assert emulator.calls("GetContactAttributes") == 2


def test_duplicates_cost_one_call_and_foreign_instances_are_ignored(
    gateway: Gateway, emulator: Emulator, ended: str
) -> None:
    gateway.query(CONTACT, id=ended)
    event = contact_event(DEMO_INSTANCE_ID, ended)
    foreign = contact_event(FOREIGN_INSTANCE, ended)

    answer = post(gateway, [event, event, foreign])

    assert (answer.status_code, answer.json()) == (202, {"accepted": 2, "ignored": 1})
    gateway.query(CONTACT, id=ended)
    gateway.query(CONTACT, id=ended)
    assert emulator.calls() == 2
    metrics = gateway.http.get("/metrics").text
    assert 'gateway_contact_events_total{outcome="accepted"} 2.0' in metrics
    assert 'gateway_contact_events_total{outcome="foreign_instance"} 1.0' in metrics
    assert 'gateway_invalidations_total{kind="contact"} 1.0' in metrics


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"detail-type": "EC2 Instance State-change Notification", "detail": {}}, "detail-type"),
        ({"detail-type": "Amazon Connect Contact Event"}, "detail must be an object"),
        (
            {"detail-type": "Amazon Connect Contact Event", "detail": {"contactId": "c"}},
            "instanceArn",
        ),
        ([contact_event(DEMO_INSTANCE_ID, "")], "events[0].detail.contactId"),
        ([], "1 to 100 events"),
        ("an event", "JSON object"),
    ],
)
def test_malformed_events_are_refused_with_bad_user_input(
    gateway: Gateway, emulator: Emulator, body: Any, message: str
) -> None:
    answer = post(gateway, body)

    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]
    assert emulator.stats()["calls"] == {}


def test_events_are_json_and_bounded(gateway: Gateway) -> None:
    wrong_type = gateway.http.post("/events", content=b"{}", headers={"content-type": "text/plain"})
    not_json = gateway.http.post(
        "/events", content=b"{", headers={"content-type": "application/json"}
    )
    huge = gateway.http.post(
        "/events", content=b" " * (1024 * 1024 + 1), headers={"content-type": "application/json"}
    )

    assert wrong_type.status_code == 415
    assert not_json.status_code == 400
    assert huge.status_code == 413
    assert gateway.http.get("/events").status_code == 405


def test_events_on_makes_ended_contacts_long_lived_unless_told_otherwise() -> None:
    assert Settings(events=True).ttl_ended_seconds == EVENTS_TTL_ENDED_SECONDS
    assert Settings(events=True, ttl_ended_seconds=60).ttl_ended_seconds == 60
    assert Settings().ttl_ended_seconds == 900


@pytest.mark.redis
async def test_a_subscriber_at_one_replica_is_pushed_an_event_heard_by_the_other(
    replicas: list[Gateway], emulator: Emulator, ended: str
) -> None:
    first, second = replicas
    async with GraphQLWebSocket.connect(second.url) as socket:
        assert (await socket.receive())["type"] == "connection_ack"
        await socket.subscribe("1", UPDATED, id=ended)
        now = await socket.receive()
        assert now["payload"]["data"]["contactUpdated"]["id"] == ended
        assert emulator.calls() == 1

        async with web.AsyncClient(base_url=first.url) as client:
            answer = await client.post("/events", json=contact_event(DEMO_INSTANCE_ID, ended))
        assert answer.status_code == 202

        pushed = await socket.receive(seconds=10)
        assert (pushed["type"], pushed["id"]) == ("next", "1")
        assert pushed["payload"]["data"]["contactUpdated"]["id"] == ended
        assert emulator.calls() == 2
        await socket.send({"type": "complete", "id": "1"})


async def test_subscriptions_are_limited_per_connection_and_per_process(
    start_gateway: Callable[..., Gateway], ended: str
) -> None:
    gateway = start_gateway(max_subscriptions_per_connection=1, max_subscriptions=2)
    async with (
        GraphQLWebSocket.connect(gateway.url) as one,
        GraphQLWebSocket.connect(gateway.url) as two,
    ):
        for socket in (one, two):
            assert (await socket.receive())["type"] == "connection_ack"
        await one.subscribe("1", UPDATED, id=ended)
        assert (await one.receive())["type"] == "next"
        await one.subscribe("2", UPDATED, id=ended)
        refused = await one.receive()
        assert (refused["type"], refused["id"]) == ("error", "2")
        assert "limit" in refused["payload"][0]["message"]

        await two.subscribe("1", UPDATED, id=ended)
        assert (await two.receive())["type"] == "next"
        async with GraphQLWebSocket.connect(gateway.url) as three:
            assert (await three.receive())["type"] == "connection_ack"
            await three.subscribe("1", UPDATED, id=ended)
            full = await three.receive()
            assert full["type"] in ("next", "error")
            errors = full["payload"]["errors"] if full["type"] == "next" else full["payload"]
            assert errors[0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"


async def test_a_subscription_checks_its_arguments_before_any_upstream_call(
    gateway: Gateway, emulator: Emulator
) -> None:
    async with GraphQLWebSocket.connect(gateway.url) as socket:
        assert (await socket.receive())["type"] == "connection_ack"
        await socket.subscribe(
            "1",
            "subscription($id: ID!) { contactUpdated(contactId: $id, instanceId: "
            f'"{FOREIGN_INSTANCE}") {{ id }} }}',
            id="c1",
        )
        answer = await socket.receive()
    errors = answer["payload"]["errors"] if answer["type"] == "next" else answer["payload"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert emulator.stats()["calls"] == {}
    await asyncio.sleep(0)


STATE = "query($id: ID!) { contact(contactId: $id) { id disconnectTimestamp } }"
SETTLED = """query($id: ID!) {
  contact(contactId: $id) { id disconnectTimestamp disconnectReason lastUpdateTimestamp }
}"""


def test_a_member_the_gateway_cannot_read_is_ignored_not_refused(
    gateway: Gateway, emulator: Emulator
) -> None:
    event = contact_event(DEMO_INSTANCE_ID, "c", initialContactId=7, AgentInfo="an agent")
    event["detail"]["disconnectTimestamp"] = "not a time"

    answer = post(gateway, event)

    assert (answer.status_code, answer.json()) == (202, {"accepted": 1, "ignored": 0})


@pytest.mark.redis
def test_a_state_event_updates_the_contact_in_every_replica_without_a_call(
    replicas: list[Gateway], emulator: Emulator
) -> None:
    active = next(
        c["id"] for c in demo_contacts(emulator.contacts()).values() if not c["disconnected"]
    )
    for gateway in replicas:
        assert gateway.query(SETTLED, id=active)["data"]["contact"]["disconnectTimestamp"] is None
    assert emulator.calls() == 1
    event = contact_event(
        DEMO_INSTANCE_ID,
        active,
        "DISCONNECTED",
        disconnectTimestamp="2099-11-25T20:00:00.250Z",
        disconnectReason="CUSTOMER_DISCONNECT",
    )

    assert post(replicas[0], event).status_code == 202

    for gateway in replicas:
        contact = gateway.query(STATE, id=active)["data"]["contact"]
        assert contact["disconnectTimestamp"].startswith("2099-11-25T20:00:00.25")
    assert emulator.calls() == 1, "merged, not fetched again"
    post(replicas[1], event)  # a duplicate changes nothing
    assert replicas[0].query(STATE, id=active)["data"]["contact"]["disconnectTimestamp"]
    assert emulator.calls() == 1

    # What the end settles and no event carries (the reason, the last update) is not
    # shown from before it: one DescribeContact, for both replicas.
    for gateway in replicas:
        assert "errors" not in gateway.query(SETTLED, id=active)
    assert emulator.calls() == 2


@pytest.mark.redis
def test_an_attributes_update_drops_the_attributes_not_the_contact(
    replicas: list[Gateway], emulator: Emulator, ended: str
) -> None:
    first, second = replicas
    first.query(ATTRIBUTES, id=ended)
    emulator.reset()
    event = contact_event(DEMO_INSTANCE_ID, ended, updatedProperties=["UserDefinedAttributes"])

    assert post(first, event).status_code == 202

    second.query(ATTRIBUTES, id=ended)
    assert emulator.calls("DescribeContact") == 0
    assert emulator.calls("GetContactAttributes") == 1


DESKTOP = """query($id: ID!) {
  contact(contactId: $id) {
    id channel initiationTimestamp disconnectTimestamp
    agentInfo { id connectedToAgentTimestamp } queueInfo { id enqueueTimestamp }
  }
}"""


@pytest.mark.redis
def test_a_contact_first_heard_of_in_an_event_costs_no_call_for_what_events_carry(
    replicas: list[Gateway], emulator: Emulator
) -> None:
    active = next(c for c in demo_contacts(emulator.contacts()).values() if not c["disconnected"])
    emulator.reset()
    initiated = contact_event(
        DEMO_INSTANCE_ID,
        active["id"],
        "INITIATED",
        initiationTimestamp="2099-11-25T19:59:58.100Z",
    )
    initiated["detail"]["queueInfo"] = {
        "queueArn": f"{initiated['detail']['instanceArn']}/queue/q-1",
        "enqueueTimestamp": "2099-11-25T19:59:59.200Z",
    }

    assert post(replicas[0], initiated).status_code == 202

    for gateway in replicas:
        contact = gateway.query(DESKTOP, id=active["id"])["data"]["contact"]
        assert contact["id"] == active["id"]
        assert contact["channel"] == "VOICE"
        assert contact["initiationTimestamp"].startswith("2099-11-25T19:59:58.1")
        assert contact["queueInfo"] == {
            "id": "q-1",
            "enqueueTimestamp": contact["queueInfo"]["enqueueTimestamp"],
        }
        assert contact["agentInfo"] is None
    assert emulator.calls() == 0, "everything asked, the event carried"

    # A member no event carries loads Connect's record, once for all replicas.
    for gateway in replicas:
        answer = gateway.query(
            "query($id: ID!) { contact(contactId: $id) { id systemEndpoint { type } } }",
            id=active["id"],
        )
        assert "errors" not in answer
    assert emulator.calls() == 1
