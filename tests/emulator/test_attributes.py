"""Contact attributes: kept per chain under its initial contact, served by
GetContactAttributes for any contact of the chain, and agreeing with DescribeContact."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from gateway.emulator import DEMO_INSTANCE_ID, SECOND_INSTANCE_ID
from gateway.emulator.world.attributes import chain_key
from gateway.emulator.world.dataset import build_dataset
from tests.emulator.conftest import error_of

DATASET = build_dataset()
DEMO = DATASET.instances[DEMO_INSTANCE_ID]
Record = dict[str, Any]


def chains() -> dict[str, list[Record]]:
    found: dict[str, list[Record]] = {}
    for record in DEMO.contacts.values():
        found.setdefault(chain_key(record), []).append(record)
    return found


def long_chain_with_attributes() -> list[Record]:
    return max(
        (chain for key, chain in chains().items() if DEMO.attributes[key] and key in DEMO.contacts),
        key=len,
    )


def test_every_contact_of_a_chain_carries_the_chains_attributes() -> None:
    for instance, record in DATASET.contacts():
        attributes = instance.attributes[chain_key(record)]
        assert record.get("Attributes", {}) == attributes
    sizes = Counter(len(chain) for chain in chains().values())
    assert max(sizes) == 5


def test_some_chains_have_none_and_the_rest_realistic_values() -> None:
    values = list(DEMO.attributes.values())
    assert any(not attributes for attributes in values)
    assert sum(bool(attributes) for attributes in values) > len(values) / 2
    keys = Counter(key for attributes in values for key in attributes)
    assert {"intent", "language", "customerTier", "accountNumber", "callbackNumber"} <= set(keys)
    for attributes in values:
        if "accountNumber" in attributes:
            assert attributes["accountNumber"].startswith("****")
            assert len(attributes["accountNumber"]) == 8


def test_initial_contact(connect: Any) -> None:
    head = long_chain_with_attributes()[0]
    assert "InitialContactId" not in head
    response = connect.get_contact_attributes(
        InstanceId=DEMO_INSTANCE_ID, InitialContactId=head["Id"]
    )
    assert response["Attributes"] == head["Attributes"]
    assert response["Attributes"]


def test_non_initial_contacts_answer_their_chains_attributes(connect: Any) -> None:
    chain = long_chain_with_attributes()
    assert len(chain) >= 3
    for record in chain[1:]:
        response = connect.get_contact_attributes(
            InstanceId=DEMO_INSTANCE_ID, InitialContactId=record["Id"]
        )
        assert response["Attributes"] == DEMO.attributes[chain[0]["Id"]]


def test_a_contact_without_attributes(connect: Any) -> None:
    record = next(r for r in DEMO.contacts.values() if "Attributes" not in r)
    response = connect.get_contact_attributes(
        InstanceId=DEMO_INSTANCE_ID, InitialContactId=record["Id"]
    )
    assert response["Attributes"] == {}


def test_describe_contact_agrees_for_every_contact(connect: Any) -> None:
    for instance, record in DATASET.contacts():
        described = connect.describe_contact(InstanceId=instance.id, ContactId=record["Id"])
        attributes = connect.get_contact_attributes(
            InstanceId=instance.id, InitialContactId=record["Id"]
        )["Attributes"]
        assert described["Contact"].get("Attributes", {}) == attributes


def test_a_chain_whose_initial_contact_was_purged(connect: Any) -> None:
    orphan = next(
        r
        for r in DEMO.contacts.values()
        if r.get("InitialContactId", "") not in (*DEMO.contacts, "")
    )
    found = connect.get_contact_attributes(
        InstanceId=DEMO_INSTANCE_ID, InitialContactId=orphan["Id"]
    )
    assert found["Attributes"] == DEMO.attributes[orphan["InitialContactId"]]
    purged = error_of(
        connect.get_contact_attributes,
        InstanceId=DEMO_INSTANCE_ID,
        InitialContactId=orphan["InitialContactId"],
    )
    assert purged == ("ResourceNotFoundException", "Contact not found", 404)


@pytest.mark.parametrize(
    ("instance", "contact", "message"),
    [
        (DEMO_INSTANCE_ID, "00000000-0000-4000-8000-000000000000", "Contact not found"),
        (
            DEMO_INSTANCE_ID,
            next(iter(DATASET.instances[SECOND_INSTANCE_ID].contacts)),
            "Contact not found",
        ),
        ("00000000-0000-4000-8000-000000000000", next(iter(DEMO.contacts)), "Instance not found"),
    ],
)
def test_unknown_contacts_and_instances(
    connect: Any, instance: str, contact: str, message: str
) -> None:
    found = error_of(connect.get_contact_attributes, InstanceId=instance, InitialContactId=contact)
    assert found == ("ResourceNotFoundException", message, 404)


def test_too_long_contact_id(connect: Any) -> None:
    code, message, status = error_of(
        connect.get_contact_attributes, InstanceId=DEMO_INSTANCE_ID, InitialContactId="c" * 257
    )
    assert (code, status) == ("InvalidRequestException", 400)  # the only 400 it declares
    assert "'InitialContactId'" in message


def test_counted_and_patchable(control: httpx.Client, connect: Any) -> None:
    head = long_chain_with_attributes()[0]
    fault = {
        "operation": "GetContactAttributes",
        "patch": {"Attributes": {"vip": "true"}},
        "times": 1,
    }
    control.post("/_emulator/faults", json=fault).raise_for_status()
    params = {"InstanceId": DEMO_INSTANCE_ID, "InitialContactId": head["Id"]}
    assert connect.get_contact_attributes(**params)["Attributes"] == {
        **head["Attributes"],
        "vip": "true",
    }
    assert connect.get_contact_attributes(**params)["Attributes"] == head["Attributes"]
    assert control.get("/_emulator/stats").json()["calls"] == {"GetContactAttributes": 2}
