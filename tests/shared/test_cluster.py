"""The shared store as a Redis Cluster (as ElastiCache Serverless, MemoryDB and Valkey
clusters are): detected from one node, shared by replicas, honest in /readyz, and
following a failover. The replica, events and quota tests run on a cluster too
(`shared_url`); these are the cluster's own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from gateway.shared.coordination import Coordinator
from tests import web
from tests.chains import demo_contacts
from tests.cluster import Cluster, running_cluster
from tests.support import Emulator, Gateway

pytestmark = pytest.mark.redis

CONTACT = "query($id: ID!) { contact(contactId: $id) { id channel } }"


async def test_the_node_says_it_is_a_cluster(redis_cluster: Cluster, redis_namespace: str) -> None:
    coordinator = Coordinator(redis_cluster.url, redis_namespace, 1.0, cluster="auto")
    try:
        assert await coordinator.cluster_mode()
        await coordinator.run("set", lambda c: c.set(coordinator.tagged("k"), "v"))
        assert await coordinator.run("get", lambda c: c.get(coordinator.tagged("k"))) == b"v"
    finally:
        await coordinator.close()


async def test_a_database_other_than_0_stops_the_start(redis_cluster: Cluster) -> None:
    url = redis_cluster.url.rsplit("/", 1)[0] + "/3"
    coordinator = Coordinator(url, "x", 1.0, cluster="auto")
    try:
        with pytest.raises(ValueError, match="only database 0"):
            await coordinator.connect()
    finally:
        await coordinator.close()


async def test_forty_contacts_through_two_replicas_cost_forty_calls(
    start_gateway: Callable[..., Gateway],
    emulator: Emulator,
    redis_cluster: Cluster,
    redis_namespace: str,
) -> None:
    settings = {
        "cache_url": redis_cluster.url,
        "cache_namespace": redis_namespace,
        "cache_timeout_seconds": 10,  # a loaded machine is not a Redis outage
    }
    replicas = [start_gateway(**settings), start_gateway(**settings)]
    ids = list(demo_contacts(emulator.contacts()))[:40]
    emulator.reset()
    async with web.AsyncClient(timeout=60) as client:
        for gateway in replicas:
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"{gateway.url}/graphql", json={"query": CONTACT, "variables": {"id": i}}
                    )
                    for i in ids
                )
            )
            assert [a.json()["data"]["contact"]["id"] for a in answers] == ids
    assert emulator.calls() <= 42
    ready = replicas[1].http.get("/readyz").json()
    assert ready == {"status": "ready", "checks": {"cache": "ok"}}


def test_readyz_is_degraded_while_shared_operations_fail(
    start_gateway: Callable[..., Gateway],
    emulator: Emulator,
    redis_cluster: Cluster,
    redis_namespace: str,
) -> None:
    # Told it is one Redis: the node answers PING, and MOVED to most GETs.
    gateway = start_gateway(
        cache_url=redis_cluster.url, cache_cluster="off", cache_namespace=redis_namespace
    )
    for contact_id in list(demo_contacts(emulator.contacts()))[:10]:
        gateway.query(CONTACT, id=contact_id)
    ready = gateway.http.get("/readyz").json()
    assert ready["status"] == "degraded"
    assert ready["checks"]["cache"] == "failing (error)"
    metrics = gateway.http.get("/metrics").text
    assert 'gateway_shared_store_failures_total{kind="error"}' in metrics


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A cluster of this test's own: it loses a primary."""
    with running_cluster() as cluster:
        yield cluster


@pytest.mark.long(9)
async def test_a_primary_lost_mid_load_gives_no_5xx_and_sharing_resumes(
    start_gateway: Callable[..., Gateway],
    emulator: Emulator,
    own_cluster: Cluster,
    redis_namespace: str,
) -> None:
    settings = {"cache_url": own_cluster.url, "cache_namespace": redis_namespace}
    replicas = [start_gateway(**settings), start_gateway(**settings)]
    ids = list(demo_contacts(emulator.contacts()))[:60]
    statuses: list[int] = []
    lost: list[str] = []

    async def load(client: httpx.AsyncClient, until: float) -> None:
        n = 0
        while time.monotonic() < until:
            gateway, contact_id = replicas[n % 2], ids[n % len(ids)]
            n += 1
            answer = await client.post(
                f"{gateway.url}/graphql", json={"query": CONTACT, "variables": {"id": contact_id}}
            )
            statuses.append(answer.status_code)
            if answer.status_code != 200 or answer.json()["data"]["contact"] is None:
                lost.append(contact_id)

    async with web.AsyncClient(timeout=60) as client:
        loading = asyncio.ensure_future(load(client, time.monotonic() + 8))
        await asyncio.sleep(1)  # load running before the primary goes
        own_cluster.stop(own_cluster.primaries()[0])
        await loading
    assert statuses
    assert all(status < 500 for status in statuses)
    assert lost == []

    # Sharing resumes by itself: a contact new to both replicas costs one call.
    started = time.monotonic()
    fresh = list(demo_contacts(emulator.contacts()))[100:]
    while True:
        contact_id = fresh.pop()
        emulator.reset()
        for gateway in replicas:
            gateway.query(CONTACT, id=contact_id)
        if emulator.calls() == 1:
            break
        assert time.monotonic() - started < 15, "sharing did not resume within 15 s"
        await asyncio.sleep(0.5)
