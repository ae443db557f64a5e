"""Who may post events and subscribe: real API keys (GATEWAY_AUTH=api-key), refusals
before any cache read or upstream call."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import websockets

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.http.auth.keys import new_key
from tests.events import GraphQLWebSocket, contact_event
from tests.support import Emulator, Gateway

UPDATED = "subscription($id: ID!) { contactUpdated(contactId: $id) { id } }"


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, str]:
    """API keys by what they may do."""
    made = {
        "events": new_key("eventbridge", ["events:write"]),
        "reader": new_key("desktop", ["contacts:read", "instance:*"]),
    }
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": [entry for _, entry in made.values()]}))
    return {name: key for name, (key, _) in made.items()} | {"file": str(path)}


@pytest.fixture
def secured(start_gateway: Callable[..., Gateway], keys: dict[str, str]) -> Gateway:
    return start_gateway(auth="api-key", api_keys_file=keys["file"])


def test_posting_events_needs_credentials_and_the_scope(
    secured: Gateway, keys: dict[str, str], emulator: Emulator
) -> None:
    event = contact_event(DEMO_INSTANCE_ID, "c1")

    anonymous = secured.http.post("/events", json=event)
    reader = secured.http.post("/events", json=event, headers={"X-API-Key": keys["reader"]})
    eventbridge = secured.http.post("/events", json=event, headers={"X-API-Key": keys["events"]})

    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert reader.status_code == 403
    assert reader.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert eventbridge.status_code == 202
    assert emulator.stats()["calls"] == {}


@pytest.mark.parametrize(
    ("payload", "code"),
    [({}, 4401), ({"X-API-Key": "wrong"}, 4401), ({"X-API-Key": "events"}, 4403)],
)
async def test_a_subscription_needs_credentials_that_may_read_contacts(
    secured: Gateway, keys: dict[str, str], emulator: Emulator, payload: dict[str, str], code: int
) -> None:
    payload = {name: keys.get(value, value) for name, value in payload.items()}
    async with GraphQLWebSocket.connect(secured.url, payload) as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await socket.receive()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == code
    assert emulator.stats()["calls"] == {}


async def test_a_subscription_with_a_reader_key_is_served(
    secured: Gateway, keys: dict[str, str], emulator: Emulator
) -> None:
    contact_id = next(c["id"] for c in emulator.contacts() if c["instanceId"] == DEMO_INSTANCE_ID)
    async with GraphQLWebSocket.connect(secured.url, {"x-api-key": keys["reader"]}) as socket:
        assert (await socket.receive())["type"] == "connection_ack"
        await socket.subscribe("1", UPDATED, id=contact_id)
        assert (await socket.receive())["payload"]["data"]["contactUpdated"]["id"] == contact_id


async def test_a_subscription_hides_personal_data_without_the_scope(
    secured: Gateway, keys: dict[str, str], emulator: Emulator
) -> None:
    contact_id = next(c["id"] for c in emulator.contacts() if c["instanceId"] == DEMO_INSTANCE_ID)
    query = """subscription($id: ID!) {
      contactUpdated(contactId: $id) { id customerEndpoint { address } }
    }"""
    async with GraphQLWebSocket.connect(secured.url, {"x-api-key": keys["reader"]}) as socket:
        assert (await socket.receive())["type"] == "connection_ack"
        await socket.subscribe("1", query, id=contact_id)
        payload = (await socket.receive())["payload"]
    assert payload["data"]["contactUpdated"] == {"id": contact_id, "customerEndpoint": None}
    assert [e["extensions"]["code"] for e in payload["errors"]] == ["FORBIDDEN"]


def test_a_large_body_is_read_only_for_a_caller_that_may_post_events(
    secured: Gateway, keys: dict[str, str]
) -> None:
    event = contact_event(DEMO_INSTANCE_ID, "c1")
    event["detail"]["attributes"] = {"note": "x" * 200_000}  # over GATEWAY_MAX_BODY_BYTES

    reader = secured.http.post("/events", json=event, headers={"X-API-Key": keys["reader"]})
    eventbridge = secured.http.post("/events", json=event, headers={"X-API-Key": keys["events"]})

    assert reader.status_code == 403
    assert eventbridge.status_code == 202
