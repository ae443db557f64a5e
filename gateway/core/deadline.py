"""The request's deadline (GATEWAY_REQUEST_TIMEOUT_SECONDS), in a context variable: set
once per request, read by whatever waits on its behalf (the loaders, the quota, a lease,
retries), so nothing keeps a request past it.

Tasks started for a request inherit it; work that outlives the request (a background
refresh) clears it with `unbounded()`. A call shared by several requests (a single-flight)
runs on a deadline of its own, `Shared`, that each request joining it extends to its own:
the call goes on while any of them still has time.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import TypeVar

from gateway.core.errors import UpstreamUnavailable

__all__ = ["Shared", "at", "bounded", "remaining", "start", "unbounded"]

T = TypeVar("T")


class Shared:
    """A deadline several requests share: the latest of theirs (math.inf: none)."""

    def __init__(self, moment: float) -> None:
        self.at = moment

    def extend(self, moment: float) -> None:
        self.at = max(self.at, moment)

    def adopt(self) -> None:
        """Makes this the current context's deadline (in the shared call's own task)."""
        _DEADLINE.set(self)


_DEADLINE: ContextVar[Shared | None] = ContextVar("deadline", default=None)


def start(seconds: float | None) -> None:
    """The current context's deadline: `seconds` from now (None: none)."""
    _DEADLINE.set(None if seconds is None else Shared(time.monotonic() + seconds))


def unbounded() -> None:
    _DEADLINE.set(None)


def at() -> float:
    """The current deadline, on the monotonic clock (math.inf without one)."""
    current = _DEADLINE.get()
    return math.inf if current is None else current.at


def remaining() -> float:
    """Seconds left before the deadline (infinite without one; may be negative)."""
    return at() - time.monotonic()


async def bounded(awaitable: Awaitable[T]) -> T:
    """`awaitable`'s result, or UpstreamUnavailable once the deadline has passed."""
    left = remaining()
    if left == math.inf:
        return await awaitable
    try:
        return await asyncio.wait_for(awaitable, max(0.0, left))
    except TimeoutError:
        raise UpstreamUnavailable(
            "the request's deadline passed before Connect answered this field"
        ) from None
