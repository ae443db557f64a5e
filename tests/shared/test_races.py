"""Races in the data path, each made deterministic: a proxy in front of Redis paused or
holding answers at a chosen moment, the emulator delaying a call, and conditions polled
(never a sleep that hopes to hit the window). Real stores, real Redis, real boto3."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import boto3
import pytest
import redis
from redis.backoff import ExponentialWithJitterBackoff

from gateway.connect.quota import Quota
from gateway.core import deadline
from gateway.core.errors import UpstreamUnavailable
from gateway.core.rates import Rates
from gateway.data.invalidation import Change, Invalidations, tag
from gateway.data.kinds import ASSOCIATED, CONTACT
from gateway.data.loaders import Loaders
from gateway.shared.coordination import Coordinator, Unavailable
from tests.chains import demo_contacts
from tests.conftest import REDIS_URL
from tests.redisproxy import redis_proxy
from tests.stores import StoreFor, close, replica, store_factory
from tests.support import Emulator


@pytest.fixture
def contact(emulator: Emulator) -> tuple[str, str]:
    first = next(iter(demo_contacts(emulator.contacts()).values()))
    return first["instanceId"], first["id"]


async def until(condition: Callable[[], bool | Awaitable[bool]], seconds: float = 5) -> None:
    """Polls `condition` until it holds (a state to reach, not a time to wait)."""
    async with asyncio.timeout(seconds):
        while True:
            result = condition()
            if result if isinstance(result, bool) else await result:
                return
            await asyncio.sleep(0.01)


def _redis_key(namespace: str, instance: str, contact_id: str, role: str = "") -> str:
    prefix = f"{namespace}:{role}:" if role else f"{namespace}:"
    return f"{prefix}{{contact:v2:{instance}:{contact_id}}}"


@pytest.mark.redis
async def test_a_value_fetched_before_an_event_is_never_stored_as_fresh_after_it(
    emulator: Emulator, store_for: StoreFor, redis_namespace: str, contact: tuple[str, str]
) -> None:
    instance, contact_id = contact
    admin = redis.Redis.from_url(REDIS_URL)
    emulator.reset()
    emulator.fault(operation="DescribeContact", delayMs=300, times=1)
    async with redis_proxy() as proxy:
        slow = await replica(store_for, proxy.url, redis_namespace, redis_timeout=10)
        other = await replica(store_for, REDIS_URL, redis_namespace)
        try:
            reading = asyncio.ensure_future(slow[1].get(CONTACT, instance, contact_id))
            lease = _redis_key(redis_namespace, instance, contact_id, "lease")
            await until(lambda: bool(admin.exists(lease)))  # the fetch is out
            # The slow replica's write (and its hearing of the event) land after the event.
            proxy.pause()
            await other[2].publish([tag("contact", instance, contact_id)])
            proxy.resume()
            await reading

            stored = json.loads(admin.get(_redis_key(redis_namespace, instance, contact_id)))
            assert stored["overtaken"] is True, "the pre-event value is not fresh"
            assert stored["ttl"] == 0
            await other[1].get(CONTACT, instance, contact_id)
            assert emulator.calls() == 2, "the next reader asks Connect again"
        finally:
            await close(slow, other)
    admin.close()


@pytest.mark.long
@pytest.mark.redis
async def test_a_publish_never_waits_on_a_redis_that_stopped_answering(
    emulator: Emulator, store_for: StoreFor, redis_namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "gateway.data.invalidation._BACKOFF", ExponentialWithJitterBackoff(0.2, 0.05)
    )
    heard: list[list[str]] = []
    async with redis_proxy() as proxy:
        cut = await replica(store_for, proxy.url, redis_namespace)
        other = await replica(store_for, REDIS_URL, redis_namespace)
        other[2].subscribe(heard.append)
        try:
            proxy.pause()
            async with asyncio.timeout(3):  # bounded by the cache timeout, 0.5 s a call
                await cut[2].publish(["contact:i:1"])
            proxy.resume()
            await until(lambda: ["contact:i:1"] in heard, 15)
        finally:
            await close(cut, other)


@pytest.mark.redis
async def test_a_lease_is_released_though_redis_was_left_alone_after_a_failure(
    redis_namespace: str,
) -> None:
    admin = redis.Redis.from_url(REDIS_URL)
    async with redis_proxy() as proxy:
        coordinator = Coordinator(proxy.url, redis_namespace, 0.3)
        try:
            async with coordinator.lease("k", 60) as lease:
                assert lease.mine
                proxy.pause()
                with pytest.raises(Unavailable):
                    await coordinator.run("get", lambda c: c.get("x"))
                proxy.resume()
                assert coordinator.degraded  # in its "Redis down" window as it releases
            await until(lambda: not admin.exists(lease.name), 3)
        finally:
            await coordinator.close()
    admin.close()


@pytest.mark.redis
async def test_a_lease_set_whose_answer_timed_out_is_released(redis_namespace: str) -> None:
    admin = redis.Redis.from_url(REDIS_URL)
    async with redis_proxy() as proxy:
        coordinator = Coordinator(proxy.url, redis_namespace, 0.3)
        try:
            assert await coordinator.ping()  # connected: the next command goes at once
            proxy.hold_replies()  # Redis sets the lease; its answer never comes in time
            async with coordinator.lease("k", 60) as lease:
                assert lease.mine, "fetching itself, as when Redis is down"
                assert admin.get(lease.name) == lease.token.encode()
                proxy.resume()
            await until(lambda: not admin.exists(lease.name), 3)
        finally:
            await coordinator.close()
    admin.close()


async def test_a_flight_goes_on_while_a_joiner_has_time(
    emulator: Emulator, redis_namespace: str, contact: tuple[str, str]
) -> None:
    instance, contact_id = contact
    # One DescribeContact a second: the second fetch waits about a second for its turn.
    quota = Quota(Rates.uniform(1, 1), wait=5)
    cache, store, invalidations = await replica(
        store_factory(emulator.url, quota), None, redis_namespace
    )
    others = [c["id"] for c in demo_contacts(emulator.contacts()).values()]
    try:
        await store.get(CONTACT, instance, next(o for o in others if o != contact_id))

        async def ask(seconds: float) -> Any:
            deadline.start(seconds)
            return await store.get(CONTACT, instance, contact_id)

        hurried, patient = await asyncio.gather(ask(0.2), ask(10), return_exceptions=True)
        assert isinstance(hurried, UpstreamUnavailable), "the first caller's own deadline"
        assert not isinstance(patient, BaseException), patient
        assert patient.value["Id"] == contact_id
    finally:
        await close((cache, store, invalidations))


async def test_the_quota_never_refuses_a_full_bucket_for_a_deadline_already_past() -> None:
    quota = Quota(Rates.uniform(5, 5), wait=5)
    deadline.start(-1)
    try:
        assert await quota.take("DescribeContact") == 0
    finally:
        deadline.unbounded()


async def test_tags_kept_while_redis_fails_go_with_the_next_publish_that_gets_through(
    redis_namespace: str,
) -> None:
    failing = [1]

    def publisher(tags: list[str]) -> None:
        if failing:
            failing.pop()
            raise ConnectionError("Redis is down")

    sender = Invalidations(REDIS_URL, redis_namespace)
    receiver = Invalidations(REDIS_URL, redis_namespace)
    heard: list[list[str]] = []
    receiver.subscribe(heard.append)
    sender.on_publish(publisher)
    await sender.start()
    await receiver.start()
    try:
        await sender.publish(["contact:i:1"])
        await sender.publish(["contact:i:2"])
        assert ["contact:i:1"] in heard or await _heard(heard, ["contact:i:1"])
        assert ["contact:i:2"] in heard or await _heard(heard, ["contact:i:2"])
    finally:
        await sender.close()
        await receiver.close()


async def _heard(heard: list[list[str]], batch: list[str]) -> bool:
    await until(lambda: batch in heard, 2)
    return True


@pytest.mark.redis
async def test_a_replay_that_fails_when_redis_is_back_is_tried_again(
    redis_namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "gateway.data.invalidation._BACKOFF", ExponentialWithJitterBackoff(0.05, 0.01)
    )
    failures = [1, 1]  # Redis's "down" window: the replay at resubscription fails too

    def publisher(tags: list[str]) -> None:
        if failures:
            failures.pop()
            raise ConnectionError("Redis is left alone for a few seconds")

    heard: list[list[str]] = []
    async with redis_proxy() as proxy:
        sender = Invalidations(proxy.url, redis_namespace, 0.3)
        receiver = Invalidations(REDIS_URL, redis_namespace)
        receiver.subscribe(heard.append)
        sender.on_publish(publisher)
        await sender.start()
        await receiver.start()
        try:
            await proxy.down()
            await sender.publish(["contact:i:1"])
            await asyncio.sleep(0.3)  # the first retries find Redis gone (not a race: any time)
            await proxy.up()
            await until(lambda: ["contact:i:1"] in heard, 10)
        finally:
            await sender.close()
            await receiver.close()


async def test_a_read_after_an_invalidation_never_joins_a_fetch_from_before_it(
    emulator: Emulator, store_for: StoreFor, redis_namespace: str, contact: tuple[str, str]
) -> None:
    instance, contact_id = contact
    emulator.reset()
    emulator.fault(operation="DescribeContact", delayMs=300, times=1)
    cache, store, invalidations = await replica(store_for, None, redis_namespace)
    try:
        before = asyncio.ensure_future(store.get(CONTACT, instance, contact_id))
        await until(lambda: emulator.calls() == 1)  # the fetch is out
        await invalidations.publish([tag("contact", instance, contact_id)])
        after = await store.get(CONTACT, instance, contact_id)
        await before
        assert emulator.calls() == 2, "the read after the event made its own call"
        assert after.value["Id"] == contact_id
    finally:
        await close((cache, store, invalidations))


async def test_clearing_loaders_forgets_every_kind(
    emulator: Emulator, store_for: StoreFor, redis_namespace: str, contact: tuple[str, str]
) -> None:
    instance, contact_id = contact
    cache, store, invalidations = await replica(store_for, None, redis_namespace)
    try:
        loaders = Loaders.for_request(store)
        await loaders[ASSOCIATED].load((instance, contact_id))
        await loaders[CONTACT].load((instance, contact_id))
        assert [len(loaders[CONTACT]), len(loaders[ASSOCIATED])] == [1, 1]
        loaders.clear()
        for loader in (loaders[CONTACT], loaders[ASSOCIATED]):
            assert len(loader) == 0
        assert ASSOCIATED.name == "associated"
    finally:
        await close((cache, store, invalidations))


@pytest.mark.redis
async def test_a_script_error_is_a_bug_not_an_outage(redis_namespace: str) -> None:
    failures: list[str] = []
    coordinator = Coordinator(REDIS_URL, redis_namespace, 0.5, on_failure=failures.append)
    try:
        with pytest.raises(Unavailable):
            await coordinator.eval("return redis.call('no-such-command')", [])
        assert failures == ["error"]
        assert not coordinator.degraded, "no fallback for a bug"
        assert await coordinator.run("ping", lambda c: c.ping())
    finally:
        await coordinator.close()


def test_a_deadline_shared_by_a_flight_is_the_latest_of_its_callers() -> None:
    shared = deadline.Shared(10.0)
    shared.extend(5.0)
    assert shared.at == 10.0
    shared.extend(math.inf)
    assert shared.at == math.inf


@pytest.mark.long
@pytest.mark.redis
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_reads_events_and_redis_pauses_interleaved_on_two_replicas(
    emulator: Emulator, store_for: StoreFor, redis_namespace: str, seed: int
) -> None:
    """Random reads, changes (UpdateContact, then its event at a random replica) and Redis
    pauses (shorter and longer than the Redis timeout) for a fixed number of steps. After
    each settle every replica answers what the emulator holds; no read outlives its
    deadline; Connect is asked at most once per change per replica."""
    rng = random.Random(seed)
    contacts = [c for c in demo_contacts(emulator.contacts()).values()][:3]
    connect = boto3.client(
        "connect", endpoint_url=emulator.url, region_name="us-east-1",
        aws_access_key_id="emulator", aws_secret_access_key="emulator",
    )  # fmt: skip
    emulator.reset()
    changes = 0
    async with redis_proxy() as first_proxy, redis_proxy() as second_proxy:
        proxies = [first_proxy, second_proxy]
        replicas = [
            await replica(store_for, proxy.url, redis_namespace, redis_timeout=0.2)
            for proxy in proxies
        ]
        try:
            for step in range(40):
                action = rng.choice(["read", "read", "read", "change", "pause"])
                chosen = rng.choice(contacts)
                instance, contact_id = chosen["instanceId"], chosen["id"]
                at = rng.randrange(2)
                if action == "read":
                    await _bounded_read(replicas[at][1], instance, contact_id)
                elif action == "change":
                    name = f"step {step} of seed {seed}"
                    connect.update_contact(InstanceId=instance, ContactId=contact_id, Name=name)
                    await replicas[at][2].publish([tag("contact", instance, contact_id)])
                    changes += 1
                else:
                    proxies[at].pause()
                    await _bounded_read(replicas[at][1], instance, contact_id)
                    await asyncio.sleep(rng.choice([0.05, 0.3]))
                    proxies[at].resume()
                if step % 10 == 9:
                    await _settle(replicas)
                    for store in (r[1] for r in replicas):
                        for c in contacts:
                            held = connect.describe_contact(
                                InstanceId=c["instanceId"], ContactId=c["id"]
                            )["Contact"].get("Name")
                            got = await _bounded_read(store, c["instanceId"], c["id"])
                            assert got.value.get("Name") == held, (seed, step, c["id"])
            calls = emulator.calls() - 4 * 3 * 2  # the checks' own DescribeContact calls
            assert calls <= 2 * (len(contacts) + changes) + 2 * 4, (calls, changes)
        finally:
            await close(*replicas)


async def _bounded_read(store: Any, instance: str, contact_id: str) -> Any:
    deadline.start(3)
    started = asyncio.get_running_loop().time()
    try:
        return await store.get(CONTACT, instance, contact_id)
    finally:
        assert asyncio.get_running_loop().time() - started < 3.5, "a read outlived its deadline"
        deadline.unbounded()


_settled = itertools.count()


async def _settle(replicas: list[Any]) -> None:
    """Until every replica listens and has shared what it kept, Redis is theirs again, and
    each has heard what the others published before (a marker from each, heard by all:
    pub/sub keeps a publisher's order, so what came before it has been handled)."""
    for cache, _, invalidations in replicas:
        await until(lambda i=invalidations: i.connected and not i.pending, 15)
        await until(lambda c=cache: c.coordinator.ping(), 15)
    markers = [f"settle:marker:{next(_settled)}" for _ in replicas]
    heard: list[set[str]] = [set() for _ in replicas]
    stops = [
        invalidations.subscribe(lambda tags, h=h: h.update(tags))
        for (_, _, invalidations), h in zip(replicas, heard, strict=True)
    ]
    try:
        for (_, _, invalidations), marker in zip(replicas, markers, strict=True):
            await invalidations.publish(Change.of(stored=[marker]))
        await until(lambda: all(set(markers) <= h for h in heard), 15)
    finally:
        for stop in stops:
            stop()


@pytest.mark.redis
async def test_a_waiting_replica_takes_the_holders_entry_whatever_its_clock_says(
    emulator: Emulator, store_for: StoreFor, redis_namespace: str, contact: tuple[str, str]
) -> None:
    instance, contact_id = contact
    admin = redis.Redis.from_url(REDIS_URL)
    lease = _redis_key(redis_namespace, instance, contact_id, "lease")
    entry = _redis_key(redis_namespace, instance, contact_id)
    waiting = await replica(store_for, REDIS_URL, redis_namespace)
    emulator.reset()
    try:
        admin.set(lease, "another replica's token", px=30_000)  # another replica fetches
        reading = asyncio.ensure_future(waiting[1].get(CONTACT, instance, contact_id))
        await asyncio.sleep(0.1)  # any time: it waits on the lease until the entry comes
        # The holder's clock is 100 s behind: only its fetch id says the entry is new.
        record = {"Id": contact_id, "Channel": "VOICE"}
        held = {"value": record, "at": time.time() - 100, "ttl": 900, "id": "holder-fetch"}
        admin.set(entry, json.dumps(held), ex=1000)
        admin.delete(lease)
        fetched = await reading
        assert fetched.value == record
        assert emulator.calls() == 0, "one call for both replicas: the holder's"
    finally:
        await close(waiting)
        admin.close()


@pytest.mark.redis
async def test_a_fetch_that_ends_before_our_lease_is_not_made_again(
    emulator: Emulator,
    store_for: StoreFor,
    redis_namespace: str,
    contact: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Replica B reads nothing, then A's fetch of the same key begins and ends (stored, its
    lease let go) before B asks for the lease: B gets the lease, and A's answer with it,
    not a second DescribeContact (twelve pollers on two replicas drew two on a loaded
    machine)."""
    instance, contact_id = contact
    emulator.reset()
    a = await replica(store_for, REDIS_URL, redis_namespace)
    b = await replica(store_for, REDIS_URL, redis_namespace)
    try:
        reads = 0
        real_get = b[0].get

        async def get(key: str) -> Any:
            nonlocal reads
            value = await real_get(key)
            if key.startswith("contact:"):
                reads += 1
                if reads == 2:  # B's read inside its flight, just before its lease
                    await a[1].get(CONTACT, instance, contact_id)
            return value

        monkeypatch.setattr(b[0], "get", get)
        fetched = await b[1].get(CONTACT, instance, contact_id)

        assert fetched.value["Id"] == contact_id
        assert reads == 3, "B read again once the lease was its own"
        assert emulator.calls() == 1, "A's DescribeContact, not a second"
    finally:
        await close(a, b)
