"""Time as a dependency. What measures time — the store's entries and their TTLs, the
response cache, breakers, per-caller allowances, a search's "now" — reads it from a Clock,
passed in where the app is assembled, so that tests move a fake clock instead of sleeping.
(Waits are still real: asyncio's sleeps and timeouts.)"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["SYSTEM", "Clock", "SystemClock"]


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the epoch: comparable between replicas (entries in Redis)."""
        ...

    def monotonic(self) -> float:
        """Seconds for intervals within one process: never goes back."""
        ...

    def now(self) -> datetime:
        """`time()` as an aware UTC datetime."""
        ...


class SystemClock:
    """The machine's clocks."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM: Clock = SystemClock()
