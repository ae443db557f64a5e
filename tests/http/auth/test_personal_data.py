"""Personal data: every member classified in gateway/api/personal_data.py; without contacts:pii
each personal field is null with FORBIDDEN, its siblings answer, nothing is fetched for it,
and a cache warmed by a caller with the scope shows such a caller nothing personal."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore.session
import pytest

from gateway.api import personal_data
from gateway.data.kinds import KINDS
from gateway.emulator import DEMO_INSTANCE_ID
from gateway.http.auth.keys import new_key
from tests.support import Emulator, Gateway

QUERY = """query Personal($id: ID!) {
  contact(contactId: $id) {
    id channel initiationTimestamp
    name
    customerEndpoint { address type }
    attributes { key value }
    segmentAttributes { key }
    additionalEmailRecipients { toList { address } }
    references { string { name value } }
    agent { id username identityInfo { firstName email } }
  }
}"""
PERSONAL = {
    "name",
    "customerEndpoint",
    "attributes",
    "segmentAttributes",
    "additionalEmailRecipients",
    "references",
}


def _classification() -> ModuleType:
    return personal_data


def test_every_member_is_classified_and_nothing_else() -> None:
    model = botocore.session.get_session().get_service_model("connect")
    classified: dict[str, dict[str, Any]] = _classification().CLASSIFIED
    assert set(classified) == {"Contact", "User", "Queue", "ReferenceSummary"}
    # A kind read whole says what its shape is, once: classified only if "members".
    for kind in KINDS.values():
        if kind.shape is not None:
            assert (kind.shape in classified) == (kind.personal == "members"), kind.name
            assert kind.personal == "members" or personal_data.WHOLE[kind.shape] == kind.personal
    for shape, members in classified.items():
        assert set(members) == set(model.shape_for(shape).members), shape
    at_least = {("Contact", m[0].upper() + m[1:]) for m in PERSONAL - {"references"}}
    at_least |= {("User", "IdentityInfo"), ("User", "Username")}
    assert all(classified[shape][member] for shape, member in at_least)


def _rich_contact(emulator: Emulator) -> dict[str, Any]:
    """An email contact with an agent, attributes and references."""
    return next(
        c
        for c in emulator.contacts()
        if c["instanceId"] == DEMO_INSTANCE_ID
        and c["channel"] == "EMAIL"
        and c["agentId"]
        and c["attributeCount"]
        and c["referenceCount"]
    )


def _ask(gateway: Gateway, key: str, contact_id: str) -> dict[str, Any]:
    response = gateway.http.post(
        "/graphql",
        json={"query": QUERY, "variables": {"id": contact_id}},
        headers={"x-api-key": key},
    )
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def reader_and_trusted(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> tuple[Gateway, str, str]:
    """A gateway, the key of a reader (contacts:read) and of a trusted caller (and
    contacts:pii), both on every instance."""
    reader, reader_entry = new_key("dashboard", ["contacts:read", "instance:*"])
    trusted, trusted_entry = new_key("quality", ["contacts:read", "contacts:pii", "instance:*"])
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [reader_entry, trusted_entry]}))
    return start_gateway(auth="api-key", api_keys_file=keys), reader, trusted


def test_personal_fields_need_the_pii_scope_even_from_a_warm_cache(
    reader_and_trusted: tuple[Gateway, str, str], emulator: Emulator
) -> None:
    gateway, reader, trusted = reader_and_trusted
    contact = _rich_contact(emulator)
    emulator.reset()

    cold = _ask(gateway, reader, contact["id"])

    answered = cold["data"]["contact"]
    assert answered["id"] == contact["id"]
    assert answered["channel"] == "EMAIL"
    assert answered["agent"]["id"] == contact["agentId"]
    assert answered["agent"]["identityInfo"] is None
    assert all(answered[field] is None for field in PERSONAL)
    forbidden = {
        tuple(e["path"][1:]) for e in cold["errors"] if e["extensions"]["code"] == "FORBIDDEN"
    }
    agent = {("agent", "identityInfo"), ("agent", "username")}
    assert forbidden == {(f,) for f in PERSONAL} | agent
    calls = emulator.stats()["calls"]
    assert "GetContactAttributes" not in calls, "nothing is fetched for a refused field"
    assert "ListContactReferences" not in calls

    full = _ask(gateway, trusted, contact["id"])["data"]["contact"]
    assert full["customerEndpoint"]["address"]
    assert full["attributes"]
    assert full["references"]
    assert full["agent"]["identityInfo"]["email"]

    warm = _ask(gateway, reader, contact["id"])
    assert warm["data"] == cold["data"]
    text = json.dumps(warm)
    secrets = [full["customerEndpoint"]["address"], full["agent"]["identityInfo"]["email"]]
    secrets += [entry["value"] for entry in full["attributes"]]
    assert not [s for s in secrets if s and len(s) > 5 and s in text]  # not "2" in a timestamp


ORACLE = """query Oracle($from: DateTime!, $to: DateTime!, $criteria: SearchCriteria) {
  searchContacts(
    timeRange: { type: INITIATION_TIMESTAMP, startTime: $from, endTime: $to }
    criteria: $criteria
  ) { totalCount }
}"""
PERSONAL_CRITERIA = {
    "contactAttributes": {"criteria": [{"key": "accountNumber", "values": ["****4300"]}]},
    "segmentAttributes": {"criteria": [{"key": "connect:Subtype", "values": ["connect:Chat"]}]},
    "name": {"searchText": ["refund"], "matchType": "MATCH_ANY"},
}


def test_search_criteria_on_personal_data_need_the_pii_scope(
    reader_and_trusted: tuple[Gateway, str, str], emulator: Emulator
) -> None:
    gateway, reader, trusted = reader_and_trusted
    times = sorted(c["initiationTimestamp"] for c in emulator.contacts())
    window = {"from": times[0], "to": times[-1]}

    def search(key: str, criteria: dict[str, Any]) -> dict[str, Any]:
        response = gateway.http.post(
            "/graphql",
            json={"query": ORACLE, "variables": window | {"criteria": criteria}},
            headers={"x-api-key": key},
        )
        return response.json()  # type: ignore[no-any-return]

    emulator.reset()
    for name, criterion in PERSONAL_CRITERIA.items():
        refused = search(reader, {name: criterion, "channels": ["VOICE"]})
        assert refused["data"]["searchContacts"] is None, name
        [error] = refused["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert name in error["message"]
        assert "contacts:pii" in error["message"]
    assert emulator.stats()["calls"] == {}, "refused before any upstream call"

    allowed = search(reader, {"channels": ["VOICE"]})
    assert allowed["data"]["searchContacts"]["totalCount"] >= 0
    answered = search(trusted, {"contactAttributes": PERSONAL_CRITERIA["contactAttributes"]})
    assert "errors" not in answered
    assert answered["data"]["searchContacts"]["totalCount"] >= 0
