"""The emulator's clock: the dataset's NOW when it starts, then running `scale` times as
fast as real time (0: stopped). Active contacts move on it; updates are stamped by it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from gateway.emulator.timeline import NOW, ms

__all__ = ["Clock"]


class Clock:
    def __init__(
        self, scale: float, start: datetime = NOW, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self.scale = scale
        self._start = start
        self._timer = timer
        self._started = timer()

    def now(self) -> datetime:
        elapsed = (self._timer() - self._started) * self.scale
        return ms(self._start + timedelta(seconds=elapsed))

    def seconds_until(self, moment: datetime) -> float:
        """Real seconds until the clock shows `moment` (infinite while it is stopped)."""
        ahead = (moment - self.now()).total_seconds()
        if ahead <= 0:
            return 0.0
        return ahead / self.scale if self.scale > 0 else float("inf")
