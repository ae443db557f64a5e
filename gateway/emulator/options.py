"""The emulator's knobs: latency, rate limits, page size, the dataset's seed, time and
contact events."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.core.rates import Rate
from gateway.emulator.knobs import EventKnobs

__all__ = ["EmulatorOptions"]


@dataclass(frozen=True)
class EmulatorOptions:
    """How the emulator behaves.

    `rate` is requests per second allowed per Connect operation (None: unlimited) and
    `burst` the token bucket's size (None: `max(1, ceil(rate))`). `clock` is Connect's:
    "wall" (the real time; the seeded data is built to end at start-up) or "fixed" (stopped
    at the seeded data's NOW, 2026-11-02T09:00Z: deterministic, active contacts stay as they
    are; the default, for tests). `time_scale` shortens what active contacts do on the wall
    clock (10: a 60-300 s talk lasts 6-30 s), the clock itself staying real. With
    `events_url`, contact events are posted there as EventBridge would, with header
    X-API-Key when `events_api_key` is given; `events` drops, duplicates and delays them;
    `quotas`
    gives some operations their own rate (Connect's defaults: `gateway.core.rates.CONNECT_QUOTAS`).
    `max_page_size` caps the pages of the operations that take MaxResults (None: as
    asked), as a service may answer fewer items than asked for: it lets tests page through
    small data.
    """

    latency_ms: float = 0.0
    rate: float | None = None
    burst: int | None = None
    quotas: Mapping[str, Rate] = field(default_factory=dict)
    seed: int = 20170808
    clock: str = "fixed"
    time_scale: float = 1.0
    events_url: str | None = None
    events_api_key: str | None = None
    events: EventKnobs = field(default_factory=EventKnobs)
    max_page_size: int | None = None

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be positive (None means unlimited)")
        if self.burst is not None and self.burst < 1:
            raise ValueError("burst must be at least 1")
        if self.clock not in ("wall", "fixed"):
            raise ValueError('clock must be "wall" or "fixed"')
        if not 0 < self.time_scale <= 1_000_000:
            raise ValueError("time_scale must be more than 0, at most 1000000")
        if self.events_url is not None and not self.events_url.startswith(("http://", "https://")):
            raise ValueError("events_url must be an http:// or https:// URL")
        if self.max_page_size is not None and self.max_page_size < 1:
            raise ValueError("max_page_size must be at least 1")

    @property
    def bucket_size(self) -> int | None:
        """The token bucket's size, or None when operations are not rate limited."""
        if self.rate is None:
            return None
        return self.burst if self.burst is not None else max(1, math.ceil(self.rate))
