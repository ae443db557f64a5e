"""The response cache: whole GraphQL responses reused while every entity in them is fresh.

An entry is the response's bytes, kept for the least remaining freshness of the entities
the request read (its *tags*, `"<kind>:<instanceId>:<id>"`), at most `MAX_TTL`. Dropping a
tag (an invalidation, or a refetch that found the entity changed) drops every response
holding it. Keys take the caller's scope key, so a response never crosses scopes.

Memory is bounded: least recently used entries go first once the bytes they hold pass the
budget. A request that started before a drop of one of its tags does not store its answer
(it may hold the value the drop was about): the cache remembers recent drops by epoch.
"""

from __future__ import annotations

import hashlib
import sys
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from gateway.core.clock import SYSTEM, Clock
from gateway.observability.metrics import Metrics

__all__ = ["MAX_TTL", "Cached", "ResponseCache", "headers_of", "replay", "request_key"]

MAX_TTL = 3600.0
"""The longest a response is kept, even one that holds no entity."""

_SLOT = 104  # bytes a key costs in an OrderedDict (hash table slot, order links), or in a set
_REMEMBERED_DROPS = 10_000


@dataclass(frozen=True)
class Cached:
    body: bytes
    headers: tuple[tuple[str, str], ...]
    tags: frozenset[str]
    expires: float
    cost: int
    operation: str  # its metrics label, for the requests it answers


class ResponseCache:
    def __init__(
        self,
        max_bytes: int,
        metrics: Metrics | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._metrics = metrics
        self._clock = clock
        self._entries: OrderedDict[str, Cached] = OrderedDict()
        self._by_tag: dict[str, set[str]] = {}
        self._epoch = 0
        self._dropped: OrderedDict[str, int] = OrderedDict()
        self._forgotten = 0

    @staticmethod
    def key(*parts: str | bytes) -> str:
        """A key for the request these parts describe (scope key, method, body...)."""
        digest = hashlib.sha256()
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)
        return digest.hexdigest()

    @property
    def epoch(self) -> int:
        """Counts drops: pass the value read when a request starts to `put`."""
        return self._epoch

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Cached | None:
        entry = self._entries.get(key)
        if entry is not None and entry.expires <= self._clock.monotonic():
            self._remove(key)
            entry = None
        if entry is not None:
            self._entries.move_to_end(key)
        self._count("hit" if entry is not None else "miss")
        return entry

    def count_bypass(self) -> None:
        self._count("bypass")

    def put(
        self,
        key: str,
        body: bytes,
        headers: Iterable[tuple[str, str]],
        tags: Iterable[str],
        ttl: float,
        since: int,
        operation: str = "",
    ) -> bool:
        """Keeps the response for `ttl` seconds (at most MAX_TTL) unless one of its tags was
        dropped after epoch `since`; False when it is not kept."""
        tags = frozenset(tags)
        if ttl <= 0 or self._dropped_since(tags, since):
            return False
        headers = tuple(headers)
        cost = _footprint(key, body, headers, tags)
        if cost > self.max_bytes:
            return False
        if key in self._entries:
            self._remove(key)
        expires = self._clock.monotonic() + min(ttl, MAX_TTL)
        self._entries[key] = Cached(body, headers, tags, expires, cost, operation)
        self.bytes += cost
        for tag in tags:
            self._by_tag.setdefault(tag, set()).add(key)
        while self.bytes > self.max_bytes:
            self._remove(next(iter(self._entries)))
        self._gauge()
        return True

    def drop(self, tags: Iterable[str]) -> int:
        """Drops every response holding one of these entity tags; how many it dropped."""
        tags = list(tags)
        if not tags:
            return 0
        self._epoch += 1
        dropped = 0
        for tag in tags:
            self._dropped[tag] = self._epoch
            self._dropped.move_to_end(tag)
            for key in list(self._by_tag.get(tag, ())):
                self._remove(key)
                dropped += 1
        while len(self._dropped) > _REMEMBERED_DROPS:
            _, epoch = self._dropped.popitem(last=False)
            self._forgotten = max(self._forgotten, epoch)
        self._gauge()
        return dropped

    def clear(self) -> None:
        """Drops every response, and refuses those being made (see
        Invalidations.on_resubscribed: invalidations may have been missed)."""
        self._epoch += 1
        self._forgotten = self._epoch  # as if every tag had been dropped now
        for key in list(self._entries):
            self._remove(key)
        self._gauge()

    def _dropped_since(self, tags: frozenset[str], since: int) -> bool:
        if self._epoch == since:
            return False
        if self._forgotten > since:
            return True  # a drop we no longer remember may have named one of them
        return any(self._dropped.get(tag, 0) > since for tag in tags)

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key)
        self.bytes -= entry.cost
        for tag in entry.tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]

    def _count(self, result: str) -> None:
        if self._metrics is not None:
            self._metrics.responses.labels(result).inc()

    def _gauge(self) -> None:
        if self._metrics is not None:
            self._metrics.response_bytes.set(self.bytes)


def _footprint(
    key: str, body: bytes, headers: tuple[tuple[str, str], ...], tags: frozenset[str]
) -> int:
    """The bytes an entry keeps alive, as Python counts them (`sys.getsizeof`): its body,
    key, headers, tags and their sets, the entry itself and its places in the indexes
    (`tests/data/test_responses.py` holds this to tracemalloc's count, within 10 %)."""
    size = sys.getsizeof(body) + sys.getsizeof(key) + _SLOT + _CACHED
    size += sys.getsizeof(headers) + sum(
        sys.getsizeof(pair) + sys.getsizeof(pair[0]) + sys.getsizeof(pair[1]) for pair in headers
    )
    # Each tag: its string (the frozenset's own table is its getsizeof), and the tag's index
    # entry: a set of its own, as for a tag no other entry holds (the most it can cost).
    size += sys.getsizeof(tags) + sum(sys.getsizeof(tag) + _SLOT + _TAG_SET for tag in tags)
    return size


_CACHED = 352  # a Cached instance (a frozen dataclass without slots: the object and its dict)
_TAG_SET = 216  # a set of one, as `_by_tag` makes one for a tag no other entry holds


async def request_key(request: Request, scope_key: str, instance: str | None) -> str | None:
    """The cache key of a GraphQL request over HTTP, or None for one never cached. The
    body (or GET's query string) is taken as sent: the same bytes, the same answer."""
    if request.method == "POST":
        payload = await request.body()
    elif request.method == "GET" and "query" in request.query_params:
        payload = request.url.query.encode()
    else:
        return None
    accept = request.headers.get("accept", "")
    content_type = request.headers.get("content-type", "")
    return ResponseCache.key(
        scope_key, instance or "", request.method, accept, content_type, payload
    )


def replay(entry: Cached) -> Response:
    """The stored answer, as it was sent the first time."""
    response = Response(entry.body)
    response.raw_headers = [(name.encode(), value.encode()) for name, value in entry.headers]
    return response


def headers_of(response: Response) -> list[tuple[str, str]]:
    return [(name.decode(), value.decode()) for name, value in response.raw_headers]
