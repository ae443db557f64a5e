"""Instance and read scopes: FORBIDDEN at the field, siblings answering, no upstream call
for what was refused."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.emulator import DEMO_INSTANCE_ID, SECOND_INSTANCE_ID
from gateway.http.auth.keys import new_key
from tests.support import Emulator, Gateway


def _gateway(start: Callable[..., Gateway], path: Path, scopes: list[str]) -> tuple[Gateway, str]:
    key, entry = new_key("scoped", scopes)
    path.write_text(json.dumps({"keys": [entry]}))
    return start(auth="api-key", api_keys_file=path), key


def test_an_instance_outside_the_scopes_is_forbidden_at_its_field(
    start_gateway: Callable[..., Gateway], emulator: Emulator, tmp_path: Path
) -> None:
    contacts = emulator.contacts()
    mine = next(c for c in contacts if c["instanceId"] == SECOND_INSTANCE_ID)
    theirs = next(c for c in contacts if c["instanceId"] == DEMO_INSTANCE_ID)
    gateway, key = _gateway(
        start_gateway, tmp_path / "keys.json", ["contacts:read", f"instance:{SECOND_INSTANCE_ID}"]
    )
    query = """query($mine: ID!, $theirs: ID!, $i: ID!) {
      mine: contact(contactId: $mine, instanceId: $i) { id }
      theirs: contact(contactId: $theirs) { id }
      many: contacts(contactIds: [$theirs, $theirs]) { id }
    }"""
    emulator.reset()

    answer = gateway.http.post(
        "/graphql",
        json={
            "query": query,
            "variables": {"mine": mine["id"], "theirs": theirs["id"], "i": SECOND_INSTANCE_ID},
        },
        headers={"x-api-key": key},
    ).json()

    assert answer["data"]["mine"] == {"id": mine["id"]}
    assert answer["data"]["theirs"] is None
    assert answer["data"]["many"] == [None, None]
    forbidden = {
        tuple(e["path"]) for e in answer["errors"] if e["extensions"]["code"] == "FORBIDDEN"
    }
    assert {("theirs",), ("many", 0), ("many", 1)} <= forbidden
    assert emulator.stats()["calls"] == {"DescribeContact": 1}

    search = """{ searchContacts(timeRange: {type: INITIATION_TIMESTAMP,
        startTime: "2020-01-01T00:00:00Z", endTime: "2020-01-02T00:00:00Z"}) { totalCount } }"""
    refused = gateway.http.post(
        "/graphql", json={"query": search}, headers={"x-api-key": key}
    ).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert emulator.stats()["calls"] == {"DescribeContact": 1}


def test_without_contacts_read_nothing_is_read(
    start_gateway: Callable[..., Gateway], emulator: Emulator, tmp_path: Path
) -> None:
    contact = emulator.contacts()[0]
    gateway, key = _gateway(start_gateway, tmp_path / "keys.json", ["instance:*"])
    emulator.reset()

    answer = gateway.http.post(
        "/graphql",
        json={
            "query": "query($id: ID!, $i: ID) { contact(contactId: $id, instanceId: $i) { id } }",
            "variables": {"id": contact["id"], "i": contact["instanceId"]},
        },
        headers={"x-api-key": key},
    ).json()

    assert answer["data"] == {"contact": None}
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert sum(emulator.stats()["calls"].values()) == 0


@pytest.mark.parametrize("sent", ["GET with operationName", "POST without operationName"])
def test_the_audit_line_names_the_caller_operation_and_contacts_and_no_variables(
    start_gateway: Callable[..., Gateway],
    emulator: Emulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    sent: str,
) -> None:
    """The operation is named also when the client sends no operationName (a document's
    sole operation), as many clients do."""
    contact = next(c for c in emulator.contacts() if c["instanceId"] == DEMO_INSTANCE_ID)
    gateway, key = _gateway(start_gateway, tmp_path / "keys.json", ["contacts:read", "instance:*"])
    query = "query Audited($id: ID!) { contact(contactId: $id) { id } }"

    with caplog.at_level(logging.INFO):
        if sent.startswith("GET"):
            params = {
                "query": query,
                "variables": json.dumps({"id": contact["id"]}),
                "operationName": "Audited",
            }
            gateway.http.get("/graphql", params=params, headers={"x-api-key": key})
        else:
            body = {"query": query, "variables": {"id": contact["id"]}}
            gateway.http.post("/graphql", json=body, headers={"x-api-key": key})

    [line] = [r.getMessage() for r in caplog.records if r.name == "gateway.audit"]
    assert line.startswith("caller=key:scoped operation=Audited ")
    assert f"contacts={contact['id']}" in line
    served = [r for r in caplog.records if r.name.startswith(("gateway", "uvicorn"))]
    assert served
    assert all("variables" not in r.getMessage() for r in served)
