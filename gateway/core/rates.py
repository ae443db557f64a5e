"""Connect's API rate quotas: requests per second and burst, per operation.

Connect's defaults (per account and region; an account can have them raised) are the
table below; any operation not in it has Connect's most common default, 2/s burst 5.
Overrides are written `SearchContacts=0.5/1,DescribeContact=5/10` (GATEWAY_QUOTAS, and the
emulator's `--quota`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["CONNECT_DEFAULT", "CONNECT_QUOTAS", "Rate", "Rates", "parse_rate", "parse_rates"]


@dataclass(frozen=True)
class Rate:
    """`per_second` tokens a second into a bucket of `burst`."""

    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if not self.per_second > 0:
            raise ValueError(f"a rate must be positive, got {self.per_second:g}")
        if self.burst < 1:
            raise ValueError(f"a burst must be at least 1, got {self.burst}")

    def __str__(self) -> str:
        return f"{self.per_second:g}/{self.burst}"


CONNECT_QUOTAS: Mapping[str, Rate] = {
    "DescribeContact": Rate(10, 15),
    "GetContactAttributes": Rate(10, 15),
    "ListContactReferences": Rate(10, 15),
    "SearchContacts": Rate(0.5, 1),
    "DescribeUser": Rate(2, 5),
    "DescribeQueue": Rate(2, 5),
    "ListAssociatedContacts": Rate(2, 5),
    # Quality data (gateway/connect/client.py): Connect's throttling table gives these no
    # figure of their own that we could confirm, so they take its documented default, 2/s
    # burst 5, written out so that they show in the table (GATEWAY_QUOTAS overrides them).
    "ListRealtimeContactAnalysisSegmentsV2": Rate(2, 5),
    "ListRealtimeContactAnalysisSegments": Rate(2, 5),  # connect-contact-lens
    "ListContactEvaluations": Rate(2, 5),
    "DescribeContactEvaluation": Rate(2, 5),
    "ListInstanceStorageConfigs": Rate(2, 5),
    # The contact writes (api/mutation.py): Connect's service-quotas page gives them no
    # figure of their own, so they take its general default, 2/s burst 5, written out.
    "UpdateContact": Rate(2, 5),
    "UpdateContactAttributes": Rate(2, 5),
    "TagContact": Rate(2, 5),
    "UntagContact": Rate(2, 5),
    "UpdateContactRoutingData": Rate(2, 5),
    "UpdateContactSchedule": Rate(2, 5),
    "StartTaskContact": Rate(2, 5),
    "TransferContact": Rate(2, 5),
    "StopContact": Rate(2, 5),
    "PauseContact": Rate(2, 5),
    "ResumeContact": Rate(2, 5),
    "StartContactEvaluation": Rate(2, 5),
    "UpdateContactEvaluation": Rate(2, 5),
    "SubmitContactEvaluation": Rate(2, 5),
    # S3 (Contact Lens' output files), not Connect: S3 takes 5,500 GET/HEAD requests a
    # second per prefix; these keep the gateway's reads of it far below that.
    "ListObjectsV2": Rate(50, 100),
    "GetObject": Rate(50, 100),
}
CONNECT_DEFAULT = Rate(2, 5)

JITTER_SECONDS = 0.5

_ENTRY = re.compile(r"^([A-Z][A-Za-z0-9]{1,127})=([0-9.]+)/([0-9]+)$")


@dataclass(frozen=True)
class Rates:
    """A rate per operation, and one for every other operation."""

    table: Mapping[str, Rate] = field(default_factory=lambda: dict(CONNECT_QUOTAS))
    default: Rate = CONNECT_DEFAULT

    def of(self, operation: str) -> Rate:
        return self.table.get(operation, self.default)

    def guarded(self, headroom: float) -> Rates:
        """The rates to keep to so that Connect never sees one call too many, though a call
        can reach it up to `JITTER_SECONDS` after its turn (a busy thread pool or event
        loop, on either side): `headroom` of each rate; a burst smaller by the turns of that
        delay (turns given that far apart may arrive together); and where that leaves no
        burst to spare (burst 1: SearchContacts), calls spaced by that delay more."""
        return Rates(
            {op: _guarded(rate, headroom) for op, rate in self.table.items()},
            _guarded(self.default, headroom),
        )

    def shared(self, fraction: float) -> Rates:
        """`fraction` of each rate and burst (at least one call): the gateway's part of an
        account's quota, which contact flows and other tools spend too."""
        return Rates(
            {op: _share(rate, fraction) for op, rate in self.table.items()},
            _share(self.default, fraction),
        )

    @classmethod
    def uniform(cls, per_second: float, burst: int) -> Rates:
        return cls({}, Rate(per_second, burst))

    def __str__(self) -> str:
        return ",".join(f"{op}={rate}" for op, rate in self.table.items())


def _share(rate: Rate, fraction: float) -> Rate:
    return Rate(rate.per_second * fraction, max(1, math.floor(rate.burst * fraction + 1e-9)))


def _guarded(rate: Rate, headroom: float) -> Rate:
    spare = (rate.burst - 1) / rate.per_second  # seconds of delay the burst absorbs
    spacing = 1 / rate.per_second + max(0.0, JITTER_SECONDS - spare)
    per_second = min(rate.per_second * headroom, 1 / spacing)
    # Turns in any window W number at most burst' + per_second x W; they arrive within
    # W + JITTER_SECONDS of each other, which Connect allows if burst' + per_second x
    # JITTER_SECONDS <= burst (per_second <= the rate does the rest).
    burst = max(1, math.floor(rate.burst - per_second * JITTER_SECONDS + 1e-9))
    return Rate(per_second, burst)


def parse_rate(text: str) -> tuple[str, Rate]:
    """`OP=RATE/BURST` as (operation, Rate); ValueError naming what is wrong."""
    match = _ENTRY.match(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not OPERATION=RATE/BURST, e.g. SearchContacts=0.5/1")
    try:
        rate = Rate(float(match.group(2)), int(match.group(3)))
    except ValueError as error:
        raise ValueError(f"{text.strip()!r}: {error}") from error
    return match.group(1), rate


def parse_rates(text: str | Iterable[str]) -> dict[str, Rate]:
    """A comma list (or items) of `OP=RATE/BURST`; later entries win."""
    items = text.split(",") if isinstance(text, str) else text
    return dict(parse_rate(item) for item in items if item.strip())
