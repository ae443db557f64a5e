"""The emulator's clock, Connect's: the wall clock, or a clock stopped at one moment.

On the wall clock (the default of the `emulator` command and the demo) the seeded data is
built to end at start-up, so that a dashboard's "last hour" holds what it would against
Connect. A fixed clock never moves (deterministic tests): active contacts stay as they are
and every update is stamped at its moment (see `gateway.emulator.operations.updates`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from gateway.emulator.world.timeline import ms

__all__ = ["Clock"]


class Clock:
    """`Clock()` is the wall clock; `Clock(fixed=moment)` shows `moment` forever."""

    def __init__(
        self, *, fixed: datetime | None = None, timer: Callable[[], float] = time.time
    ) -> None:
        self.fixed = ms(fixed) if fixed is not None else None
        self._timer = timer

    @property
    def running(self) -> bool:
        return self.fixed is None

    def now(self) -> datetime:
        if self.fixed is not None:
            return self.fixed
        return ms(datetime.fromtimestamp(self._timer(), UTC))

    def seconds_until(self, moment: datetime) -> float:
        """Real seconds until the clock shows `moment` (infinite on a fixed clock)."""
        ahead = (moment - self.now()).total_seconds()
        if ahead <= 0:
            return 0.0
        return ahead if self.running else float("inf")
