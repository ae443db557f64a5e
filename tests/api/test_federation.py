"""The gateway as a Federation v2 subgraph (GATEWAY_FEDERATION=on), through real gateways
and boto3 against the emulator: `_service { sdl }`, `_entities` by each key, through the
same loaders (N representations of one contact: one DescribeContact; warm: none), scopes
per representation, cost, audit and the response cache. tests/api/test_supergraph.py
composes it with real federation tools."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.api.schema import create_schema
from gateway.emulator import DEMO_INSTANCE_ID, SECOND_INSTANCE_ID
from gateway.http.auth.keys import new_key
from tests.chains import demo_contacts
from tests.support import Emulator, Gateway

SUBGRAPH = Path(__file__).resolve().parents[2] / "schema" / "subgraph.graphql"

ENTITIES = """query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Contact { id arn instanceId channel }
    ... on Agent { agentId: id arn instanceId }
    ... on Queue { queueId queueArn instanceId name }
  }
}"""


@pytest.fixture
def federated(start_gateway: Callable[..., Gateway]) -> Gateway:
    return start_gateway(federation=True)


def _entities(gateway: Gateway, representations: list[Any], **headers: str) -> dict[str, Any]:
    body = {"query": ENTITIES, "variables": {"representations": representations}}
    response = gateway.http.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _codes(answer: dict[str, Any]) -> dict[int, str]:
    return {e["path"][1]: e["extensions"]["code"] for e in answer.get("errors", [])}


def test_without_federation_the_schema_has_no_federation_fields(gateway: Gateway) -> None:
    answer = gateway.query("{ _service { sdl } }")
    assert "Cannot query field '_service'" in answer["errors"][0]["message"]
    assert "_entities" not in create_schema().as_str()
    assert "@key" not in create_schema().as_str()


def test_the_subgraph_sdl_is_the_committed_one_with_its_link_and_keys(federated: Gateway) -> None:
    sdl = federated.query("{ _service { sdl } }")["data"]["_service"]["sdl"]
    assert sdl + "\n" == SUBGRAPH.read_text(), "run: connect-gateway export-schema --federation"
    assert '@link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key"])' in sdl
    assert 'type Contact @key(fields: "arn", resolvable: true) @key(fields: "id instanceId"' in sdl
    assert 'type Queue @key(fields: "queueArn", resolvable: true) @key(fields: "queueId' in sdl


def test_a_hundred_representations_of_ten_contacts_cost_ten_calls_cold_none_warm(
    federated: Gateway, emulator: Emulator
) -> None:
    contacts = list(demo_contacts(emulator.contacts()).values())[:10]
    # By ARN, by ID and instance, by bare ID (the default instance), ten times over.
    shapes: list[Callable[[dict[str, Any]], dict[str, Any]]] = [
        lambda c: {"__typename": "Contact", "arn": c["arn"]},
        lambda c: {"__typename": "Contact", "id": c["id"], "instanceId": c["instanceId"]},
        lambda c: {"__typename": "Contact", "id": c["id"]},
    ]
    representations = [shapes[n % 3](contacts[n % 10]) for n in range(100)]

    answer = _entities(federated, representations)

    assert "errors" not in answer
    found = answer["data"]["_entities"]
    assert [e["id"] for e in found] == [contacts[n % 10]["id"] for n in range(100)]
    assert {e["instanceId"] for e in found} == {DEMO_INSTANCE_ID}
    assert {(e["id"], e["arn"]) for e in found} == {(c["id"], c["arn"]) for c in contacts}
    assert emulator.calls() == 10

    again = _entities(federated, representations)  # the response cache
    other = _entities(federated, list(reversed(representations)))  # the entity cache
    assert again == answer
    assert [e["id"] for e in other["data"]["_entities"]] == [e["id"] for e in reversed(found)]
    assert emulator.calls() == 10


def test_agents_and_queues_resolve_by_each_key_through_their_loaders(
    federated: Gateway, emulator: Emulator
) -> None:
    contact = next(c for c in demo_contacts(emulator.contacts()).values() if c["agentId"])
    query = """query($id: ID!) { contact(contactId: $id) {
      agent { id arn } queue { queueId queueArn } } }"""
    seen = federated.query(query, id=contact["id"])["data"]["contact"]
    emulator.reset()
    agent, queue = seen["agent"], seen["queue"]

    answer = _entities(
        federated,
        [
            {"__typename": "Agent", "arn": agent["arn"]},
            {"__typename": "Agent", "id": agent["id"], "instanceId": DEMO_INSTANCE_ID},
            {"__typename": "Queue", "queueArn": queue["queueArn"]},
            {"__typename": "Queue", "queueId": queue["queueId"]},
        ],
    )

    assert "errors" not in answer
    agents, queues = answer["data"]["_entities"][:2], answer["data"]["_entities"][2:]
    expected = {"__typename": "Agent", "agentId": agent["id"], "arn": agent["arn"]}
    assert agents == [expected | {"instanceId": DEMO_INSTANCE_ID}] * 2
    assert [q["queueId"] for q in queues] == [queue["queueId"]] * 2
    assert queues[0]["name"]
    assert queues[0]["instanceId"] == DEMO_INSTANCE_ID
    assert emulator.calls() == 0  # the contact query above loaded both
    assert emulator.calls("DescribeUser") == emulator.calls("DescribeQueue") == 0


def test_a_bad_representation_fails_only_its_own_index(
    federated: Gateway, emulator: Emulator
) -> None:
    good = next(iter(demo_contacts(emulator.contacts()).values()))
    instance_arn = good["arn"].rsplit("/", 2)[0]
    bad: list[Any] = [
        {"__typename": "Customer", "id": "1"},  # not an entity of this subgraph
        {"__typename": "Contact"},  # no key
        {"__typename": "Contact", "arn": f"{instance_arn}/queue/{good['id']}"},  # a queue's
        {"__typename": "Contact", "id": "x" * 300},  # longer than Connect's IDs
        {"__typename": "Contact", "id": good["id"], "instanceId": "not-allowed-here"},
        {"__typename": "Contact", "id": "00000000-0000-4000-8000-000000000000"},
        "Contact",
    ]

    answer = _entities(federated, [*bad, {"__typename": "Contact", "id": good["id"]}])

    assert _codes(answer) == {0: "BAD_USER_INPUT", 1: "BAD_USER_INPUT", 2: "BAD_USER_INPUT",
                              3: "BAD_USER_INPUT", 4: "BAD_USER_INPUT", 5: "NOT_FOUND",
                              6: "BAD_USER_INPUT"}  # fmt: skip
    assert answer["data"]["_entities"][:7] == [None] * 7
    assert answer["data"]["_entities"][7]["id"] == good["id"]
    assert emulator.calls() == 2  # the good one and the one Connect does not have


def test_too_many_representations_or_too_costly_a_selection_is_refused_before_any_call(
    federated: Gateway, emulator: Emulator
) -> None:
    one = {"__typename": "Contact", "id": next(iter(demo_contacts(emulator.contacts())))}
    answer = _entities(federated, [one] * 101)
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 100 representations" in answer["errors"][0]["message"]

    chains = """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Contact { chain { id } } } }"""
    refused = federated.http.post(
        "/graphql", json={"query": chains, "variables": {"r": [one] * 20}}
    ).json()
    assert "could make up to 1020 upstream calls" in refused["errors"][0]["message"]
    assert emulator.calls() == 0


def test_each_representation_is_checked_against_the_callers_instances_before_any_call(
    start_gateway: Callable[..., Gateway],
    emulator: Emulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key, entry = new_key("router", ["contacts:read", f"instance:{DEMO_INSTANCE_ID}"])
    (keys := tmp_path / "keys.json").write_text(json.dumps({"keys": [entry]}))
    gateway = start_gateway(federation=True, auth="api-key", api_keys_file=keys)
    contacts = emulator.contacts()
    mine = next(c for c in contacts if c["instanceId"] == DEMO_INSTANCE_ID)
    theirs = next(c for c in contacts if c["instanceId"] == SECOND_INSTANCE_ID)
    representations = [
        {"__typename": "Contact", "id": mine["id"]},
        {"__typename": "Contact", "arn": theirs["arn"]},
        {"__typename": "Contact", "id": theirs["id"], "instanceId": SECOND_INSTANCE_ID},
    ]

    body = {"query": ENTITIES, "variables": {"representations": representations}}
    assert gateway.http.post("/graphql", json=body).status_code == 401  # no key
    with caplog.at_level(logging.INFO, logger="gateway.audit"):
        answer = _entities(gateway, representations, **{"x-api-key": key})

    assert _codes(answer) == {1: "FORBIDDEN", 2: "FORBIDDEN"}
    assert answer["data"]["_entities"][0]["id"] == mine["id"]
    assert answer["data"]["_entities"][1:] == [None, None]
    assert emulator.calls() == 1
    [line] = [r.getMessage() for r in caplog.records if r.name == "gateway.audit"]
    assert line.startswith("caller=key:router ")
    assert mine["id"] in line
    assert theirs["id"] not in line
