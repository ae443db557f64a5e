"""Redis between replicas, done right: a hung Redis never hangs a request, lease keys in
their own namespace, and a replica that fails a fetch tells the waiters at once."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.shared.coordination import Coordinator, Unavailable
from tests import web
from tests.chains import demo_contacts
from tests.conftest import REDIS_URL, restart_redis
from tests.support import Emulator, Gateway

CONTACT = "query($id: ID!) { contact(contactId: $id) { id channel } }"


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A socket that accepts connections and never answers: a hung Redis."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@pytest.mark.long
def test_a_hung_redis_does_not_hang_queries(
    start_gateway: Callable[..., Gateway], emulator: Emulator, hung_redis: str
) -> None:
    gateway = start_gateway(cache_url=hung_redis, cache_timeout_seconds=0.3, quota_rate=None)
    ids = list(demo_contacts(emulator.contacts()))[:3]

    for contact_id in ids:
        started = time.monotonic()
        answer = gateway.query(CONTACT, id=contact_id)
        assert answer["data"]["contact"]["id"] == contact_id
        # One cache read times out (0.3 s), then Redis is skipped; the quota goes local.
        assert time.monotonic() - started < 2.5
    started = time.monotonic()
    assert gateway.http.get("/readyz").json()["status"] == "degraded"
    assert time.monotonic() - started < 2


async def test_every_call_is_bounded_and_marks_redis_down(hung_redis: str) -> None:
    coordinator = Coordinator(hung_redis, "t", 0.2)
    started = time.monotonic()
    with pytest.raises(Unavailable):
        await coordinator.eval("return 1", ["k"])
    assert time.monotonic() - started < 1
    assert coordinator.degraded
    started = time.monotonic()
    with pytest.raises(Unavailable):
        await coordinator.run("get", lambda c: c.get("k"))  # down: refused at once
    assert time.monotonic() - started < 0.05
    async with coordinator.lease("k", 10) as lease:
        assert lease.mine  # no Redis: every replica fetches for itself
    await coordinator.close()


async def test_a_restarted_redis_is_used_again_without_a_false_alarm(
    private_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    """The pool's connections to the Redis that stopped are closed under it: each is
    replaced on first use and the command sent again, instead of reporting Redis down (the
    soak saw replicas flip between the shared quota and their own for 15 s after a restart,
    one stale connection at a time)."""
    url, server = private_redis
    coordinator = Coordinator(url, "t", 1.0)
    try:
        # Several connections in the pool: commands in flight together each take one.
        await asyncio.gather(
            *(coordinator.run("get", lambda c: c.blpop(["t:none"], 0.2)) for _ in range(4))
        )
        assert len(coordinator._client.connection_pool._available_connections) >= 4
        server.kill()
        server.wait()
        again = await asyncio.to_thread(restart_redis, url)  # answering when it returns
        try:
            results = await asyncio.gather(
                *(coordinator.run("get", lambda c: c.blpop(["t:none"], 0.2)) for _ in range(4))
            )

            assert results == [None] * 4
            assert not coordinator.degraded
        finally:
            again.kill()
            again.wait()
    finally:
        await coordinator.close()


@pytest.mark.redis
async def test_a_call_begun_before_a_failure_does_not_end_the_fallback() -> None:
    coordinator = Coordinator(REDIS_URL, "t", 0.5)
    try:
        slow = asyncio.ensure_future(coordinator.run("get", lambda c: c.blpop(["t:none"], 0.3)))
        await asyncio.sleep(0.05)
        coordinator._failed("get", ConnectionError("as if another call had just failed"))
        assert await slow is None  # answered after the failure, but begun before it

        assert coordinator.degraded
    finally:
        await coordinator.close()


@pytest.mark.redis
async def test_acl_users_connect_through_the_url(redis_namespace: str) -> None:
    admin = redis.Redis.from_url(REDIS_URL)
    user = f"{redis_namespace}-user"
    admin.acl_setuser(
        user, enabled=True, passwords=["+s3cret"], keys=[f"{redis_namespace}:*"], commands=["+@all"]
    )
    try:
        coordinator = Coordinator(f"redis://{user}:s3cret@127.0.0.1:6379/0", redis_namespace, 1.0)
        assert await coordinator.ping()
        await coordinator.run("set", lambda c: c.set(coordinator.key("k"), "v"))
        assert admin.get(f"{redis_namespace}:k") == b"v"
        await coordinator.close()
        wrong = Coordinator(f"redis://{user}:nope@127.0.0.1:6379/0", redis_namespace, 1.0)
        assert not await wrong.ping()
        await wrong.close()
    finally:
        admin.acl_deluser(user)
        admin.close()


@pytest.mark.redis
async def test_a_failed_fetch_wakes_the_other_replicas_waiters_at_once(
    start_gateway: Callable[..., Gateway], emulator: Emulator, redis_namespace: str
) -> None:
    settings = {"cache_url": REDIS_URL, "cache_namespace": redis_namespace}
    first, second = start_gateway(**settings), start_gateway(**settings)
    contact = next(iter(demo_contacts(emulator.contacts())))
    emulator.fault(
        operation="DescribeContact", error="InternalServiceException", delayMs=1500, times=1
    )
    body = {"query": CONTACT, "variables": {"id": contact}}
    lease = f"{redis_namespace}:lease:{{contact:v2:{DEMO_INSTANCE_ID}:{contact}}}"
    admin = redis.Redis.from_url(REDIS_URL)

    async with web.AsyncClient(timeout=60) as client:
        holder = asyncio.ensure_future(client.post(f"{first.url}/graphql", json=body))
        while not admin.exists(lease):  # noqa: ASYNC110 (the first replica takes the lease)
            await asyncio.sleep(0.01)
        started = time.monotonic()
        waiter = await client.post(f"{second.url}/graphql", json=body)
        waited = time.monotonic() - started
        held = await holder

    admin.close()
    codes = [r.json()["errors"][0]["extensions"]["code"] for r in (held, waiter)]
    assert codes == ["UPSTREAM_UNAVAILABLE", "UPSTREAM_UNAVAILABLE"]
    assert emulator.calls() == 1  # the waiter did not call: it learned the holder failed
    # ... as soon as it failed (1.5 s in), not when the lease (15 s here) ran out.
    assert waited < 5
