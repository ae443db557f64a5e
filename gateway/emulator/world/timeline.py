"""When things happen to one demo contact: system, queue, agent, disconnect, after-contact work.

Times are drawn from the dataset's RNG, kept to whole milliseconds (as Connect's are), and
cut at the dataset's now: an event after it has not happened yet, which is what makes a
contact still active. NOW is the moment the seeded data was designed around; the emulator
builds it at another now (its start-up, on the wall clock) with the same offsets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["NOW", "Timeline", "ms", "plan_timeline"]

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

_IVR = {"VOICE": (15.0, 90.0), "CHAT": (5.0, 30.0), "TASK": (0.5, 3.0), "EMAIL": (1.0, 5.0)}


@dataclass(frozen=True)
class Timeline:
    """A contact's events; None for those that did not (or not yet) happen."""

    start: datetime
    system: datetime | None
    enqueue: datetime | None
    ring: datetime | None
    accepted: datetime | None
    connected: datetime | None
    end: datetime | None
    acw_end: datetime | None

    @property
    def active(self) -> bool:
        return self.end is None

    @property
    def last_update(self) -> datetime:
        events = (self.system, self.enqueue, self.ring, self.accepted, self.connected)
        happened = [event for event in (*events, self.end, self.acw_end) if event is not None]
        return max([self.start, *happened])


def ms(moment: datetime) -> datetime:
    """`moment` truncated to whole milliseconds."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def plan_timeline(
    rng: random.Random,
    channel: str,
    start: datetime,
    *,
    queued: bool,
    agent: bool,
    talk: float,
    scheduled: datetime | None = None,
    now: datetime = NOW,
) -> Timeline:
    """The events of one contact, cut at `now`."""

    def after(moment: datetime | None, low: float, high: float) -> datetime | None:
        if moment is None:
            return None
        later = ms(moment + timedelta(seconds=rng.uniform(low, high)))
        return later if later <= now else None

    start = ms(start)
    system = after(start, 0.2, 1.5) if channel in ("VOICE", "CHAT") else None
    enqueue = after(scheduled or start, *_IVR[channel]) if queued else None
    if queued and agent:
        ring = after(enqueue, 5.0, 420.0)
    elif agent:
        ring = after(start, 0.3, 1.0)
    else:
        ring = None
    accepted = after(ring, 2.0, 9.0)
    connected = after(accepted, 0.4, 2.0)
    if agent:
        end = after(connected, talk * 0.6, talk * 1.4)
    elif queued:
        end = after(enqueue, 30.0, 600.0)
    else:
        end = after(start, talk * 0.6, talk * 1.4)
    acw_end = after(end, 10.0, 120.0) if agent else None
    return Timeline(start, system, enqueue, ring, accepted, connected, end, acw_end)
