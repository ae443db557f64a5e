"""A clock the test moves: `clock.advance(seconds)` moves both its wall and its monotonic
time, at once, instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["FakeClock"]


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._wall = start
        self._monotonic = 1_000.0

    def time(self) -> float:
        return self._wall

    def monotonic(self) -> float:
        return self._monotonic

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._wall, UTC)

    def advance(self, seconds: float) -> None:
        assert seconds >= 0, "time does not go back"
        self._wall += seconds
        self._monotonic += seconds
