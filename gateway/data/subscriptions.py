"""Live subscriptions' side of invalidations: which open subscriptions wait on which tags,
woken when an invalidation names one (from whichever replica), within a per-process limit.

A wake-up is a flag, not a queue: several invalidations before the subscriber has pushed
collapse into one push of the contact as it is then.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from gateway.core.errors import GatewayError

__all__ = ["Subscriptions", "TooManySubscriptions", "Watch"]


class TooManySubscriptions(GatewayError):
    code = "TOO_MANY_SUBSCRIPTIONS"


class Watch:
    """One subscription's wake-up flag."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()

    def notify(self) -> None:
        self._changed.set()

    async def changed(self) -> None:
        """Returns once something this watch waits on changed (since the last return)."""
        await self._changed.wait()
        self._changed.clear()


class Subscriptions:
    """The process's subscriptions: at most `limit` in all, `per_caller` for one caller,
    and `connections_per_caller` websockets for one caller, so that one caller cannot hold
    every slot."""

    def __init__(
        self, limit: int, per_caller: int | None = None, connections_per_caller: int | None = None
    ) -> None:
        self.limit = limit
        self.per_caller = per_caller if per_caller is not None else limit
        self.connections_per_caller = connections_per_caller
        self._by_tag: dict[str, set[Watch]] = {}
        self._count = 0
        self._by_caller: Counter[str] = Counter()
        self._connections: Counter[str] = Counter()

    def __len__(self) -> int:
        return self._count

    def notify(self, tags: list[str]) -> None:
        """An invalidation listener: wakes every watch on one of the tags."""
        for tag in tags:
            for watch in self._by_tag.get(tag, ()):
                watch.notify()

    def open_connection(self, caller: str) -> bool:
        """Counts a websocket of `caller`; False (not counted) at the caller's limit."""
        limit = self.connections_per_caller
        if limit is not None and self._connections[caller] >= limit:
            return False
        self._connections[caller] += 1
        return True

    def close_connection(self, caller: str) -> None:
        self._connections[caller] -= 1
        if self._connections[caller] <= 0:
            del self._connections[caller]

    @contextmanager
    def watch(self, tags: list[str], caller: str = "-") -> Iterator[Watch]:
        """A watch on `tags` while the block runs; TooManySubscriptions at the limit."""
        if self._count >= self.limit:
            raise TooManySubscriptions(
                f"this gateway holds its maximum of {self.limit} subscriptions "
                "(GATEWAY_MAX_SUBSCRIPTIONS); try again later or another replica"
            )
        if self._by_caller[caller] >= self.per_caller:
            raise TooManySubscriptions(
                f"this caller holds its maximum of {self.per_caller} subscriptions "
                "(GATEWAY_MAX_SUBSCRIPTIONS_PER_CALLER) on this replica"
            )
        watch = Watch()
        self._count += 1
        self._by_caller[caller] += 1
        for tag in tags:
            self._by_tag.setdefault(tag, set()).add(watch)
        try:
            yield watch
        finally:
            self._count -= 1
            self._by_caller[caller] -= 1
            if self._by_caller[caller] <= 0:
                del self._by_caller[caller]
            for tag in tags:
                watchers = self._by_tag.get(tag)
                if watchers is not None:
                    watchers.discard(watch)
                    if not watchers:
                        del self._by_tag[tag]
