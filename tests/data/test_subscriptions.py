"""Per-caller limits on subscriptions and websockets: one caller cannot take every slot of
the process (real gateway, real graphql-transport-ws clients, two API keys)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import websockets

from gateway.data.subscriptions import Subscriptions, TooManySubscriptions
from gateway.http.auth.keys import new_key
from tests.chains import demo_contacts
from tests.events import GraphQLWebSocket
from tests.support import Emulator, Gateway

UPDATED = "subscription($id: ID!) { contactUpdated(contactId: $id) { id } }"
SCOPES = ["contacts:read", "instance:*"]


def _keys(path: Path, *names: str) -> dict[str, str]:
    keys, entries = {}, []
    for name in names:
        key, entry = new_key(name, SCOPES)
        keys[name] = key
        entries.append(entry)
    path.write_text(json.dumps({"keys": entries}))
    return keys


@pytest.fixture
def contact_id(emulator: Emulator) -> str:
    return next(iter(demo_contacts(emulator.contacts())))


async def test_one_caller_cannot_hold_every_subscription(
    start_gateway: Callable[..., Gateway], tmp_path: Path, contact_id: str
) -> None:
    keys = _keys(tmp_path / "keys.json", "greedy", "other")
    gateway = start_gateway(
        auth="api-key",
        api_keys_file=tmp_path / "keys.json",
        max_subscriptions=10,
        max_subscriptions_per_caller=2,
        max_subscriptions_per_connection=5,
    )
    greedy = {"X-API-Key": keys["greedy"]}
    async with (
        GraphQLWebSocket.connect(gateway.url, greedy) as socket,
        GraphQLWebSocket.connect(gateway.url, {"X-API-Key": keys["other"]}) as other,
    ):
        assert (await socket.receive())["type"] == "connection_ack"
        assert (await other.receive())["type"] == "connection_ack"
        for n in ("1", "2"):
            await socket.subscribe(n, UPDATED, id=contact_id)
            assert (await socket.receive())["type"] == "next"
        await socket.subscribe("3", UPDATED, id=contact_id)
        refused = await socket.receive()
        errors = refused["payload"]["errors"] if refused["type"] == "next" else refused["payload"]
        assert errors[0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        assert "GATEWAY_MAX_SUBSCRIPTIONS_PER_CALLER" in errors[0]["message"]

        await other.subscribe("1", UPDATED, id=contact_id)
        assert (await other.receive())["type"] == "next"

        # A slot given back is the caller's again.
        await socket.send({"type": "complete", "id": "1"})
        await socket.subscribe("4", UPDATED, id=contact_id)
        answer = await socket.receive()
        while answer.get("id") != "4":  # the refused one's complete, among others
            answer = await socket.receive()
        assert answer["type"] == "next"
        assert "errors" not in answer["payload"]


async def test_one_caller_cannot_open_every_websocket(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    keys = _keys(tmp_path / "keys.json", "greedy", "other")
    gateway = start_gateway(
        auth="api-key", api_keys_file=tmp_path / "keys.json", max_websockets_per_caller=2
    )
    greedy = {"X-API-Key": keys["greedy"]}
    async with (
        GraphQLWebSocket.connect(gateway.url, greedy) as one,
        GraphQLWebSocket.connect(gateway.url, greedy) as two,
    ):
        for socket in (one, two):
            assert (await socket.receive())["type"] == "connection_ack"
        async with GraphQLWebSocket.connect(gateway.url, greedy) as three:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await three.receive()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4429
        async with GraphQLWebSocket.connect(gateway.url, {"X-API-Key": keys["other"]}) as other:
            assert (await other.receive())["type"] == "connection_ack"
    # Closed connections give their places back.
    async with GraphQLWebSocket.connect(gateway.url, greedy) as again:
        assert (await again.receive())["type"] == "connection_ack"


def test_counts_are_given_back_when_a_watch_ends() -> None:
    subscriptions = Subscriptions(limit=3, per_caller=1)
    with subscriptions.watch(["contact:i:a"], "key:a"):
        with pytest.raises(TooManySubscriptions), subscriptions.watch(["contact:i:b"], "key:a"):
            pass
        with subscriptions.watch(["contact:i:b"], "key:b"):
            assert len(subscriptions) == 2
    with subscriptions.watch(["contact:i:c"], "key:a"):
        assert len(subscriptions) == 1
