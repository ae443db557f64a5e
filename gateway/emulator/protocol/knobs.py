"""How the emulator mistreats the contact events it sends: drops, duplicates, delays,
reorders, and how late EventBridge's `time` is.

EventBridge delivers best-effort and unordered, and its `time` is when the event was
emitted, after the state it tells (AWS's own DISCONNECTED sample: 866 s after); these knobs
make a receiver live with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

__all__ = ["EventKnobs"]

_NAMES = {
    "drop": "drop",
    "duplicate": "duplicate",
    "delayMs": "delay_ms",
    "jitterMs": "jitter_ms",
    "reorder": "reorder",
    "holdMs": "hold_ms",
    "lateMs": "late_ms",
}
_CHANCES = ("drop", "duplicate", "reorder")
_MILLISECONDS = ("delay_ms", "jitter_ms", "hold_ms", "late_ms")


@dataclass(frozen=True)
class EventKnobs:
    """`drop` and `duplicate`: the chance (0 to 1) that an event is never sent, or sent
    twice; each event waits `delay_ms` plus a random 0 to `jitter_ms` before it is sent
    (jitter reorders events, as EventBridge may); with chance `reorder` it is held back
    `hold_ms` more, so that later events overtake it. Its `time` is when it was emitted:
    the second after its state, plus a random 0 to `late_ms`."""

    drop: float = 0.0
    duplicate: float = 0.0
    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    reorder: float = 0.0
    hold_ms: float = 2000.0
    late_ms: float = 0.0

    def __post_init__(self) -> None:
        for name in _CHANCES:
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be 0 to 1")
        for name in _MILLISECONDS:
            most = 3_600_000 if name == "late_ms" else 600_000
            if not 0 <= getattr(self, name) <= most:
                raise ValueError(f"{name} must be 0 to {most}")

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
