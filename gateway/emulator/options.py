"""The emulator's knobs: latency, per-operation rate limits and the dataset's seed."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["EmulatorOptions"]


@dataclass(frozen=True)
class EmulatorOptions:
    """How the emulator behaves.

    `rate` is requests per second allowed per Connect operation (None: unlimited) and
    `burst` the token bucket's size (None: `max(1, ceil(rate))`).
    """

    latency_ms: float = 0.0
    rate: float | None = None
    burst: int | None = None
    seed: int = 20170808

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be positive (None means unlimited)")
        if self.burst is not None and self.burst < 1:
            raise ValueError("burst must be at least 1")

    @property
    def bucket_size(self) -> int | None:
        """The token bucket's size, or None when operations are not rate limited."""
        if self.rate is None:
            return None
        return self.burst if self.burst is not None else max(1, math.ceil(self.rate))
