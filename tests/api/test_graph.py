"""The graph around a contact: chain, agent, queue, association, next contacts; and every
field of Contact read from the demo data. Upstream calls counted from the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema

from gateway.api.schema import create_schema
from tests.chains import deepest, demo_contacts
from tests.support import Emulator, Gateway


def test_chain_from_initial_to_this(gateway: Gateway, emulator: Emulator) -> None:
    contacts = emulator.contacts()
    chain = deepest(contacts)
    assert len(chain) == 5

    result = gateway.query(
        "query($id: ID!) { contact(contactId: $id) { chain { id initiationMethod } } }",
        id=chain[-1]["id"],
    )

    assert [c["id"] for c in result["data"]["contact"]["chain"]] == [c["id"] for c in chain]
    assert emulator.calls() == len(chain)
    again = gateway.query(
        "query($id: ID!) { contact(contactId: $id) { chain { id } } }", id=chain[-1]["id"]
    )
    assert len(again["data"]["contact"]["chain"]) == 5
    assert emulator.calls() == len(chain)


def test_chain_stops_at_a_purged_contact(gateway: Gateway, emulator: Emulator) -> None:
    by_id = demo_contacts(emulator.contacts())
    broken = next(
        c for c in by_id.values() if c["previousContactId"] and c["previousContactId"] not in by_id
    )

    result = gateway.query(
        "query($id: ID!) { contact(contactId: $id) { chain { id } } }", id=broken["id"]
    )

    assert "errors" not in result
    assert [c["id"] for c in result["data"]["contact"]["chain"]] == [broken["id"]]


def test_agent_and_queue_one_call_per_distinct_entity(gateway: Gateway, emulator: Emulator) -> None:
    by_id = demo_contacts(emulator.contacts())
    with_agent = [c for c in by_id.values() if c["agentId"] and c["queueId"]][:40]
    agents = {c["agentId"] for c in with_agent}
    queues = {c["queueId"] for c in with_agent}
    query = """query($ids: [ID!]!) { contacts(contactIds: $ids) {
        agentInfo { id } agent { id username identityInfo { firstName lastName } routingProfileId }
        queueInfo { id } queue { queueId name status }
    } }"""

    result = gateway.query(query, ids=[c["id"] for c in with_agent])

    assert "errors" not in result, result["errors"][:3]
    for contact in result["data"]["contacts"]:
        assert contact["agent"]["id"] == contact["agentInfo"]["id"]
        assert contact["agent"]["username"]
        assert contact["queue"]["queueId"] == contact["queueInfo"]["id"]
    stats = emulator.stats()["calls"]
    assert stats["DescribeUser"] == len(agents)
    assert stats["DescribeQueue"] == len(queues)
    assert stats["DescribeContact"] == len(with_agent)

    gateway.query(query, ids=[c["id"] for c in with_agent])
    assert emulator.stats()["calls"] == stats  # warm: nothing upstream


def test_contact_association_and_next_contacts(gateway: Gateway, emulator: Emulator) -> None:
    by_id = demo_contacts(emulator.contacts())
    associated = next(
        c
        for c in by_id.values()
        if c["contactAssociationId"] in by_id and c["contactAssociationId"] != c["id"]
    )

    result = gateway.query(
        """query($id: ID!) { contact(contactId: $id) {
            contactAssociationId contactAssociation { id }
            nextContacts { type nextContactMetadata { quickConnectContactData {
                contactId contact { id } } } }
        } }""",
        id=associated["id"],
    )

    contact = result["data"]["contact"]
    assert contact["contactAssociation"]["id"] == associated["contactAssociationId"]
    for entry in contact["nextContacts"] or []:
        data = entry["nextContactMetadata"]["quickConnectContactData"]
        if data and data["contactId"] in by_id:
            assert data["contact"]["id"] == data["contactId"]


def _selection(schema: GraphQLSchema, type_: GraphQLObjectType, depth: int, path: set[str]) -> str:
    """Every field of `type_` (no arguments, no links back to contacts), `depth` deep."""
    parts = []
    for name, field in type_.fields.items():
        if field.args and not all(arg.default_value is None for arg in field.args.values()):
            continue
        inner: Any = field.type
        while isinstance(inner, GraphQLNonNull | GraphQLList):
            inner = inner.of_type
        if isinstance(inner, GraphQLObjectType):
            if inner.name in {"Contact", "Agent", "Queue"} or inner.name in path or depth == 0:
                continue
            sub = _selection(schema, inner, depth - 1, path | {inner.name})
            if sub:
                parts.append(f"{name} {{ {sub} }}")
        else:
            parts.append(name)
    return " ".join(parts)


def _filled(value: Any, path: str, seen: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _filled(item, f"{path}.{key}", seen)
    elif isinstance(value, list):
        for item in value:
            _filled(item, f"{path}[]", seen)
    elif value is not None:
        seen.add(path)


@pytest.mark.long
def test_every_field_reads_from_the_demo_data(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(max_query_depth=20, max_cost=10000)  # every field of 100 contacts
    schema = create_schema()._schema
    contact_type = schema.type_map["Contact"]
    assert isinstance(contact_type, GraphQLObjectType)
    fields = _selection(schema, contact_type, 8, {"Contact"})
    ids = list(demo_contacts(emulator.contacts()))
    seen: set[str] = set()

    for start in range(0, len(ids), 100):
        result = gateway.query(
            f"query($ids: [ID!]!) {{ contacts(contactIds: $ids) {{ {fields} }} }}",
            ids=ids[start : start + 100],
        )
        assert "errors" not in result, result["errors"][:3]
        for contact in result["data"]["contacts"]:
            _filled(contact, "Contact", seen)

    top_level = {path.split(".")[1].split("[")[0] for path in seen}
    own_calls = {"chain", "associatedContacts", "attributes", "references"}
    own_calls |= {"transcript", "recordingUrl"}  # tests/api/test_quality.py
    never = sorted(set(contact_type.fields) - top_level - own_calls)
    linked = {"initialContact", "previousContact", "relatedContact", "contactAssociation"}
    assert not [name for name in never if name not in linked | {"agent", "queue"}], never


def test_attributes_one_call_per_chain(gateway: Gateway, emulator: Emulator) -> None:
    chain = deepest(emulator.contacts())
    query = """query($id: ID!) { contact(contactId: $id) {
        attributes { key value } chain { id attributes { key value } }
        picked: attributes(keys: ["intent", "no-such-key"]) { key value } } }"""

    result = gateway.query(query, id=chain[-1]["id"])

    contact = result["data"]["contact"]
    assert contact["attributes"], "the demo chain has attributes"
    assert all(c["attributes"] == contact["attributes"] for c in contact["chain"])
    assert [a["key"] for a in contact["picked"]] == (
        ["intent"] if any(a["key"] == "intent" for a in contact["attributes"]) else []
    )
    assert emulator.stats()["calls"]["GetContactAttributes"] == 1
    gateway.query(query, id=chain[-1]["id"])
    assert emulator.stats()["calls"]["GetContactAttributes"] == 1


def test_references_every_type_every_page(gateway: Gateway, emulator: Emulator) -> None:
    contact = max(demo_contacts(emulator.contacts()).values(), key=lambda c: c["referenceCount"])
    query = """query($id: ID!) { contact(contactId: $id) {
        references { url { name value } attachment { name } string { name value }
                     number { name } date { name } email { name } emailMessage { name } }
        urls: references(types: [URL]) { url { name } } } }"""

    result = gateway.query(query, id=contact["id"])

    assert "errors" not in result
    references = result["data"]["contact"]["references"]
    assert len(references) == contact["referenceCount"] > 3  # more than one page
    urls = result["data"]["contact"]["urls"]
    assert len(urls) == sum(1 for r in references if r["url"])
    calls = emulator.stats()["calls"]["ListContactReferences"]
    assert 3 <= calls <= 3 + contact["referenceCount"] // 3  # groups of 6 types, pages of 3
    gateway.query(query, id=contact["id"])
    assert emulator.stats()["calls"]["ListContactReferences"] == calls
