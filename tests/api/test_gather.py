"""`gather_eagerly` (gateway/api/execution.py) answers what graphql-core's gather_with_cancel
answers: results in order, the first error raised and the rest cancelled; a coroutine that
does not wait costs no task, one that waits goes on in a task; each runs in a context of
its own, as a task would."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from gateway.api.execution import gather_eagerly

seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="-")


async def answer(value: Any) -> Any:
    return value


async def waits(event: asyncio.Event, value: Any) -> Any:
    await event.wait()
    return value


async def test_results_in_order_whether_or_not_they_wait() -> None:
    event = asyncio.Event()
    asyncio.get_running_loop().call_soon(event.set)
    results = await gather_eagerly([answer(1), waits(event, 2), answer(3), asyncio.sleep(0, 4)])
    assert results == [1, 2, 3, 4]


async def test_one_that_does_not_wait_costs_no_task() -> None:
    tasks: list[Any] = []
    loop = asyncio.get_running_loop()
    factory = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        tasks.append(coro)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(counting)
    try:
        event = asyncio.Event()
        loop.call_soon(event.set)
        assert await gather_eagerly([answer("a"), answer("b"), waits(event, "c")]) == [
            "a",
            "b",
            "c",
        ]
    finally:
        loop.set_task_factory(factory)
    assert len(tasks) == 1, "only the one that waited"


async def waits_for_ever(cancelled: list[bool]) -> None:
    """Waits until cancelled, and says it was."""
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        cancelled.append(True)
        raise


async def test_an_error_cancels_the_rest_and_is_raised() -> None:
    cancelled: list[bool] = []

    async def fails() -> None:
        await asyncio.sleep(0)
        raise LookupError("no such contact")

    with pytest.raises(LookupError, match="no such contact"):
        await gather_eagerly([waits_for_ever(cancelled), fails(), waits_for_ever(cancelled)])
    assert cancelled == [True, True]


async def test_an_error_before_any_wait_closes_those_not_started() -> None:
    async def fails_at_once() -> None:
        raise LookupError("at once")

    later = answer("later")
    with pytest.raises(LookupError, match="at once"):
        await gather_eagerly([answer(1), fails_at_once(), later])
    assert later.cr_frame is None, "closed, not left unawaited"


async def test_each_runs_in_a_context_of_its_own() -> None:
    event = asyncio.Event()

    async def sets(value: str, wait: bool) -> str:
        seen.set(value)
        if wait:
            await event.wait()
        return seen.get()

    asyncio.get_running_loop().call_soon(event.set)
    assert await gather_eagerly([sets("a", False), sets("b", True)]) == ["a", "b"]
    assert seen.get() == "-", "nothing leaks into the caller's context"


async def test_a_cancelled_gather_cancels_the_ones_waiting() -> None:
    cancelled: list[bool] = []
    gathering = asyncio.ensure_future(gather_eagerly([answer(1), waits_for_ever(cancelled)]))
    await asyncio.sleep(0)
    gathering.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gathering
    assert cancelled == [True]
