"""How the emulator mistreats the contact events it sends: drops, duplicates, delays.

EventBridge delivers best-effort and unordered; these knobs make a receiver live with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

__all__ = ["EventKnobs"]

_NAMES = {"drop": "drop", "duplicate": "duplicate", "delayMs": "delay_ms", "jitterMs": "jitter_ms"}


@dataclass(frozen=True)
class EventKnobs:
    """`drop` and `duplicate`: the chance (0 to 1) that an event is never sent, or sent
    twice; each event waits `delay_ms` plus a random 0 to `jitter_ms` before it is sent
    (jitter reorders events, as EventBridge may)."""

    drop: float = 0.0
    duplicate: float = 0.0
    delay_ms: float = 0.0
    jitter_ms: float = 0.0

    def __post_init__(self) -> None:
        for name in ("drop", "duplicate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be 0 to 1")
        for name in ("delay_ms", "jitter_ms"):
            if not 0 <= getattr(self, name) <= 600_000:
                raise ValueError(f"{name} must be 0 to 600000")

    def updated(self, changes: Mapping[str, Any]) -> EventKnobs:
        """These knobs with `changes` (JSON names: drop, duplicate, delayMs, jitterMs)."""
        unknown = set(changes) - set(_NAMES)
        if unknown:
            raise ValueError(f"unknown knob {sorted(unknown)[0]!r}: expected {sorted(_NAMES)}")
        values = {}
        for name, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            values[_NAMES[name]] = float(value)
        return replace(self, **values)

    def to_json(self) -> dict[str, float]:
        json_names = {attribute: name for name, attribute in _NAMES.items()}
        return {json_names[f.name]: getattr(self, f.name) for f in fields(self)}
