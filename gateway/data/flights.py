"""Single-flight: concurrent callers asking for the same key share one in-progress call.

The call runs in a task of its own, on a deadline every caller that joins it extends to
its own (`deadline.Shared`): it goes on while any of them still has time, and each caller
waits for it only until its own deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from gateway.core import deadline

__all__ = ["SingleFlight"]

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self, on_join: Callable[[str], None] = lambda key: None) -> None:
        self._flights: dict[str, tuple[asyncio.Task[T], deadline.Shared]] = {}
        self._on_join = on_join

    def __contains__(self, key: str) -> bool:
        """Whether a call for `key` is in flight in this process."""
        return key in self._flights

    async def run(self, key: str, call: Callable[[], Awaitable[T]]) -> T:
        """The result of `call()`, or of the call already in flight for `key`."""
        flight = self._flights.get(key)
        if flight is None:
            shared = deadline.Shared(deadline.at())
            task = asyncio.ensure_future(_on(shared, call))
            self._flights[key] = (task, shared)
            task.add_done_callback(lambda _: self._flights.pop(key, None))
        else:
            task, shared = flight
            shared.extend(deadline.at())
            self._on_join(key)
        # Shielded: a caller that goes away (client disconnect) must not cancel the call
        # the other callers are waiting on.
        return await asyncio.shield(task)


async def _on(shared: deadline.Shared, call: Callable[[], Awaitable[T]]) -> T:
    shared.adopt()
    return await call()
