"""Single-flight: concurrent callers asking for the same key share one in-progress call."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self, on_join: Callable[[str], None] = lambda key: None) -> None:
        self._flights: dict[str, asyncio.Task[T]] = {}
        self._on_join = on_join

    def __contains__(self, key: str) -> bool:
        """Whether a call for `key` is in flight in this process."""
        return key in self._flights

    async def run(self, key: str, call: Callable[[], Awaitable[T]]) -> T:
        """The result of `call()`, or of the call already in flight for `key`."""
        task = self._flights.get(key)
        if task is None:
            task = asyncio.ensure_future(call())
            self._flights[key] = task
            task.add_done_callback(lambda _: self._flights.pop(key, None))
        else:
            self._on_join(key)
        # Shielded: a caller that goes away (client disconnect) must not cancel the call
        # the other callers are waiting on.
        return await asyncio.shield(task)
