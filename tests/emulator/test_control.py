"""The /_emulator test endpoints: stats, reset and the contacts listing."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
from botocore.exceptions import ClientError

from gateway.emulator import DEMO_INSTANCE_ID, SECOND_INSTANCE_ID
from gateway.emulator.world.dataset import build_dataset
from tests import web

DATASET = build_dataset()
CONTACT = next(iter(DATASET.instances[DEMO_INSTANCE_ID].contacts))
NO_EVENTS = {
    "published": 0,
    "sent": 0,
    "dropped": 0,
    "duplicated": 0,
    "reordered": 0,
    "retried": 0,
    "failed": 0,
    "pending": 0,
}
SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=x/20261102/us-east-1/connect/aws4_request"}


def test_stats_count_calls_per_operation(control: httpx.Client, connect: Any) -> None:
    assert control.get("/_emulator/stats").json() == {
        "calls": {},
        "throttled": {},
        "events": NO_EVENTS,
    }
    for _ in range(3):
        connect.describe_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=CONTACT)
    for call in (
        lambda: connect.describe_contact(InstanceId=DEMO_INSTANCE_ID, ContactId="missing"),
        lambda: connect.describe_instance(InstanceId=DEMO_INSTANCE_ID),
    ):
        with contextlib.suppress(ClientError):
            call()
    control.get(f"/contacts/{DEMO_INSTANCE_ID}/{CONTACT}")  # unsigned: still a call
    control.get("/nowhere", headers=SIGNED)  # no operation: not counted
    control.get("/_emulator/contacts")
    assert control.get("/_emulator/stats").json() == {
        "calls": {"DescribeContact": 5, "DescribeInstance": 1},
        "throttled": {},
        "events": NO_EVENTS,
    }


def test_reset_zeroes_counters_and_clears_faults(control: httpx.Client, connect: Any) -> None:
    connect.describe_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=CONTACT)
    control.post(
        "/_emulator/faults", json={"operation": "DescribeContact", "error": "ThrottlingException"}
    )
    assert control.post("/_emulator/reset").json() == {"ok": True}
    assert control.get("/_emulator/stats").json() == {
        "calls": {},
        "throttled": {},
        "events": NO_EVENTS,
    }
    assert control.get("/_emulator/faults").json() == {"faults": []}
    assert connect.describe_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=CONTACT)["Contact"]


async def test_counters_are_exact_under_concurrency(control: httpx.Client) -> None:
    base = str(control.base_url)
    async with web.AsyncClient(base_url=base, headers=SIGNED) as client:
        path = f"/contacts/{DEMO_INSTANCE_ID}/{CONTACT}"
        responses = await asyncio.gather(*(client.get(path) for _ in range(60)))
        stats = (await client.get("/_emulator/stats")).json()
    assert {response.status_code for response in responses} == {200}
    assert stats["calls"] == {"DescribeContact": 60}


def test_contacts_listing(control: httpx.Client) -> None:
    rows = control.get("/_emulator/contacts").json()["contacts"]
    assert len(rows) == sum(len(instance.contacts) for instance in DATASET.instances.values())
    assert {row["instanceId"] for row in rows} == {DEMO_INSTANCE_ID, SECOND_INSTANCE_ID}
    links = ("initialContactId", "previousContactId", "relatedContactId", "contactAssociationId")
    for row in rows:
        record = DATASET.instances[row["instanceId"]].contacts[row["id"]]
        assert row["channel"] == record["Channel"]
        assert row["initiationMethod"] == record["InitiationMethod"]
        assert row["disconnected"] is ("DisconnectTimestamp" in record)
        for link in links:
            assert link in row
            assert row[link] == record.get(link[0].upper() + link[1:])
        assert row["attributeCount"] == len(record.get("Attributes", {}))
        assert row["referenceCount"] == len(
            DATASET.instances[row["instanceId"]].references.get(row["id"], [])
        )
    purged = [
        r
        for r in rows
        if r["previousContactId"] and r["previousContactId"] not in {x["id"] for x in rows}
    ]
    assert len(purged) == 1
    assert rows[0]["initiationTimestamp"].endswith("Z")
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        root = by_id[row["rootContactId"]]
        assert root["instanceId"] == row["instanceId"]
        assert not {root["previousContactId"], root["relatedContactId"]} & set(by_id)
