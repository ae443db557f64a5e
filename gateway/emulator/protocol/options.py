"""The emulator's knobs: latency, rate limits, page size, the dataset's seed, time,
contact events, and where it is (region, account, STS)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.core.rates import Rate
from gateway.emulator.protocol.knobs import EventKnobs
from gateway.emulator.world.dataset import DEMO_ACCOUNT_ID, DEMO_INSTANCE_ID

__all__ = ["EmulatorOptions"]

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_ACCOUNT = re.compile(r"\d{12}")
_INSTANCE = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")


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

    Where it is: `region` and `account_id` (the demo's us-east-1 and 111122223333 by
    default) make its ARNs and events; `instance_id` renames the first instance (its
    contacts then differ from the demo's). With `region` given, a request signed for
    another region is refused, as AWS does. STS AssumeRole issues credentials for a role of
    `account_id` lasting `sts_credential_seconds` (wall clock, as botocore reads it), asking
    for `role_external_id` when given; with `only_assumed_roles`, Connect and S3 take only
    such credentials, unexpired and of this account.
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
    region: str | None = None
    account_id: str = DEMO_ACCOUNT_ID
    instance_id: str = DEMO_INSTANCE_ID
    sts_credential_seconds: int = 3600
    role_external_id: str | None = None
    only_assumed_roles: bool = False

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
        if self.region is not None and not _REGION.fullmatch(self.region):
            raise ValueError(f"region {self.region!r} is not an AWS region name")
        if not _ACCOUNT.fullmatch(self.account_id):
            raise ValueError("account_id must be 12 digits")
        if not _INSTANCE.fullmatch(self.instance_id):
            raise ValueError("instance_id must be an instance ID (a UUID)")
        if not 900 <= self.sts_credential_seconds <= 43200:
            raise ValueError("sts_credential_seconds must be 900 to 43200, as STS allows")

    @property
    def bucket_size(self) -> int | None:
        """The token bucket's size, or None when operations are not rate limited."""
        if self.rate is None:
            return None
        return self.burst if self.burst is not None else max(1, math.ceil(self.rate))
