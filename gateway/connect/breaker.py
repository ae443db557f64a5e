"""A circuit breaker per Connect operation: after `failures` calls in a row fail with
UPSTREAM_UNAVAILABLE it opens and answers at once, without calling, for `reset` seconds;
then one trial call decides (success closes it, failure opens it again).

Hand-written, twenty lines of state: pybreaker is synchronous (it would hold a thread
per waiting call) and the asyncio forks are unmaintained."""

from __future__ import annotations

from enum import Enum

from gateway.core.clock import SYSTEM, Clock
from gateway.core.errors import UpstreamUnavailable

__all__ = ["Breaker", "State"]


class State(Enum):
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class Breaker:
    def __init__(self, failures: int, reset: float, clock: Clock = SYSTEM) -> None:
        self.failures, self.reset = failures, reset
        self._clock = clock
        self.state = State.CLOSED
        self._count = 0
        self._opened = 0.0

    def before(self, operation: str) -> None:
        """Raises UpstreamUnavailable while open; lets one trial through after `reset`."""
        if self.state is State.OPEN:
            if self._clock.monotonic() - self._opened < self.reset:
                raise UpstreamUnavailable(
                    f"Connect's {operation} is failing; the gateway is holding off for a moment"
                )
            self.state = State.HALF_OPEN
        elif self.state is State.HALF_OPEN:
            raise UpstreamUnavailable(f"Connect's {operation} is being retried; try again shortly")

    def succeeded(self) -> None:
        self.state, self._count = State.CLOSED, 0

    def abandoned(self) -> None:
        """A call let through gave no verdict (refused by the quota, or cancelled): a trial
        hands its turn to the next caller instead of holding the breaker half-open."""
        if self.state is State.HALF_OPEN:
            self.state, self._opened = State.OPEN, self._clock.monotonic() - self.reset

    def failed(self) -> None:
        self._count += 1
        if self.state is State.HALF_OPEN or self._count >= self.failures:
            self.state, self._opened = State.OPEN, self._clock.monotonic()
