"""The response cache: whole GraphQL responses reused while every entity in them is fresh.

An entry is the response's bytes, kept for the least remaining freshness of the entities
the request read (its *tags*, `"<kind>:<instanceId>:<id>"`), at most `MAX_TTL`. Dropping a
tag (an invalidation, or a refetch that found the entity changed) drops every response
holding it. Keys take the caller's scope key, so a response never crosses scopes.

An entry keeps the answer as it was sent (its final headers) and, for a body of
GZIP_MINIMUM_BYTES or more, a gzipped copy beside it, made once when it is kept: the hit
path (gateway/http/hits.py) sends either without compressing anything.

Memory is bounded: least recently used entries go first once the bytes they hold pass the
budget. A request that started before a drop of one of its tags does not store its answer
(it may hold the value the drop was about): the cache remembers recent drops by epoch.
"""

from __future__ import annotations

import hashlib
import sys
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.core.clock import SYSTEM, Clock
from gateway.observability.metrics import Metrics

__all__ = [
    "GZIP_MINIMUM_BYTES",
    "MAX_TTL",
    "Cached",
    "ResponseCache",
    "headers_of",
    "replay",
    "request_key",
]

MAX_TTL = 3600.0
"""The longest a response is kept, even one that holds no entity."""

GZIP_MINIMUM_BYTES = 1024
"""Bodies this long or longer are gzipped for clients that accept it (GZipMiddleware's
minimum in gateway/http/app.py, and the stored copy's)."""

_SLOT = 104  # bytes a key costs in an OrderedDict (hash table slot, order links), or in a set
_REMEMBERED_DROPS = 10_000


@dataclass(frozen=True)
class Cached:
    body: bytes
    raw_headers: tuple[tuple[bytes, bytes], ...]  # the view's: media type, Vary, Cache-Control
    plain_headers: tuple[tuple[bytes, bytes], ...]  # as GZipMiddleware sends `body`
    gzipped: bytes | None  # the body gzipped as GZipMiddleware does, when it is long enough
    gzip_headers: tuple[tuple[bytes, bytes], ...]  # the headers that go with `gzipped`
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
        self._counters: dict[str, Any] = {}  # each result's counter, made on first use

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
        raw = tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in headers)
        gzipped, gzip_headers, plain_headers = _gzip(body, raw)
        cost = _footprint(key, body, (raw, gzip_headers, plain_headers), gzipped, tags)
        if cost > self.max_bytes:
            return False
        if key in self._entries:
            self._remove(key)
        expires = self._clock.monotonic() + min(ttl, MAX_TTL)
        self._entries[key] = Cached(
            body, raw, plain_headers, gzipped, gzip_headers, tags, expires, cost, operation
        )
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
            counter = self._counters.get(result)
            if counter is None:
                counter = self._counters[result] = self._metrics.responses.labels(result)
            counter.inc()

    def _gauge(self) -> None:
        if self._metrics is not None:
            self._metrics.response_bytes.set(self.bytes)


def _gzip(
    body: bytes, headers: tuple[tuple[bytes, bytes], ...]
) -> tuple[bytes | None, tuple[tuple[bytes, bytes], ...], tuple[tuple[bytes, bytes], ...]]:
    """What GZipMiddleware sends for a body long enough: (the gzipped body, its headers, the
    plain body's headers), each with `Accept-Encoding` in `Vary` (it adds it whichever the
    client takes); (None, the headers, the headers) for a shorter one."""
    if len(body) < GZIP_MINIMUM_BYTES:
        return None, headers, headers
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    gzipped = compressor.compress(body) + compressor.flush()
    vary = b", ".join([*(v for n, v in headers if n == b"vary"), b"Accept-Encoding"])
    plain = [(n, v) for n, v in headers if n != b"vary"]
    at = next((i for i, (n, _) in enumerate(headers) if n == b"vary"), len(plain))
    plain.insert(at, (b"vary", vary))  # where MutableHeaders puts it: in the first's place
    zipped = [
        (n, str(len(gzipped)).encode()) if n == b"content-length" else (n, v) for n, v in plain
    ]
    zipped.append((b"content-encoding", b"gzip"))
    return gzipped, tuple(zipped), tuple(plain)


def _footprint(
    key: str,
    body: bytes,
    header_lists: tuple[tuple[tuple[bytes, bytes], ...], ...],
    gzipped: bytes | None,
    tags: frozenset[str],
) -> int:
    """The bytes an entry keeps alive, as Python allocates them (`sys.getsizeof`, in its
    allocator's 16-byte blocks): its bodies,
    key, headers, tags and their sets, the entry itself and its places in the indexes
    (`tests/data/test_responses.py` holds this to tracemalloc's count, within 10 %)."""
    size = _allocated(body) + _allocated(key) + _SLOT + _CACHED
    if gzipped is not None:
        size += _allocated(gzipped)
    counted: set[int] = set()
    for pairs in header_lists:
        if id(pairs) in counted:  # the same tuple, held twice
            continue
        counted.add(id(pairs))
        size += _allocated(pairs) + sum(
            _allocated(pair) + _allocated(pair[0]) + _allocated(pair[1]) for pair in pairs
        )
    # Each tag: its string (the frozenset's own table is its getsizeof), and the tag's index
    # entry: a set of its own, as for a tag no other entry holds (the most it can cost).
    size += _allocated(tags) + sum(_allocated(tag) + _SLOT + _TAG_SET for tag in tags)
    return size


def _allocated(value: object) -> int:
    """What `value` takes from the allocator: its size rounded up to 16 bytes (pymalloc's
    alignment; each of an entry's many small objects, its header bytes among them, wastes
    some)."""
    return (sys.getsizeof(value) + 15) & ~15


_CACHED = 352  # a Cached instance (a frozen dataclass without slots: the object and its dict)
_TAG_SET = 216  # a set of one, as `_by_tag` makes one for a tag no other entry holds


async def request_key(request: Request, scope_key: str, instance: str | None) -> str | None:
    """The cache key of a GraphQL request over HTTP, or None for one never cached. The
    body (or GET's query string) is taken as sent: the same bytes, the same answer. (The
    hit path computes POST's from the same parts: gateway/http/hits.py.)"""
    if request.method == "POST":
        payload = await request.body()
    elif request.method == "GET" and "query" in request.query_params:
        payload = request.scope["query_string"]
    else:
        return None
    # The headers' bytes as sent (Starlette decodes them as Latin-1).
    accept = request.headers.get("accept", "").encode("latin-1")
    content_type = request.headers.get("content-type", "").encode("latin-1")
    return ResponseCache.key(
        scope_key, instance or "", request.method, accept, content_type, payload
    )


def replay(entry: Cached) -> Response:
    """The stored answer, as it was sent the first time (GZipMiddleware compresses it
    again for a client that accepts gzip: the hit path sends the stored copy instead)."""
    response = Response(entry.body)
    response.raw_headers = list(entry.raw_headers)
    return response


def headers_of(response: Response) -> list[tuple[str, str]]:
    return [(name.decode(), value.decode()) for name, value in response.raw_headers]
