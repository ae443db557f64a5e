"""A contact and its links in one query, against the emulator, counting upstream calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from gateway.emulator import SECOND_INSTANCE_ID
from tests import web
from tests.chains import deepest, demo_contacts, purged_link, touched_by_links, with_all_links
from tests.support import Emulator, Gateway

LINKS = """
query Links($id: ID!) {
  contact(contactId: $id) {
    id instanceId channel initiationMethod initiationTimestamp disconnectTimestamp
    previousContactId initialContactId relatedContactId
    agentInfo { id } queueInfo { id enqueueTimestamp }
    previousContact { id previousContact { id } initialContact { id } }
    initialContact { id initialContact { id } }
    relatedContact { id }
  }
}
"""


def test_one_query_one_call_per_distinct_contact(gateway: Gateway, emulator: Emulator) -> None:
    contacts = emulator.contacts()
    chain = deepest(contacts)
    last = chain[-1]
    assert len(chain) >= 3
    distinct = touched_by_links(last, demo_contacts(contacts))

    result = gateway.query(LINKS, id=last["id"])

    assert "errors" not in result, result
    contact = result["data"]["contact"]
    assert contact["id"] == last["id"]
    assert contact["previousContact"]["id"] == chain[-2]["id"]
    assert contact["previousContact"]["previousContact"]["id"] == chain[-3]["id"]
    assert contact["initialContact"]["id"] == chain[0]["id"]
    assert contact["initialContact"]["initialContact"] is None  # the first has no link
    assert len(distinct) >= 4
    assert emulator.calls() == len(distinct)

    again = gateway.query(LINKS, id=last["id"])

    assert again == result
    assert emulator.calls() == len(distinct)  # warm: no upstream call at all


def test_links_and_fields(gateway: Gateway, emulator: Emulator) -> None:
    contact = with_all_links(emulator.contacts())

    data = gateway.query(LINKS, id=contact["id"])["data"]["contact"]

    assert data["previousContact"]["id"] == contact["previousContactId"]
    assert data["initialContact"]["id"] == contact["initialContactId"]
    if contact.get("relatedContactId"):
        assert data["relatedContact"]["id"] == contact["relatedContactId"]
    else:
        assert data["relatedContact"] is None
    assert data["channel"] == contact["channel"]
    assert data["initiationMethod"] == contact["initiationMethod"]
    assert data["initiationTimestamp"].endswith("+00:00")


def test_absent_link_is_null_without_error(gateway: Gateway, emulator: Emulator) -> None:
    first = deepest(emulator.contacts())[0]

    result = gateway.query(LINKS, id=first["id"])

    assert "errors" not in result
    contact = result["data"]["contact"]
    assert contact["previousContact"] is None
    assert contact["initialContact"] is None
    assert emulator.calls() == 1 + (1 if first.get("relatedContactId") else 0)


def test_link_to_missing_contact_fails_alone(gateway: Gateway, emulator: Emulator) -> None:
    contact = purged_link(emulator.contacts())

    result = gateway.query(
        "query($id: ID!) { contact(contactId: $id) { id previousContact { id } } }",
        id=contact["id"],
    )

    assert result["data"]["contact"]["id"] == contact["id"]
    assert result["data"]["contact"]["previousContact"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["path"] == ["contact", "previousContact"]


def test_failing_link_never_fails_siblings(gateway: Gateway, emulator: Emulator) -> None:
    contact = with_all_links(emulator.contacts())
    emulator.fault(
        operation="DescribeContact",
        error="InternalServiceException",
        contactId=contact["initialContactId"],
    )

    result = gateway.query(LINKS, id=contact["id"])

    data = result["data"]["contact"]
    assert data["id"] == contact["id"]
    assert data["initialContact"] is None
    assert data["previousContact"]["id"] == contact["previousContactId"]
    codes = {tuple(e["path"]): e["extensions"]["code"] for e in result["errors"]}
    assert codes[("contact", "initialContact")] == "UPSTREAM_UNAVAILABLE"
    assert set(codes.values()) == {"UPSTREAM_UNAVAILABLE"}


def test_contacts_keeps_order_and_nulls_the_missing(gateway: Gateway, emulator: Emulator) -> None:
    ids = [c["id"] for c in deepest(emulator.contacts())]
    asked = [ids[2], "no-such-contact", ids[0], ids[2]]

    result = gateway.query("query($ids: [ID!]!) { contacts(contactIds: $ids) { id } }", ids=asked)

    assert result["data"]["contacts"] == [{"id": ids[2]}, None, {"id": ids[0]}, {"id": ids[2]}]
    [error] = result["errors"]
    assert error["path"] == ["contacts", 1]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert emulator.calls() == 3


def test_not_found_is_cached_briefly(gateway: Gateway, emulator: Emulator) -> None:
    query = '{ contact(contactId: "no-such-contact") { id } }'
    first = gateway.query(query)
    second = gateway.query(query)

    assert first == second
    assert first["data"] == {"contact": None}
    assert first["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert emulator.calls() == 1


def test_other_allowed_instance(gateway: Gateway, emulator: Emulator) -> None:
    other = next(c for c in emulator.contacts() if c["instanceId"] == SECOND_INSTANCE_ID)

    result = gateway.query(
        "query($id: ID!, $i: ID) { contact(contactId: $id, instanceId: $i) { id instanceId } }",
        id=other["id"],
        i=SECOND_INSTANCE_ID,
    )

    assert result == {"data": {"contact": {"id": other["id"], "instanceId": SECOND_INSTANCE_ID}}}


async def test_concurrent_cold_queries_share_upstream_calls(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway()
    contacts = emulator.contacts()
    last = deepest(contacts)[-1]
    distinct = touched_by_links(last, demo_contacts(contacts))
    emulator.fault(operation="DescribeContact", delayMs=100)  # keep every call in flight a while

    async with web.AsyncClient(base_url=gateway.url, timeout=60) as client:
        responses = await asyncio.gather(
            *(
                client.post("/graphql", json={"query": LINKS, "variables": {"id": last["id"]}})
                for _ in range(40)
            )
        )

    bodies = [r.json() for r in responses]
    assert all(body == bodies[0] for body in bodies)
    assert "errors" not in bodies[0]
    assert emulator.calls() == len(distinct)
    joins = gateway.http.get("/metrics").text
    assert 'gateway_single_flight_joins_total{kind="contact",scope="process"}' in joins


def test_an_enum_value_connect_adds_later_does_not_fail_the_contact(
    gateway: Gateway, emulator: Emulator
) -> None:
    contact = deepest(emulator.contacts())[-1]
    emulator.fault(
        operation="DescribeContact",
        contactId=contact["id"],
        patch={"Contact": {"Channel": "HOLOGRAM", "InitiationMethod": "TELEPATHY"}},
    )

    result = gateway.query(
        "query($id: ID!) { contact(contactId: $id) { id channel initiationMethod } }",
        id=contact["id"],
    )

    assert result == {
        "data": {
            "contact": {
                "id": contact["id"],
                "channel": "UNRECOGNIZED",
                "initiationMethod": "UNRECOGNIZED",
            }
        }
    }
