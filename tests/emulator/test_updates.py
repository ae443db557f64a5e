"""UpdateContact and UpdateContactAttributes through real boto3, on an emulator of the
test's own (they change its data)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from gateway.emulator import DEMO_INSTANCE_ID
from tests import web
from tests.emulator.conftest import connect_client, error_of


@pytest.fixture
def emulator(serve: Callable[..., str]) -> tuple[Any, list[dict[str, Any]]]:
    url = serve()
    contacts = web.get(f"{url}/_emulator/contacts").json()["contacts"]
    return connect_client(url), contacts


def ended_in_chain(contacts: list[dict[str, Any]]) -> dict[str, Any]:
    """An ended contact that continues a chain whose initial contact exists."""
    ids = {contact["id"] for contact in contacts}
    return next(
        contact
        for contact in contacts
        if contact["disconnected"]
        and contact["initialContactId"] in ids
        and contact["instanceId"] == DEMO_INSTANCE_ID
    )


def describe(connect: Any, contact_id: str) -> dict[str, Any]:
    return connect.describe_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact_id)["Contact"]  # type: ignore[no-any-return]


def test_update_contact_on_an_ended_contact(emulator: tuple[Any, list[dict[str, Any]]]) -> None:
    connect, contacts = emulator
    contact = ended_in_chain(contacts)
    before = describe(connect, contact["id"])
    connect.update_contact(
        InstanceId=DEMO_INSTANCE_ID,
        ContactId=contact["id"],
        Name="Refund follow-up",
        Description="Customer asked twice",
        SegmentAttributes={"reviewed": {"ValueString": "yes"}},
    )
    after = describe(connect, contact["id"])
    assert after["Name"] == "Refund follow-up"
    assert after["Description"] == "Customer asked twice"
    assert after["SegmentAttributes"]["reviewed"] == {"ValueString": "yes"}
    assert after["LastUpdateTimestamp"] > before["LastUpdateTimestamp"]
    assert after["DisconnectTimestamp"] == before["DisconnectTimestamp"]
    connect.update_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact["id"], Description="")
    again = describe(connect, contact["id"])
    assert "Description" not in again
    assert again["LastUpdateTimestamp"] > after["LastUpdateTimestamp"]


def test_update_contact_references(emulator: tuple[Any, list[dict[str, Any]]]) -> None:
    connect, contacts = emulator
    contact = ended_in_chain(contacts)

    def strings() -> list[dict[str, Any]]:
        return connect.list_contact_references(  # type: ignore[no-any-return]
            InstanceId=DEMO_INSTANCE_ID, ContactId=contact["id"], ReferenceTypes=["STRING"]
        )["ReferenceSummaryList"]

    update = connect.update_contact
    update(
        InstanceId=DEMO_INSTANCE_ID,
        ContactId=contact["id"],
        References={"Ticket": {"Type": "STRING", "Value": "T-1"}},
    )
    update(
        InstanceId=DEMO_INSTANCE_ID,
        ContactId=contact["id"],
        References={"Ticket": {"Type": "STRING", "Value": "T-2"}},
    )
    assert strings() == [{"String": {"Name": "Ticket", "Value": "T-2"}}]


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        ({}, "InvalidParameterException", "At least one field"),
        ({"Name": "x" * 1025}, "InvalidParameterException", "'Name' failed to satisfy"),
        ({"QueueInfo": {"Id": "q"}}, "InvalidRequestException", "external audio"),
        (
            {"CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+12065550100"}},
            "InvalidRequestException",
            "external audio",
        ),
        (
            {"References": {"Mail": {"Type": "EMAIL_MESSAGE", "Value": "x"}}},
            "InvalidParameterException",
            "EMAIL_MESSAGE",
        ),
        (
            {"References": {"Ticket": {"Value": "no type"}}},
            "InvalidParameterException",
            "References[Ticket].Type' failed to satisfy constraint: Member must not be null",
        ),
    ],
)
def test_update_contact_refusals(
    emulator: tuple[Any, list[dict[str, Any]]], params: dict[str, Any], code: str, message: str
) -> None:
    connect, contacts = emulator
    contact = ended_in_chain(contacts)
    if params.get("References", {}).get("Ticket") is not None:
        path = f"/contacts/{DEMO_INSTANCE_ID}/{contact['id']}"
        found = _raw_post(connect, path, params)
    else:
        found = error_of(
            connect.update_contact, InstanceId=DEMO_INSTANCE_ID, ContactId=contact["id"], **params
        )
    assert found[0] == code
    assert found[2] == 400
    assert message in found[1]


def _raw_post(connect: Any, path: str, body: dict[str, Any]) -> tuple[str, str, int]:
    """What a request boto3 would refuse to send gets (another client could send it)."""
    url = f"{connect.meta.endpoint_url}{path}"
    response = web.post(url, json=body, headers={"Authorization": "x"})
    return response.headers["x-amzn-ErrorType"], response.json()["Message"], response.status_code


def test_update_contact_of_unknown_contact(emulator: tuple[Any, list[dict[str, Any]]]) -> None:
    connect, _ = emulator
    found = error_of(
        connect.update_contact, InstanceId=DEMO_INSTANCE_ID, ContactId="missing", Name="x"
    )
    assert found[0] == "ResourceNotFoundException"
    assert found[2] == 404


def test_update_contact_attributes_updates_the_whole_chain(
    emulator: tuple[Any, list[dict[str, Any]]],
) -> None:
    connect, contacts = emulator
    contact = ended_in_chain(contacts)
    initial = contact["initialContactId"]
    chain = [c["id"] for c in contacts if initial in (c["id"], c["initialContactId"])]
    assert len(chain) >= 2
    stamps = {cid: describe(connect, cid)["LastUpdateTimestamp"] for cid in chain}
    connect.update_contact_attributes(
        InstanceId=DEMO_INSTANCE_ID,
        InitialContactId=contact["initialContactId"],
        Attributes={"reviewed": "yes", "intent": "refund"},
    )
    for cid in chain:
        attributes = connect.get_contact_attributes(
            InstanceId=DEMO_INSTANCE_ID, InitialContactId=cid
        )["Attributes"]
        assert attributes["reviewed"] == "yes"
        assert attributes["intent"] == "refund"
        record = describe(connect, cid)
        assert record["Attributes"] == attributes
        assert record["LastUpdateTimestamp"] > stamps[cid]
    # A contact continuing the chain may be named too: the chain's attributes change.
    connect.update_contact_attributes(
        InstanceId=DEMO_INSTANCE_ID, InitialContactId=contact["id"], Attributes={"note": ""}
    )
    first = connect.get_contact_attributes(
        InstanceId=DEMO_INSTANCE_ID, InitialContactId=contact["initialContactId"]
    )["Attributes"]
    assert first["note"] == ""
    assert first["reviewed"] == "yes"


def test_update_contact_attributes_refusals(emulator: tuple[Any, list[dict[str, Any]]]) -> None:
    connect, contacts = emulator
    contact = ended_in_chain(contacts)
    update = connect.update_contact_attributes
    missing = error_of(
        update, InstanceId=DEMO_INSTANCE_ID, InitialContactId="missing", Attributes={"a": "b"}
    )
    assert missing[0] == "ResourceNotFoundException"
    assert missing[2] == 404
    body = {"InstanceId": DEMO_INSTANCE_ID, "InitialContactId": contact["id"]}
    empty_key = _raw_post(connect, "/contact/attributes", body | {"Attributes": {"": "b"}})
    assert empty_key[0] == "InvalidParameterException"
    assert empty_key[2] == 400
    assert "Attributes.key" in empty_key[1]
    no_attributes = _raw_post(connect, "/contact/attributes", body)
    assert no_attributes == (
        "InvalidParameterException",
        "1 validation error detected: Value null at 'Attributes' failed to satisfy "
        "constraint: Member must not be null",
        400,
    )
    huge = error_of(
        update,
        InstanceId=DEMO_INSTANCE_ID,
        InitialContactId=contact["id"],
        Attributes={f"k{n}": "v" * 4000 for n in range(9)},
    )
    assert huge[0] == "InvalidParameterException"
    assert "32768 bytes" in huge[1]


def test_updates_stamp_after_the_last_update(emulator: tuple[Any, list[dict[str, Any]]]) -> None:
    connect, contacts = emulator
    contact = ended_in_chain(contacts)
    seen: list[datetime] = []
    for n in range(3):
        connect.update_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact["id"], Name=f"n{n}")
        seen.append(describe(connect, contact["id"])["LastUpdateTimestamp"])
    assert seen == sorted(seen)
    assert len(set(seen)) == 3
