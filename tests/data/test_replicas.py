"""Several replicas in front of one Connect: real gateway processes, real Redis, the
emulator's quota. Upstream calls and 429s counted by the emulator."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Iterator

import pytest

from gateway.emulator import DEMO_INSTANCE_ID, EmulatorOptions, create_emulator_app
from gateway.http.servers import ServerThread
from tests import web
from tests.chains import demo_contacts
from tests.conftest import REDIS_URL
from tests.support import Emulator, Gateway, gateway_process

CONTACT = "query($id: ID!) { contact(contactId: $id) { id channel } }"


@pytest.fixture(scope="module")
def quota_emulator() -> Iterator[Emulator]:
    """An emulator holding Connect's quota: 5 requests a second per operation, burst 10."""
    with ServerThread(create_emulator_app(EmulatorOptions(rate=5, burst=10))) as server:
        client = Emulator(server.url)
        yield client
        client.http.close()


async def _ask(gateways: list[Gateway], ids: list[str]) -> list[dict[str, object]]:
    async with web.AsyncClient(timeout=60) as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    f"{gateways[n % len(gateways)].url}/graphql",
                    json={"query": CONTACT, "variables": {"id": contact_id}},
                )
                for n, contact_id in enumerate(ids)
            )
        )
    return [answer.json() for answer in answers]


@pytest.mark.long
@pytest.mark.redis
async def test_a_cold_contact_is_fetched_once_by_all_replicas(
    emulator: Emulator, redis_namespace: str, shared_url: str
) -> None:
    contact = next(iter(demo_contacts(emulator.contacts())))
    settings = {
        "connect_endpoint_url": emulator.url,
        "instance_id": DEMO_INSTANCE_ID,
        "cache_url": shared_url,
        "cache_namespace": redis_namespace,
        "quota_rate": "off",
    }
    with gateway_process(**settings) as first, gateway_process(**settings) as second:
        emulator.fault(operation="DescribeContact", delayMs=300)
        answers = await _ask([first, second], [contact] * 20)

    assert all(a == {"data": {"contact": answers[0]["data"]["contact"]}} for a in answers)  # type: ignore[index]
    assert emulator.calls() == 1


@pytest.mark.long
@pytest.mark.redis
async def test_the_shared_quota_keeps_429s_at_zero(
    quota_emulator: Emulator,
    start_gateway: Callable[..., Gateway],
    redis_namespace: str,
    shared_url: str,
) -> None:
    quota_emulator.reset()
    ids = list(demo_contacts(quota_emulator.contacts()))[:30]
    settings = {
        "connect_endpoint_url": quota_emulator.url,
        "cache_url": shared_url,
        "cache_namespace": redis_namespace,
        "cache_timeout_seconds": 10,  # a loaded machine is not a Redis outage
        "quota_rate": 5,
        "quota_burst": 10,
        "quota_wait_seconds": 20,
    }
    replicas = [start_gateway(**settings), start_gateway(**settings)]

    answers = await _ask(replicas, ids)

    assert [a.get("errors") for a in answers if "errors" in a] == []
    assert [a["data"]["contact"]["id"] for a in answers] == ids  # type: ignore[index]
    assert quota_emulator.throttled() == 0
    assert quota_emulator.calls() == 30


@pytest.mark.redis
async def test_without_the_quota_guard_the_same_burst_draws_429s(
    quota_emulator: Emulator, start_gateway: Callable[..., Gateway], redis_namespace: str
) -> None:
    quota_emulator.reset()
    ids = list(demo_contacts(quota_emulator.contacts()))[30:60]
    replica = start_gateway(
        connect_endpoint_url=quota_emulator.url,
        cache_url=REDIS_URL,
        cache_namespace=redis_namespace,
    )

    answers = await _ask([replica], ids)

    assert quota_emulator.throttled() > 0
    assert any("errors" in a for a in answers)


def test_answers_keep_coming_when_redis_stops(
    start_gateway: Callable[..., Gateway],
    emulator: Emulator,
    private_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, server = private_redis
    gateway = start_gateway(cache_url=url)
    ids = list(demo_contacts(emulator.contacts()))[:6]
    for contact_id in ids[:3]:
        assert gateway.query(CONTACT, id=contact_id)["data"]["contact"]["id"] == contact_id
    assert gateway.http.get("/readyz").json()["status"] == "ready"

    server.kill()
    server.wait()

    for contact_id in ids:  # cached before, and new ones
        assert gateway.query(CONTACT, id=contact_id)["data"]["contact"]["id"] == contact_id
    assert gateway.http.get("/readyz").json() == {
        "status": "degraded",
        "checks": {"cache": "unavailable"},
    }
    calls = emulator.calls()
    for contact_id in ids:  # the process's own cache serves while Redis is away
        gateway.query(CONTACT, id=contact_id)
    assert emulator.calls() == calls
