"""Counting the Connect requests the emulator receives, per operation."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["Stats"]


class Stats:
    """Calls and throttled (429) answers per operation name; safe to share across threads."""

    def __init__(self) -> None:
        self._calls: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()
        self._lock = threading.Lock()

    def called(self, operation: str) -> None:
        with self._lock:
            self._calls[operation] += 1

    def throttled(self, operation: str) -> None:
        with self._lock:
            self._throttled[operation] += 1

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._throttled.clear()

    def snapshot(self) -> dict[str, Any]:
        """`{"calls": {...}, "throttled": {...}}`, as `GET /_emulator/stats` answers."""
        with self._lock:
            return {"calls": dict(self._calls), "throttled": dict(self._throttled)}
