"""The quota guard's queue, in Redis (shared) and in process: callers reserve their turn in
order; one whose turn would come after the deadline is refused at once."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import time

import pytest

from gateway.connect.quota import (
    _DECREASE_EVERY,
    DECREASE,
    FLOOR,
    RECOVERY,
    Quota,
    _Adaptive,
    background,
)
from gateway.core.errors import UpstreamThrottled
from gateway.core.rates import Rates
from gateway.shared.coordination import Coordinator
from tests.conftest import restart_redis


async def _takes(quota: Quota, n: int, operation: str = "DescribeContact") -> list[float | None]:
    async def take() -> float | None:
        try:
            return await quota.take(operation)
        except UpstreamThrottled:
            return None

    return list(await asyncio.gather(*(take() for _ in range(n))))


def _check(waits: list[float | None]) -> None:
    granted = sorted(w for w in waits if w is not None)
    assert granted[:2] == [0.0, 0.0]  # the burst
    # then one every 0.1 s (rate 10/s) up to the 0.5 s deadline, in order; the rest refused
    assert [round(w, 1) for w in granted[2:]] == [0.1, 0.2, 0.3, 0.4, 0.5]
    assert waits.count(None) == len(waits) - 7


async def test_in_process_queue() -> None:
    _check(await _takes(Quota(Rates.uniform(10, 2), 0.5), 12))


async def test_each_operation_has_its_own_rate() -> None:
    quota = Quota(Rates(), 0.0)  # Connect's defaults, no waiting: the bursts only
    assert (await _takes(quota, 20)).count(None) == 20 - 15
    assert (await _takes(quota, 3, "SearchContacts")).count(None) == 3 - 1
    assert (await _takes(quota, 8, "DescribeUser")).count(None) == 8 - 5
    assert (await _takes(quota, 8, "SomethingElse")).count(None) == 8 - 5


@pytest.mark.redis
async def _granted_at(quota: Quota, n: int) -> list[float | None]:
    """When each of `n` concurrent takes was granted (monotonic seconds), None if refused."""

    async def take() -> float | None:
        asked = time.monotonic()
        try:
            return asked + await quota.take("DescribeContact")
        except UpstreamThrottled:
            return None

    return list(await asyncio.gather(*(take() for _ in range(n))))


async def test_shared_queue_in_redis(redis_namespace: str, shared_url: str) -> None:
    """Two replicas' guards share one bucket (burst 2, 10/s) in Redis: in any span of time
    they grant at most 2 + 10/s of it. Checked on the moments of the grants, not on each
    wait, so that a busy machine (takes asked at different moments) still passes."""
    # A loaded machine is not a Redis outage (which would give each replica its own share).
    redis = Coordinator(shared_url, redis_namespace, 10.0, cluster="auto")
    assert await redis.ping()  # connected before the clock starts
    try:
        both = await asyncio.gather(
            _granted_at(Quota(Rates.uniform(10, 2), 0.5, redis), 6),
            _granted_at(Quota(Rates.uniform(10, 2), 0.5, redis), 6),  # another replica's
        )
    finally:
        await redis.close()
    granted = sorted(g for g in both[0] + both[1] if g is not None)
    assert len(granted) >= 7  # the burst and five turns fit in the 0.5 s a take may wait
    for first, last in itertools.combinations(range(len(granted)), 2):
        span = granted[last] - granted[first]
        assert last - first + 1 <= 2 + 10 * span + 0.5, (first, last, span)  # 50 ms slack


async def test_off_means_no_wait() -> None:
    assert await _takes(Quota(None, 0), 5) == [0.0] * 5


async def test_losing_redis_queues_behind_the_turns_reserved_there(
    private_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, server = private_redis
    redis = Coordinator(url, "t", 1.0)
    quota = Quota(Rates.uniform(2, 2), 5, redis)  # slow: killing Redis takes a moment
    try:
        queued = [asyncio.ensure_future(quota.take("DescribeContact")) for _ in range(5)]
        # Until all five have reserved: two turns now, three at 0.5, 1 and 1.5 s.
        while sum(task.done() for task in queued) < 2 or quota.queued("DescribeContact") < 3:  # noqa: ASYNC110 (polls the object under test)
            await asyncio.sleep(0.001)
        server.kill()
        server.wait()

        after = await quota.take("DescribeContact")

        assert after == pytest.approx(2.0, abs=0.25)  # behind the three still waiting
        waits = sorted(round(w, 1) for w in await asyncio.gather(*queued))
        assert waits == [0.0, 0.0, 0.5, 1.0, 1.5]  # in whatever order Redis saw them
    finally:
        await redis.close()


async def test_a_restarted_redis_does_not_hand_out_the_burst_again(
    private_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, server = private_redis
    redis = Coordinator(url, "t", 1.0)
    quota = Quota(Rates.uniform(2, 4), 0.1, redis)
    try:
        assert await _takes(quota, 4) == [0.0] * 4  # the burst, in Redis
        server.kill()
        server.wait()
        assert await _takes(quota, 2) == [None, None]  # alone, and the burst was spent
        again = await asyncio.to_thread(restart_redis, url)
        try:
            assert await redis.ping()  # tried again at once, not after the retry interval
            # Redis came back empty; the bucket it starts is empty too, not a new burst.
            assert (await _takes(quota, 4)).count(None) == 4
        finally:
            again.kill()
            again.wait()
    finally:
        await redis.close()


async def test_replicas_on_their_own_take_turns_by_slot_where_a_burst_cannot_be_shared(
    private_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    """Burst 1 shared by 2 replicas: each's share of the burst is half a token, so while
    Redis is down they call in the slots they claimed there, never within one spacing of
    each other (SearchContacts drew 429s in the soak's Redis outage before)."""
    url, server = private_redis
    rates = Rates.uniform(2, 1)  # one call every 0.5 s; frames of 1 s for 2 replicas
    coordinators = [Coordinator(url, "t", 1.0), Coordinator(url, "t", 1.0)]
    replicas = [Quota(rates, 5, c, replicas=2) for c in coordinators]
    try:
        for quota in replicas:
            await quota.take("SearchContacts")  # shared: each claims its slot
        assert sorted(q.slot for q in replicas) == [0, 1]
        server.kill()
        server.wait()
        await asyncio.sleep(0.6)  # the shared turns taken above are spent

        started = asyncio.get_running_loop().time()
        times: list[float] = []

        async def call(quota: Quota) -> None:
            await quota.take("SearchContacts")
            times.append(asyncio.get_running_loop().time() - started)

        await asyncio.gather(*(call(q) for q in replicas for _ in range(3)))

        times.sort()
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert len(times) == 6
        assert min(gaps) >= 0.45, times  # one spacing apart (less the timer's slack)
        assert times[-1] < 3.6  # six turns of 0.5 s, each replica one a frame
    finally:
        for coordinator in coordinators:
            await coordinator.close()


async def test_slots_after_an_outage_keep_a_spacing_from_the_last_shared_turns(
    private_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    """Redis killed right after two shared turns (one now, one reserved a spacing later):
    the slots' first turns come a spacing after those, not in the same spacing (the 10
    minute soak drew a SearchContacts 429 at the moment Redis was killed)."""
    url, server = private_redis
    rates = Rates.uniform(2, 1)  # one call every 0.5 s; frames of 1 s for 2 replicas
    coordinators = [Coordinator(url, "t", 1.0), Coordinator(url, "t", 1.0)]
    replicas = [Quota(rates, 5, c, replicas=2) for c in coordinators]
    try:
        started = time.monotonic()
        times: list[float] = []

        async def call(quota: Quota) -> None:
            await quota.take("SearchContacts")
            times.append(time.monotonic() - started)

        await asyncio.gather(*(call(q) for q in replicas))  # shared: now and 0.5 s on
        assert sorted(q.slot for q in replicas) == [0, 1]
        server.kill()
        server.wait()
        await asyncio.gather(*(call(q) for q in replicas for _ in range(2)))

        times.sort()
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert len(times) == 6
        assert min(gaps) >= 0.45, times  # one spacing apart (less the timer's slack)
    finally:
        for coordinator in coordinators:
            await coordinator.close()


async def test_after_an_outage_a_replica_keeps_to_its_own_share_for_a_while(
    private_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    """Redis back: the other replica may still be on its own share for up to the retry
    interval, so turns from the shared bucket are also turns of this one's share."""
    url, server = private_redis
    coordinator = Coordinator(url, "t", 1.0)
    quota = Quota(Rates.uniform(10, 10), 5, coordinator, replicas=2)
    try:
        await quota.take("DescribeContact")
        server.kill()
        server.wait()
        await quota.take("DescribeContact")  # on its own: Redis is down
        again = await asyncio.to_thread(restart_redis, url)
        try:
            assert await coordinator.ping()  # tried again at once, not after the interval
            await asyncio.sleep(2)  # the shared bucket (empty when made) fills at 10/s
            waits = await _takes(quota, 6)

            # Shared, the bucket has the turns at once; its own share (5/s, from a bucket
            # of 5 that the outage left) does not: the waits are those of the share.
            assert max(w for w in waits if w is not None) >= 0.15
        finally:
            again.kill()
            again.wait()
    finally:
        await coordinator.close()


@pytest.mark.redis
async def test_a_429_from_connect_lowers_the_rate_for_every_replica(
    redis_namespace: str, shared_url: str
) -> None:
    redis = Coordinator(shared_url, redis_namespace, 1.0, cluster="auto")
    try:
        one = Quota(Rates.uniform(10, 10), 5, redis)
        other = Quota(Rates.uniform(10, 10), 5, redis)  # another replica's guard
        await one.take("DescribeContact")
        await one.throttled("DescribeContact")
        await one.throttled("DescribeContact")  # the same burst of 429s: counted once
        # The bucket is empty and refills at the lowered rate: 7 a second.
        waits = [await other.take("DescribeContact") for _ in range(3)]
        assert [round(w, 2) for w in waits] == [round(1 / (10 * DECREASE), 2)] * 3
        assert await other.take("SearchContacts") == 0.0, "other operations untouched"
    finally:
        await redis.close()


def test_the_rate_recovers_a_little_each_second_without_a_429() -> None:
    quota = Quota(Rates.uniform(10, 10), 5)
    quota._adaptive["DescribeContact"] = adaptive = _Adaptive()
    adaptive.throttled()
    assert quota.factor("DescribeContact") == pytest.approx(DECREASE, abs=0.01)
    adaptive.at -= 10  # ten seconds later
    assert quota.factor("DescribeContact") == pytest.approx(DECREASE + 10 * RECOVERY, abs=0.01)
    for _ in range(10):
        adaptive.cut -= _DECREASE_EVERY
        adaptive.throttled()
    assert quota.factor("DescribeContact") == pytest.approx(FLOOR, abs=0.01)


async def test_background_work_never_takes_a_turn_a_waiting_client_needs() -> None:
    quota = Quota(Rates.uniform(4, 1), 5)
    order: list[str] = []

    async def take(who: str, in_background: bool) -> None:
        if in_background:
            background()
        await quota.take("SearchContacts")
        order.append(who)

    await take("first", False)  # the burst
    await asyncio.gather(take("refresh", True), take("client", False))
    assert order == ["first", "client", "refresh"]
