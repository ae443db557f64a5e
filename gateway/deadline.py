"""The request's deadline (GATEWAY_REQUEST_TIMEOUT_SECONDS), in a context variable: set
once per request, read by whatever waits on its behalf (the loaders, the quota, a lease,
retries), so nothing keeps a request past it.

Tasks started for a request inherit it; work that outlives the request (a background
refresh) clears it with `unbounded()`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import TypeVar

from gateway.errors import UpstreamUnavailable

__all__ = ["bounded", "remaining", "start", "unbounded"]

T = TypeVar("T")

_DEADLINE: ContextVar[float | None] = ContextVar("deadline", default=None)


def start(seconds: float | None) -> None:
    """The current context's deadline: `seconds` from now (None: none)."""
    _DEADLINE.set(None if seconds is None else time.monotonic() + seconds)


def unbounded() -> None:
    _DEADLINE.set(None)


def remaining() -> float:
    """Seconds left before the deadline (infinite without one; may be negative)."""
    at = _DEADLINE.get()
    return math.inf if at is None else at - time.monotonic()


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
