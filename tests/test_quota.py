"""The quota guard's queue, in Redis (shared) and in process: callers reserve their turn in
order; one whose turn would come after the deadline is refused at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio

from gateway.errors import UpstreamThrottled
from gateway.quota import Quota
from tests.conftest import REDIS_URL


async def _takes(quota: Quota, n: int) -> list[float | None]:
    async def take() -> float | None:
        try:
            return await quota.take("DescribeContact")
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
    _check(await _takes(Quota(10, 2, 0.5, lambda: None, "t"), 12))


@pytest.mark.redis
async def test_shared_queue_in_redis(redis_namespace: str) -> None:
    client: Any = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        first = Quota(10, 2, 0.5, lambda: client, redis_namespace)
        second = Quota(10, 2, 0.5, lambda: client, redis_namespace)  # another replica
        waits = await asyncio.gather(_takes(first, 6), _takes(second, 6))
        _check(waits[0] + waits[1])
    finally:
        await client.aclose()


async def test_off_means_no_wait() -> None:
    assert await _takes(Quota(None, 1, 0, lambda: None, "t"), 5) == [0.0] * 5


class _Gone:
    async def eval(self, *args: Any) -> Any:
        raise ConnectionError("Redis went away")


@pytest.mark.redis
async def test_losing_redis_queues_behind_the_turns_reserved_there(redis_namespace: str) -> None:
    client: Any = redis.asyncio.Redis.from_url(REDIS_URL)
    current: list[Any] = [client]
    quota = Quota(10, 2, 5, lambda: current[0], redis_namespace, shared=True)
    try:
        queued = [asyncio.ensure_future(quota.take("DescribeContact")) for _ in range(5)]
        # Until all five have reserved: two turns now, three at 0.1, 0.2 and 0.3 s.
        while sum(task.done() for task in queued) < 2 or quota.queued("DescribeContact") < 3:  # noqa: ASYNC110 (polls the object under test)
            await asyncio.sleep(0.001)
        current[0] = _Gone()

        after = await quota.take("DescribeContact")

        assert after == pytest.approx(0.4, abs=0.05)  # behind the three still waiting
        waits = sorted(round(w, 1) for w in await asyncio.gather(*queued))
        assert waits == [0.0, 0.0, 0.1, 0.2, 0.3]  # in whatever order Redis saw them
    finally:
        await client.aclose()
