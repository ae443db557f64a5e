"""Posting contact events to a receiver, as an EventBridge API destination does, off the
request path: `publish` only queues; workers post each event as a JSON body, with header
X-API-Key when a key is set. A failed post (no connection, 429 or 5xx) is retried a few
times, then the event is dropped and counted; so is one the receiver refuses (other 4xx)
and one that finds the queue full. The knobs (drop, duplicate, delay) apply at publish.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from gateway.emulator.protocol.knobs import EventKnobs

__all__ = ["EventSender"]

log = logging.getLogger(__name__)

_WORKERS = 4
_QUEUE_SIZE = 10_000
_RETRIES = (0.1, 0.3, 0.9)
"""Waits before each retry of a failed post, in seconds."""


class EventSender:
    """Contact events on their way to `url` (None: they are not sent, only counted)."""

    def __init__(
        self, url: str | None, api_key: str | None, knobs: EventKnobs, seed: int = 0
    ) -> None:
        self.url = url
        self.api_key = api_key
        self.knobs = knobs
        self._rng = random.Random(seed)
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(_QUEUE_SIZE)
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._client: httpx.AsyncClient | None = None

    def publish(self, event: dict[str, Any]) -> None:
        """Queue `event` (from the emulator's event loop), as the knobs decide."""
        self._count("published")
        if self.url is None:
            return
        if self._rng.random() < self.knobs.drop:
            self._count("dropped")
            return
        knobs = self.knobs
        if knobs.late_ms > 0:
            event = event | {"time": _later(event["time"], self._rng.uniform(0, knobs.late_ms))}
        copies = 1
        if self._rng.random() < knobs.duplicate:
            self._count("duplicated")
            copies = 2
        for _ in range(copies):
            delay = knobs.delay_ms + self._rng.uniform(0, knobs.jitter_ms)
            if self._rng.random() < knobs.reorder:
                self._count("reordered")
                delay += knobs.hold_ms
            if delay > 0:
                self._later(delay / 1000, event)
            else:
                self._enqueue(event)

    def stats(self) -> dict[str, int]:
        """published, sent, dropped (by the knob), duplicated, reordered (held back),
        retried, failed, pending."""
        with self._lock:
            names = (
                "published", "sent", "dropped", "duplicated", "reordered", "retried", "failed"
            )  # fmt: skip
            counts = {name: self._counts[name] for name in names}
        return counts | {"pending": self._queue.qsize() + len(self._timers)}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=5.0)
        for number in range(_WORKERS):
            task = asyncio.create_task(self._work(), name=f"emulator-events-{number}")
            self._tasks.add(task)

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def _later(self, seconds: float, event: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()

        def due() -> None:
            self._timers.discard(timer)
            self._enqueue(event)

        timer = loop.call_later(seconds, due)
        self._timers.add(timer)

    def _enqueue(self, event: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._count("failed")

    async def _work(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                self._count("sent" if await self._post(event) else "failed")
            finally:
                self._queue.task_done()

    async def _post(self, event: dict[str, Any]) -> bool:
        url, client = self.url, self._client
        if url is None or client is None:
            return False
        headers = {"X-API-Key": self.api_key} if self.api_key else {}
        for attempt, wait in enumerate((*_RETRIES, None)):
            try:
                response = await client.post(url, json=event, headers=headers)
            except httpx.HTTPError as error:
                outcome = f"{type(error).__name__}"
            else:
                if response.is_success:
                    return True
                if response.status_code != 429 and response.status_code < 500:
                    log.warning("events: %s refused an event: %s", url, response.status_code)
                    return False
                outcome = f"status {response.status_code}"
            if wait is None:
                log.warning("events: gave up on an event after %d tries (%s)", attempt + 1, outcome)
                return False
            self._count("retried")
            await asyncio.sleep(wait)
        return False

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1


def _later(time: str, milliseconds: float) -> str:
    """An EventBridge `time` (whole seconds) `milliseconds` later, rounded down."""
    moment = datetime.strptime(time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return (moment + timedelta(milliseconds=milliseconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
