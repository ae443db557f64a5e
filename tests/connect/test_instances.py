"""Several instances in several regions and accounts (GATEWAY_INSTANCES): one emulator per
region, each its own account; the second account's instance reached through a role the
gateway assumes (STS AssumeRole on that region's emulator, with an external ID), its
credentials refreshed by botocore before they expire. Real servers, unmodified boto3."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from gateway.core.settings import Settings
from gateway.emulator import DEMO_INSTANCE_ID, EmulatorOptions, create_emulator_app
from gateway.http.servers import ServerThread
from tests import web
from tests.events import contact_event
from tests.support import Emulator, running_gateway

EAST, WEST = "111111111111", "222222222222"
WEST_INSTANCE = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
ROLE = f"arn:aws:iam::{WEST}:role/contact-gateway"
EXTERNAL_ID = "acme-7"
LIFETIME = 901  # seconds: botocore refreshes 15 minutes (900 s) ahead, so after 1 s

CONTACT = """query($id: ID!, $instance: ID) {
  contact(contactId: $id, instanceId: $instance) { id arn instanceId }
}"""


class Region:
    def __init__(self, emulator: Emulator, instance: str, region: str, account: str) -> None:
        self.emulator, self.instance, self.region, self.account = (
            emulator,
            instance,
            region,
            account,
        )
        self.arn = f"arn:aws:connect:{region}:{account}:instance/{instance}"

    def contacts(self) -> list[str]:
        return [c["id"] for c in self.emulator.contacts()]


@pytest.fixture(scope="module")
def regions() -> Iterator[tuple[Region, Region]]:
    east = EmulatorOptions(region="us-east-1", account_id=EAST)
    west = EmulatorOptions(
        region="eu-west-2",
        account_id=WEST,
        instance_id=WEST_INSTANCE,
        only_assumed_roles=True,  # base credentials are refused: only the role gets in
        role_external_id=EXTERNAL_ID,
        sts_credential_seconds=LIFETIME,
    )
    with ExitStack() as stack:
        servers = [stack.enter_context(ServerThread(create_emulator_app(o))) for o in (east, west)]
        emulators = [Emulator(server.url) for server in servers]
        for emulator in emulators:
            stack.callback(emulator.http.close)
        yield (
            Region(emulators[0], DEMO_INSTANCE_ID, "us-east-1", EAST),
            Region(emulators[1], WEST_INSTANCE, "eu-west-2", WEST),
        )


def _settings(east: Region, west: Region, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "instances": f"{east.arn}, {west.arn} role={ROLE} external-id={EXTERNAL_ID}",
        "connect_endpoint_url": f"us-east-1={east.emulator.url},eu-west-2={west.emulator.url}",
        "connect_max_attempts": 1,
        "quota_rate": "off",
        "auth": "none",
    }
    return Settings(**(values | overrides))


@pytest.fixture
def pair(regions: tuple[Region, Region]) -> tuple[Region, Region]:
    for region in regions:
        region.emulator.reset()
    return regions


def test_answers_contacts_of_both_regions(pair: tuple[Region, Region]) -> None:
    east, west = pair
    with running_gateway(_settings(east, west)) as gateway:
        mine, theirs = east.contacts()[0], west.contacts()[0]
        assert mine != theirs

        first = gateway.query(CONTACT, id=mine)["data"]["contact"]  # the default: east
        second = gateway.query(CONTACT, id=theirs, instance=west.arn)["data"]["contact"]
        by_id = gateway.query(CONTACT, id=theirs, instance=WEST_INSTANCE)["data"]["contact"]

        assert first["instanceId"] == DEMO_INSTANCE_ID
        assert first["arn"].startswith(f"{east.arn}/contact/")
        assert second == by_id
        assert second["instanceId"] == WEST_INSTANCE
        assert second["arn"].startswith(f"{west.arn}/contact/")
        # Each region's emulator got its own instance's call, the second through the role.
        assert east.emulator.calls() == 1
        assert west.emulator.calls() == 1
        assert west.emulator.calls("AssumeRole") == 1
        assert east.emulator.calls("AssumeRole") == 0
        # A contact of the second instance asked of the default one: not there.
        answer = gateway.query(CONTACT, id=theirs)
        assert answer["data"]["contact"] is None


def test_an_unlisted_instance_is_refused_before_any_call(pair: tuple[Region, Region]) -> None:
    east, west = pair
    with running_gateway(_settings(east, west)) as gateway:
        other = (
            "arn:aws:connect:eu-west-2:222222222222:instance/99999999-aaaa-bbbb-cccc-000000000000"
        )
        answer = gateway.query(CONTACT, id=west.contacts()[0], instance=other)
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert west.emulator.calls() == 0
        assert west.emulator.calls("AssumeRole") == 0


def _wait_sum(metrics: str, region: Region) -> float:
    labels = f'account="{region.account}",operation="DescribeContact",region="{region.region}"'
    match = re.search(rf"gateway_quota_wait_seconds_sum\{{{labels}\}} (\S+)", metrics)
    assert match, f"no quota waits for {region.region}"
    return float(match.group(1))


@pytest.mark.long
async def test_each_region_has_its_own_quota(pair: tuple[Region, Region]) -> None:
    """Four callers queue for east's DescribeContact (1 a second, burst 1): a call to west
    meanwhile waits for nothing, since Connect counts each region's quota apart."""
    east, west = pair
    settings = _settings(
        east, west, quota_rate=None, quotas="DescribeContact=1/1", quota_share=1, quota_headroom=1
    )
    with running_gateway(settings) as gateway:
        async with web.AsyncClient(base_url=gateway.url, timeout=60) as client:

            async def ask(contact: str, instance: str | None = None) -> dict[str, Any]:
                body = {"query": CONTACT, "variables": {"id": contact, "instance": instance}}
                return (await client.post("/graphql", json=body)).json()  # type: ignore[no-any-return]

            queued = [asyncio.create_task(ask(c)) for c in east.contacts()[:4]]
            await asyncio.sleep(0.3)  # they have reserved their turns, up to 5 s ahead
            theirs = await ask(west.contacts()[0], WEST_INSTANCE)
            answers = await asyncio.gather(*queued)

        assert theirs["data"]["contact"]["instanceId"] == WEST_INSTANCE
        assert all(a["data"]["contact"] for a in answers), [a.get("errors") for a in answers]
        metrics = gateway.http.get("/metrics").text
        assert _wait_sum(metrics, west) == 0.0
        assert _wait_sum(metrics, east) >= 1 + 2  # the queue behind the burst (up to 3 s)


def test_the_role_is_assumed_again_before_its_credentials_expire(
    pair: tuple[Region, Region],
) -> None:
    """The second account's emulator takes only the role's credentials, which it issues for
    901 s: botocore refreshes them once fewer than 900 s are left, before they expire."""
    east, west = pair
    with running_gateway(_settings(east, west, ttl_ended_seconds=0)) as gateway:
        first, second = west.contacts()[:2]
        assert gateway.query(CONTACT, id=first, instance=WEST_INSTANCE)["data"]["contact"]
        assert west.emulator.calls("AssumeRole") == 1
        time.sleep(1.2)  # real time: the credentials' expiry is botocore's wall clock
        assert gateway.query(CONTACT, id=second, instance=WEST_INSTANCE)["data"]["contact"]
        assert west.emulator.calls("AssumeRole") == 2
        assert west.emulator.calls() == 2  # both answered with valid credentials


def _event(region: Region, contact_id: str, account: str | None = None) -> dict[str, Any]:
    event = contact_event(region.instance, contact_id)
    arn = region.arn.replace(region.account, account or region.account)
    event.update(account=account or region.account, region=region.region)
    event["resources"] = [f"{arn}/contact/{contact_id}"]
    event["detail"]["instanceArn"] = arn
    return event


def test_events_of_each_listed_account_are_taken(pair: tuple[Region, Region]) -> None:
    east, west = pair
    with running_gateway(_settings(east, west, events=True)) as gateway:
        theirs = west.contacts()[0]
        ok = gateway.http.post(
            "/events", json=[_event(east, east.contacts()[0]), _event(west, theirs)]
        )
        assert (ok.status_code, ok.json()) == (202, {"accepted": 2, "ignored": 0})

        stranger = gateway.http.post("/events", json=_event(west, theirs, account="333333333333"))
        assert stranger.status_code == 400
        assert "another AWS account" in stranger.json()["errors"][0]["message"]
