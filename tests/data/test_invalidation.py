"""Invalidations fan out to every replica: in process always, through real Redis pub/sub
between replicas, again after Redis comes back; the entity store forgets what they name."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from gateway.data.cache import Cache
from gateway.data.invalidation import Change, Invalidations, parse_tag, tag
from gateway.data.kinds import CONTACT
from gateway.data.store import EntityStore
from gateway.shared.coordination import Coordinator
from tests.chains import demo_contacts
from tests.conftest import REDIS_URL
from tests.redisproxy import RedisProxy
from tests.stores import close, replica
from tests.support import Emulator


class Received:
    """A listener that records what it was given and lets a test wait for it."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self._changed = asyncio.Event()

    def __call__(self, tags: list[str]) -> None:
        self.batches.append(tags)
        self._changed.set()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(30):
            while len(self.batches) < count:
                self._changed.clear()
                await self._changed.wait()


@asynccontextmanager
async def started(redis_url: str | None, namespace: str) -> AsyncIterator[Invalidations]:
    invalidations = Invalidations(redis_url, namespace)
    await invalidations.start()
    try:
        yield invalidations
    finally:
        await invalidations.close()


def test_tags_name_kind_instance_and_entity() -> None:
    assert tag("contact", "i-1", "c:1") == "contact:i-1:c:1"
    assert parse_tag("contact:i-1:c:1") == ("contact", "i-1", "c:1")
    assert parse_tag("contact:i-1") is None
    assert parse_tag("contact::c1") is None


async def test_in_process_listeners_get_each_batch_once() -> None:
    async with started(None, "unused") as invalidations:
        received, also = Received(), []

        async def slow(tags: list[str]) -> None:
            await asyncio.sleep(0)
            also.append(tags)

        def broken(tags: list[str]) -> None:
            raise RuntimeError("a broken listener")

        invalidations.subscribe(broken)
        unsubscribe = invalidations.subscribe(received)
        invalidations.subscribe(slow)
        await invalidations.publish(["contact:i:1", "contact:i:1", "attributes:i:1"])
        unsubscribe()
        await invalidations.publish(["contact:i:2"])
        await invalidations.publish([])

    assert received.batches == [["contact:i:1", "attributes:i:1"]]
    assert also == [["contact:i:1", "attributes:i:1"], ["contact:i:2"]]


async def test_a_reader_runs_after_every_listener_that_drops_whatever_the_order() -> None:
    async with started(None, "unused") as invalidations:
        order: list[str] = []
        invalidations.subscribe(lambda tags: order.append("push"), reads=True)
        invalidations.subscribe(lambda tags: order.append("drop memory"), copies=True)
        invalidations.subscribe(lambda tags: order.append("drop responses"))
        await invalidations.publish(["contact:i:1"])
        await invalidations.publish(Change.of(stored=["contact:i:2"], here=["contact:i:2"]))

    assert order == ["drop memory", "drop responses", "push", "drop responses", "push"]


async def test_one_change_says_what_each_listener_does() -> None:
    async with started(None, "unused") as invalidations:
        heard: dict[str, list[list[str]]] = {"answers": [], "copies": [], "shared": []}
        invalidations.subscribe(heard["answers"].append)
        invalidations.subscribe(heard["copies"].append, copies=True)
        invalidations.on_publish(heard["shared"].append)
        change = Change.of(
            dropped=["attributes:i:1", "search:i:1"],
            stored=["contact:i:1", "contact:i:2", "search:i:1"],
            here=["contact:i:1"],
        )
        await invalidations.publish(change)

    every = ["attributes:i:1", "search:i:1", "contact:i:1", "contact:i:2"]
    assert heard["answers"] == [every]  # one publish: each listener called once
    assert heard["copies"] == [[t for t in every if t != "contact:i:1"]]  # new here already
    assert heard["shared"] == [["attributes:i:1", "search:i:1"]]  # only what is wrong there


@pytest.mark.redis
async def test_every_replica_hears_and_only_the_publisher_runs_on_publish(
    redis_namespace: str,
) -> None:
    async with (
        started(REDIS_URL, redis_namespace) as first,
        started(REDIS_URL, redis_namespace) as second,
        started(REDIS_URL, f"{redis_namespace}-other") as elsewhere,
    ):
        heard = {name: Received() for name in ("first", "second", "elsewhere")}
        published = {name: Received() for name in ("first", "second")}
        first.subscribe(heard["first"])
        second.subscribe(heard["second"])
        elsewhere.subscribe(heard["elsewhere"])
        first.on_publish(published["first"])
        second.on_publish(published["second"])

        await first.publish(["contact:i:1"])
        await heard["second"].wait_for(1)
        await second.publish(["contact:i:2"])
        await heard["first"].wait_for(2)

    assert heard["first"].batches == [["contact:i:1"], ["contact:i:2"]]
    assert heard["second"].batches == [["contact:i:1"], ["contact:i:2"]]
    assert heard["elsewhere"].batches == []  # another namespace, another deployment
    assert published["first"].batches == [["contact:i:1"]]
    assert published["second"].batches == [["contact:i:2"]]


@pytest.mark.redis
async def test_tags_published_while_redis_is_down_reach_the_others_when_it_is_back(
    redis_namespace: str,
) -> None:
    proxy = RedisProxy()
    await proxy.up()
    async with (
        _finally(proxy.down),
        started(f"redis://127.0.0.1:{proxy.port}/0", redis_namespace) as cut_off,
        started(REDIS_URL, redis_namespace) as other,
    ):
        heard, mine, published = Received(), Received(), Received()
        other.subscribe(heard)
        cut_off.subscribe(mine)
        cut_off.on_publish(published)
        await proxy.down()
        await cut_off.publish(["contact:i:1"])
        assert mine.batches == [["contact:i:1"]]  # this replica's memory at once
        assert heard.batches == []
        await proxy.up()
        await heard.wait_for(1)
        # Tried, then again (and maybe in between) until Redis took it.
        assert len(published.batches) >= 2
        assert all(batch == ["contact:i:1"] for batch in published.batches)
        assert cut_off.connected
    assert heard.batches == [["contact:i:1"]]


@asynccontextmanager
async def _finally(action: Callable[[], Any]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await action()


@pytest.mark.parametrize("url", [None, REDIS_URL])
async def test_the_store_asks_connect_again_for_an_invalidated_contact(
    emulator: Emulator,
    store_for: Callable[[Cache], EntityStore],
    redis_namespace: str,
    url: str | None,
) -> None:
    contact = next(iter(demo_contacts(emulator.contacts()).values()))
    instance, contact_id = contact["instanceId"], contact["id"]
    first = await replica(store_for, url, redis_namespace)
    second = await replica(store_for, url, redis_namespace)
    stores: list[Any] = [first[1], second[1] if url else first[1]]
    try:
        for store in stores:
            assert (await store.get(CONTACT, instance, contact_id)).value["Id"] == contact_id
        assert emulator.calls() == 1
        await first[2].publish([tag("contact", instance, contact_id), "contact:x"])
        for store in stores:
            await store.get(CONTACT, instance, contact_id)
        assert emulator.calls() == 2
    finally:
        await close(first, second)


async def test_a_replica_back_on_pub_sub_drops_what_it_may_have_missed(
    redis_namespace: str,
) -> None:
    """Pub/sub is fire-and-forget: what is published while a replica's subscription is
    lost never reaches it. When the subscription is back, the replica drops all its
    copies (the store's memory, its responses) instead of serving them stale."""
    proxy = RedisProxy()
    await proxy.up()
    async with (
        _finally(proxy.down),
        started(f"redis://127.0.0.1:{proxy.port}/0", redis_namespace) as cut_off,
        started(REDIS_URL, redis_namespace) as other,
    ):
        heard, resubscribed = Received(), asyncio.Event()
        cut_off.subscribe(heard)
        cut_off.on_resubscribed(resubscribed.set)
        await proxy.down()  # cut_off's subscription is lost
        await until_disconnected(cut_off)
        await other.publish(["contact:i:1"])  # published meanwhile: never reaches cut_off
        assert not resubscribed.is_set()
        await proxy.up()
        await asyncio.wait_for(resubscribed.wait(), 15)
        assert heard.batches == []  # the message itself is gone: hence dropping everything


async def until_disconnected(invalidations: Invalidations) -> None:
    for _ in range(1500):
        if not invalidations.connected:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscription was not lost")


async def test_forgetting_everything_local_moves_every_generation_on() -> None:
    """After forget_all_local, every key's local generation has moved on (a fetch begun
    before stores what it got as overtaken) and no copy is left in memory."""
    cache = Cache(Coordinator("memory://", "t", 0.5))
    await cache.set("k", {"v": 1}, 60)
    before = cache.generation("k"), cache.generation("never-seen")
    await cache.forget_all_local()
    assert await cache.get("k") is None
    assert (cache.generation("k"), cache.generation("never-seen")) != before
    assert cache.generation("k") != before[0]
    assert cache.generation("never-seen") != before[1]
