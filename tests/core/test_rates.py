"""Connect's quotas per operation: GATEWAY_QUOTAS and the emulator's --connect-quotas and
--quota, counted on the emulator."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import boto3
import pytest
from pydantic import ValidationError

from gateway.core.rates import CONNECT_DEFAULT, CONNECT_QUOTAS, Rate, parse_rates
from gateway.core.settings import Settings
from gateway.emulator import DEMO_INSTANCE_ID, EmulatorOptions, create_emulator_app
from gateway.http.servers import ServerThread
from tests import web
from tests.chains import demo_contacts
from tests.support import Emulator, Process, running_gateway

CONTACT = "query($id: ID!) { contact(contactId: $id) { id channel } }"


def test_quotas_default_to_connects_and_are_overridden_one_by_one() -> None:
    rates = Settings(quotas="SearchContacts=0.2/1, DescribeContact=5/10").rates
    assert rates is not None
    assert rates.of("DescribeContact") == Rate(5, 10)
    assert rates.of("SearchContacts") == Rate(0.2, 1)
    assert rates.of("GetContactAttributes") == Rate(10, 15)
    assert rates.of("DescribeUser") == Rate(2, 5)
    assert rates.of("UpdateContact") == CONNECT_DEFAULT


def test_quota_rate_replaces_the_defaults_and_quotas_still_win() -> None:
    rates = Settings(quota_rate=4, quota_burst=6, quotas="SearchContacts=0.5/1").rates
    assert rates is not None
    assert rates.of("DescribeContact") == Rate(4, 6)
    assert rates.of("SearchContacts") == Rate(0.5, 1)
    assert Settings(quota_rate="off", quotas="SearchContacts=0.5/1").rates is None


@pytest.mark.parametrize(
    "text", ["SearchContacts", "SearchContacts=0/1", "SearchContacts=1/0", "search=1/1", "X=a/1"]
)
def test_bad_quotas_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="quotas"):
        Settings(quotas=text)


def test_parse_rates_later_entries_win() -> None:
    assert parse_rates("DescribeContact=1/2,DescribeContact=3/4") == {"DescribeContact": Rate(3, 4)}


@pytest.fixture(scope="module")
def connect_emulator() -> Iterator[Emulator]:
    """An emulator at Connect's default quotas, as `--connect-quotas` runs it."""
    options = EmulatorOptions(
        rate=CONNECT_DEFAULT.per_second, burst=CONNECT_DEFAULT.burst, quotas=CONNECT_QUOTAS
    )
    with ServerThread(create_emulator_app(options)) as server:
        client = Emulator(server.url)
        yield client
        client.http.close()


def _hammer(url: str, operation: str, n: int) -> tuple[int, float]:
    """Sends `n` calls of `operation`; how many passed (not 429), and in how many seconds."""
    client = boto3.client(
        "connect",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=boto3.session.Config(retries={"total_max_attempts": 1}),
    )
    passed, started = 0, time.monotonic()
    for _ in range(n):
        try:
            if operation == "SearchContacts":
                client.search_contacts(
                    InstanceId=DEMO_INSTANCE_ID,
                    TimeRange={
                        "Type": "INITIATION_TIMESTAMP",
                        "StartTime": "2020-01-01T00:00:00Z",
                        "EndTime": "2020-01-02T00:00:00Z",
                    },
                )
            else:
                client.describe_user(InstanceId=DEMO_INSTANCE_ID, UserId="nobody")
            passed += 1
        except client.exceptions.ClientError as error:
            passed += error.response["ResponseMetadata"]["HTTPStatusCode"] != 429
    elapsed = time.monotonic() - started
    client.close()
    return passed, elapsed


def _within(result: tuple[int, float], rate: Rate) -> bool:
    """The calls that passed are the burst, plus what the rate refilled meanwhile."""
    passed, elapsed = result
    return rate.burst <= passed <= rate.burst + rate.per_second * elapsed


def test_the_emulator_limits_each_operation_at_its_own_quota(connect_emulator: Emulator) -> None:
    assert _within(_hammer(connect_emulator.url, "SearchContacts", 12), Rate(0.5, 1))
    assert _within(_hammer(connect_emulator.url, "DescribeUser", 20), Rate(2, 5))


@pytest.mark.long
def test_a_cold_burst_of_50_contacts_at_connects_quotas_draws_no_429(
    connect_emulator: Emulator,
) -> None:
    connect_emulator.reset()
    ids = list(demo_contacts(connect_emulator.contacts()))[:50]
    settings = Settings(
        connect_endpoint_url=connect_emulator.url,
        instance_id=DEMO_INSTANCE_ID,
        auth="none",
        cache_namespace="test-cold-burst",
        quota_wait_seconds=30,  # a loaded machine may take longer than the 4 s it needs
    )  # the quota guard at its defaults: Connect's

    async def ask(url: str) -> list[dict[str, object]]:
        async with web.AsyncClient(base_url=url, timeout=60) as client:
            answers = await asyncio.gather(
                *(
                    client.post("/graphql", json={"query": CONTACT, "variables": {"id": i}})
                    for i in ids
                )
            )
        return [answer.json() for answer in answers]

    with running_gateway(settings) as gateway:
        answers = asyncio.run(ask(gateway.url))

    assert connect_emulator.stats()["throttled"] == {}
    assert [a for a in answers if "errors" in a] == []
    assert connect_emulator.calls() == 50


def test_emulator_command_takes_connect_quotas_and_overrides() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    process = Process(
        "emulator", "--port", "0", "--connect-quotas", "--quota", "DescribeUser=1/2", env=env
    )
    try:
        match, _ = process.wait_for(r"running on (http://[\d.]+:\d+)")
        url = match.group(1)
        assert _within(_hammer(url, "DescribeUser", 12), Rate(1, 2))
        assert _within(_hammer(url, "SearchContacts", 12), CONNECT_QUOTAS["SearchContacts"])
    finally:
        process.stop()
