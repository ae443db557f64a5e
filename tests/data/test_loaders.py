"""The per-request loader (gateway/data/loaders.py's Loader): each key fetched once, by its
first caller, its value or error shared; a warm fetch in the caller's own task; a caller
cancelled mid-fetch takes only its own wait with it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.data.loaders import Loader


class Upstream:
    """A fetch the test holds: it counts calls and answers when released."""

    def __init__(self, answer: Any = "value", hold: bool = False) -> None:
        self.calls: list[tuple[str, str]] = []
        self.answer = answer
        self.released = asyncio.Event()
        if not hold:
            self.released.set()

    async def __call__(self, instance: str, entity: str) -> Any:
        self.calls.append((instance, entity))
        await self.released.wait()
        if isinstance(self.answer, Exception):
            raise self.answer
        return f"{self.answer}:{entity}"


async def test_each_key_is_fetched_once_however_often_asked() -> None:
    upstream = Upstream()
    loader = Loader(upstream)
    answers = [await loader.load(("i", "c-1")) for _ in range(3)]
    answers.append(await loader.load(("i", "c-2")))
    assert answers == ["value:c-1"] * 3 + ["value:c-2"]
    assert upstream.calls == [("i", "c-1"), ("i", "c-2")]
    assert len(loader) == 2


async def test_concurrent_callers_share_one_fetch() -> None:
    upstream = Upstream(hold=True)
    loader = Loader(upstream)
    callers = [asyncio.create_task(loader.load(("i", "c-1"))) for _ in range(4)]
    await asyncio.sleep(0)
    upstream.released.set()
    assert await asyncio.gather(*callers) == ["value:c-1"] * 4
    assert upstream.calls == [("i", "c-1")]


async def test_a_warm_fetch_runs_in_the_callers_task() -> None:
    # Nothing to wait on: the value is there in the same turn of the loop (no task of its
    # own, no batch scheduled), which is what makes a warm read cheap.
    seen: list[asyncio.Task[Any] | None] = []

    async def fetch(instance: str, entity: str) -> str:
        seen.append(asyncio.current_task())
        return entity

    loader = Loader(fetch)
    assert await loader.load(("i", "c-1")) == "c-1"
    assert seen == [asyncio.current_task()]


async def test_an_error_is_shared_and_kept() -> None:
    upstream = Upstream(answer=LookupError("no such contact"))
    loader = Loader(upstream)
    for _ in range(2):
        with pytest.raises(LookupError, match="no such contact"):
            await loader.load(("i", "c-1"))
    assert upstream.calls == [("i", "c-1")], "an error is the answer for this request"


async def two_callers(upstream: Upstream) -> tuple[asyncio.Task[Any], asyncio.Task[Any]]:
    """The first caller of a key (fetching it, held) and a second (waiting on it)."""
    loader = Loader(upstream)
    first = asyncio.create_task(loader.load(("i", "c-1")))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(loader.load(("i", "c-1")))
    await asyncio.sleep(0)
    return first, waiter


async def test_a_cancelled_fetcher_hands_the_key_to_its_waiters() -> None:
    upstream = Upstream(hold=True)
    first, waiter = await two_callers(upstream)

    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    upstream.released.set()

    assert await waiter == "value:c-1"
    assert upstream.calls == [("i", "c-1"), ("i", "c-1")], "the waiter fetched it itself"


async def test_a_cancelled_waiter_leaves_the_fetch_to_the_others() -> None:
    upstream = Upstream(hold=True)
    first, waiter = await two_callers(upstream)

    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    upstream.released.set()

    assert await first == "value:c-1"
    assert upstream.calls == [("i", "c-1")]


async def test_prime_answers_unless_loaded_and_clear_forgets() -> None:
    upstream = Upstream()
    loader = Loader(upstream)
    loader.prime(("i", "c-1"), "primed")
    assert await loader.load(("i", "c-1")) == "primed"
    loader.prime(("i", "c-1"), "again")
    assert await loader.load(("i", "c-1")) == "primed"
    assert upstream.calls == []

    loader.clear_all()
    assert len(loader) == 0
    assert await loader.load(("i", "c-1")) == "value:c-1"
