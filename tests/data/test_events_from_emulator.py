"""End to end: the emulator changes contacts (UpdateContact, UpdateContactAttributes through
real boto3) and posts the contact events Connect would to one of two real gateways on
Redis; the change is seen through the other."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import pytest

from gateway.core.settings import Settings
from gateway.emulator import DEMO_INSTANCE_ID, EmulatorOptions, create_emulator_app
from gateway.http.servers import ServerThread
from tests.chains import deepest, demo_contacts
from tests.conftest import REDIS_URL
from tests.data.test_events import until
from tests.events import GraphQLWebSocket
from tests.support import Emulator, Gateway, running_gateway

NAME = "query($id: ID!) { contact(contactId: $id) { id name } }"
ATTRIBUTES = "query($id: ID!) { contact(contactId: $id) { id attributes { key value } } }"
UPDATED = "subscription($id: ID!) { contactUpdated(contactId: $id) { id name } }"

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def own_emulator() -> Iterator[Emulator]:
    """An emulator of this module's own: these tests change its contacts."""
    with ServerThread(create_emulator_app(EmulatorOptions())) as server:
        client = Emulator(server.url)
        yield client
        client.http.close()


@pytest.fixture
def connect(own_emulator: Emulator) -> Any:
    return boto3.client(
        "connect", endpoint_url=own_emulator.url, region_name="us-east-1",
        aws_access_key_id="emulator", aws_secret_access_key="emulator",
    )  # fmt: skip


@pytest.fixture
def replicas(
    own_emulator: Emulator, redis_namespace: str
) -> Iterator[Callable[..., list[Gateway]]]:
    """`replicas(**settings)`: two gateways on one Redis namespace, the emulator posting
    its events to the first."""
    with ExitStack() as stack:

        def start(**overrides: Any) -> list[Gateway]:
            values: dict[str, Any] = {
                "instance_id": DEMO_INSTANCE_ID,
                "connect_endpoint_url": own_emulator.url,
                "cache_url": REDIS_URL,
                "cache_namespace": redis_namespace,
                "connect_max_attempts": 1,
                "quota_rate": None,
                "auth": "none",
                "events": True,
            } | overrides
            pair = [stack.enter_context(running_gateway(Settings(**values))) for _ in range(2)]
            own_emulator.http.post(
                "/_emulator/events", json={"url": f"{pair[0].url}/events"}
            ).raise_for_status()
            own_emulator.reset()
            return pair

        yield start
        own_emulator.http.post(
            "/_emulator/events", json={"url": None, "drop": 0}
        ).raise_for_status()


def events_sent(emulator: Emulator) -> int:
    return int(emulator.http.get("/_emulator/stats").json()["events"]["sent"])


def ended_contacts(emulator: Emulator) -> list[dict[str, Any]]:
    return [c for c in demo_contacts(emulator.contacts()).values() if c["disconnected"]]


def test_an_update_is_visible_through_the_other_replica_within_a_second(
    replicas: Callable[..., list[Gateway]], own_emulator: Emulator, connect: Any
) -> None:
    first, second = replicas()
    contact_id = ended_contacts(own_emulator)[0]["id"]
    second.query(NAME, id=contact_id)
    first.query(NAME, id=contact_id)
    assert own_emulator.calls() == 1
    name = f"renamed-{uuid.uuid4().hex[:8]}"

    connect.update_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact_id, Name=name)

    def renamed() -> bool:
        return bool(second.query(NAME, id=contact_id)["data"]["contact"]["name"] == name)

    until(renamed, seconds=1.0)
    assert first.query(NAME, id=contact_id)["data"]["contact"]["name"] == name
    assert own_emulator.calls() == 2  # the first read, and one after the event


def test_new_attributes_are_visible_for_every_contact_of_the_chain(
    replicas: Callable[..., list[Gateway]], own_emulator: Emulator, connect: Any
) -> None:
    _, second = replicas()
    chain = deepest(own_emulator.contacts())
    for contact in chain:
        second.query(ATTRIBUTES, id=contact["id"])
    assert own_emulator.calls("GetContactAttributes") == 1
    value = uuid.uuid4().hex[:8]

    connect.update_contact_attributes(
        InstanceId=DEMO_INSTANCE_ID,
        InitialContactId=chain[0]["id"],
        Attributes={"freshness": value},
    )

    def has(contact_id: str) -> bool:
        attributes = second.query(ATTRIBUTES, id=contact_id)["data"]["contact"]["attributes"]
        return {"key": "freshness", "value": value} in attributes

    # One event per contact of the chain (Connect's way); a read between two of them
    # would cost a call more, so the check starts once they are all in.
    took = until(lambda: events_sent(own_emulator) == len(chain), seconds=1.0)
    took += until(lambda: has(chain[-1]["id"]), seconds=1.0 - took)
    assert all(has(contact["id"]) for contact in chain)
    assert own_emulator.calls("GetContactAttributes") == 2


def test_a_dropped_event_leaves_the_contact_stale_at_most_its_ttl(
    replicas: Callable[..., list[Gateway]], own_emulator: Emulator, connect: Any
) -> None:
    ttl = 3.0
    _, second = replicas(ttl_ended_seconds=ttl, stale_while_revalidate_seconds=0)
    own_emulator.http.post("/_emulator/events", json={"drop": 1}).raise_for_status()
    contact_id = ended_contacts(own_emulator)[1]["id"]
    before = second.query(NAME, id=contact_id)["data"]["contact"]["name"]
    name = f"renamed-{uuid.uuid4().hex[:8]}"

    connect.update_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact_id, Name=name)

    assert second.query(NAME, id=contact_id)["data"]["contact"]["name"] == before
    took = until(
        lambda: second.query(NAME, id=contact_id)["data"]["contact"]["name"] == name,
        seconds=ttl + 30,
    )
    assert took <= ttl + 1.0


async def test_a_subscriber_is_pushed_an_update_that_reached_the_other_replica(
    replicas: Callable[..., list[Gateway]], own_emulator: Emulator, connect: Any
) -> None:
    _, second = replicas()
    contact_id = ended_contacts(own_emulator)[2]["id"]
    name = f"renamed-{uuid.uuid4().hex[:8]}"
    async with GraphQLWebSocket.connect(second.url) as socket:
        assert (await socket.receive())["type"] == "connection_ack"
        await socket.subscribe("1", UPDATED, id=contact_id)
        assert (await socket.receive())["payload"]["data"]["contactUpdated"]["id"] == contact_id

        connect.update_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact_id, Name=name)

        pushed = await socket.receive(seconds=10)
        assert pushed["payload"]["data"]["contactUpdated"]["name"] == name
