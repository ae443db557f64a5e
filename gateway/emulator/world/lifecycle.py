"""Active contacts move on: queued, connected to an agent, disconnected, completed.

On the emulator's clock (see `gateway.emulator.world.clock`), each contact that is not finished
has its next step planned: a contact in the flow is QUEUED (a scheduled task at its
scheduled time), a queued one is CONNECTED_TO_AGENT (an agent of the instance), a
connected one is DISCONNECTED by the customer and, after its after-contact work,
COMPLETED; one that never reached an agent is COMPLETED when it disconnects. Each step
writes the members DescribeContact shows (EnqueueTimestamp, AgentInfo, DisconnectTimestamp
and DisconnectReason, the after-contact work ones, LastUpdateTimestamp) and announces the
event. Durations are drawn from a seeded RNG and divided by the time scale (10: ten times
shorter); on a fixed clock nothing moves.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from gateway.emulator.world.clock import Clock
from gateway.emulator.world.contacts import Record
from gateway.emulator.world.dataset import Dataset, Instance
from gateway.emulator.world.events import COMPLETED, CONNECTED_TO_AGENT, DISCONNECTED, QUEUED
from gateway.emulator.world.timeline import ms

__all__ = ["Announce", "Lifecycle", "paused"]

Announce = Callable[[Instance, Record, str, datetime], None]

_DEVICE = {"PlatformName": "Chrome", "PlatformVersion": "141.0", "OperatingSystem": "Windows 11"}
_SECONDS = {
    QUEUED: (5.0, 30.0),
    CONNECTED_TO_AGENT: (10.0, 90.0),
    DISCONNECTED: (60.0, 300.0),
    COMPLETED: (10.0, 60.0),
}


class Lifecycle:
    """The planned next step of every active contact, applied when the clock reaches it."""

    def __init__(
        self, dataset: Dataset, clock: Clock, announce: Announce, seed: int, scale: float = 1.0
    ) -> None:
        self.clock = clock
        self.scale = scale
        self._announce = announce
        self._rng = random.Random(f"{seed}:lifecycle")
        self._steps: list[tuple[datetime, int, Instance, Record, str]] = []
        self._order = 0
        self._wake = asyncio.Event()
        for instance, record in dataset.contacts():
            self.plan(instance, record)

    def plan(self, instance: Instance, record: Record) -> None:
        """Plan `record`'s next step, if it has one."""
        step = _next_step(record)
        if step is None:
            return
        low, high = _SECONDS[step]
        after = max(self.clock.now(), record["LastUpdateTimestamp"])
        scheduled = record.get("ScheduledTimestamp")
        if step == QUEUED and scheduled is not None and scheduled > after:
            after = scheduled
        at = ms(after + timedelta(seconds=self._rng.uniform(low, high) / self.scale))
        self._order += 1
        heapq.heappush(self._steps, (at, self._order, instance, record, step))
        self._wake.set()

    async def run(self) -> None:
        while True:
            wait = self.clock.seconds_until(self._steps[0][0]) if self._steps else float("inf")
            if wait > 0:
                self._wake.clear()
                timeout = None if wait == float("inf") else wait
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
                continue
            at, _, instance, record, step = heapq.heappop(self._steps)
            self._apply(instance, record, step, at)

    def _apply(self, instance: Instance, record: Record, step: str, at: datetime) -> None:
        if step != _next_step(record):
            return  # something else moved it on meanwhile
        record["LastUpdateTimestamp"] = at
        if step == QUEUED:
            record.setdefault("QueueInfo", {})["EnqueueTimestamp"] = at
        elif step == CONNECTED_TO_AGENT:
            self._connect(instance, record, at)
        elif step == DISCONNECTED:
            record["DisconnectTimestamp"] = at
            record["DisconnectReason"] = "CUSTOMER_DISCONNECT"
            if _connected(record):
                record["AgentInfo"]["AfterContactWorkStartTimestamp"] = at
        else:
            info = record["AgentInfo"]
            info["AfterContactWorkEndTimestamp"] = at
            work = at - record["DisconnectTimestamp"]
            info["AfterContactWorkDuration"] = int(work.total_seconds())
        self._announce(instance, record, step, at)
        if step == DISCONNECTED and not _connected(record):
            self._announce(instance, record, COMPLETED, at)
        self.plan(instance, record)

    def _connect(self, instance: Instance, record: Record, at: datetime) -> None:
        info = record.setdefault("AgentInfo", {})
        if "Id" not in info:
            agent = self._rng.choice(instance.directory.agents)
            info["Id"] = agent.id
            # The agent's details, as a seeded contact's (gateway/emulator/world/contacts.py).
            info["HierarchyGroups"] = {
                f"Level{level}": {"Arn": arn}
                for level, arn in enumerate(agent.hierarchy_arns, start=1)
            }
            if record["Channel"] == "VOICE":
                info["DeviceInfo"] = dict(_DEVICE)
                info["VoiceEnhancementMode"] = agent.voice_enhancement
        record.setdefault("RingStartTimestamp", ms(at - timedelta(seconds=3 / self.scale)))
        info.setdefault("AcceptedByAgentTimestamp", ms(at - timedelta(seconds=1 / self.scale)))
        info["ConnectedToAgentTimestamp"] = at
        info.setdefault("AgentPauseDurationInSeconds", 0)


def paused(record: Mapping[str, Any]) -> bool:
    """Paused (PauseContact) since it last resumed: it stands still."""
    at = record.get("LastPausedTimestamp")
    return at is not None and at > record.get("LastResumedTimestamp", at - timedelta(seconds=1))


def _next_step(record: Record) -> str | None:
    if paused(record):
        return None
    if "DisconnectTimestamp" in record:
        working = _connected(record) and "AfterContactWorkEndTimestamp" not in record["AgentInfo"]
        return COMPLETED if working else None
    if _connected(record):
        return DISCONNECTED
    if "QueueInfo" in record and "EnqueueTimestamp" not in record["QueueInfo"]:
        return QUEUED
    if "QueueInfo" in record or "AgentInfo" in record:
        return CONNECTED_TO_AGENT
    return DISCONNECTED


def _connected(record: Record) -> bool:
    return "ConnectedToAgentTimestamp" in record.get("AgentInfo", {})
