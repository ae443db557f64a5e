"""Contact searches in Connect's terms, and their pages shared by every caller.

A `Search` says what to look for (instance, time range, Connect's SearchCriteria, sort)
without GraphQL's types; `params()` is the SearchContacts request for it. A page of a
search (its size and NextToken too) is an entity of the store, kind "search", whose ID is
a digest of the whole request: within `GATEWAY_TTL_SEARCH_SECONDS` the same page costs one
SearchContacts call for every caller and replica (the store's cache, single-flight and
Redis lease), tagged `search:<instance ID>:<digest>` for invalidations and the response
cache.

A range that ends now ("the last 10 minutes": its end within a minute, or a TTL if
longer, of the gateway's clock) differs between pollers by the milliseconds or seconds
between their clocks, so such a first page is not named by its times: its ID holds the
range's length (to the second) instead, and it is searched as of the moment it is fetched,
ending then (`Page.recent`). Every poller of that relative range shares it; it is fresh
for a TTL from that fetch, then served stale while one refresh runs, so SearchContacts is
called at most once a TTL for it, whenever the pollers started. The page keeps the range it
was searched over (`SearchedRange`, beside Connect's members), which the cursor carries:
later pages are ordinary pages of that absolute range, which Connect's NextToken was issued
for. A range that does not end now is searched as given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.connect import ConnectClient
from gateway.core.settings import Settings
from gateway.data.kinds import Kind

__all__ = ["FETCHED", "SEARCH", "Page", "Search", "TimeRange"]

FETCHED = "gateway:fetched"
"""In a stored page: when it was fetched (the store's clock), to tell the contacts in it
that changed since (`EntityStore.changed_since`)."""

_SKEW = 60.0
"""Seconds a poller's clock may be off the gateway's and its range still end "now"."""


@dataclass(frozen=True)
class TimeRange:
    type: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Search:
    instance_id: str
    time_range: TimeRange
    criteria: Mapping[str, Any] | None = None
    """Connect's SearchCriteria members (`gateway.connect.wire.members` of the input)"""
    sort: tuple[str, str] | None = None
    """(field name, order)"""

    def params(self) -> dict[str, Any]:
        """SearchContacts' members for this search, but paging."""
        params: dict[str, Any] = {
            "InstanceId": self.instance_id,
            "TimeRange": {
                "Type": self.time_range.type,
                "StartTime": self.time_range.start,
                "EndTime": self.time_range.end,
            },
        }
        if self.criteria is not None:
            params["SearchCriteria"] = dict(self.criteria)
        if self.sort is not None:
            params["Sort"] = {"FieldName": self.sort[0], "Order": self.sort[1]}
        return params

    def digest(self) -> str:
        """A short digest of what is searched for: all but paging and the range's times
        (a cursor carries the range its search was made over)."""
        params = self.params()
        params["TimeRange"] = {"Type": self.time_range.type}
        return _digest(params)

    def ends_now(self, now: datetime, window: float) -> bool:
        """True when the range ends within a minute (or `window` seconds) of `now`."""
        reach = timedelta(seconds=max(window, _SKEW))
        return abs(self.time_range.end - now) <= reach

    def within(self, start: datetime, end: datetime) -> Search:
        """This search over another time range of the same type."""
        return replace(self, time_range=replace(self.time_range, start=start, end=end))


@dataclass(frozen=True)
class Page:
    """One page of a search: its entity ID in the store, and the kind that fetches it.

    A `recent` page (a first page whose range ends now) is named by its range's length and
    searched over the range of that length ending when it is fetched."""

    search: Search
    size: int
    token: str | None = None
    recent: bool = False

    @property
    def params(self) -> dict[str, Any]:
        paging = {"MaxResults": self.size} | ({"NextToken": self.token} if self.token else {})
        return self.search.params() | paging

    @property
    def id(self) -> str:
        params = self.params
        if self.recent:
            params["TimeRange"] = {"Type": self.search.time_range.type, "Last": self._length}
        return _digest(params)

    @property
    def kind(self) -> Kind:
        page = self

        async def fetch(connect: ConnectClient, instance_id: str, page_id: str) -> Any:
            searched = page.search
            if page.recent:
                end = connect.clock.now().replace(microsecond=0)
                searched = searched.within(end - page._length * timedelta(seconds=1), end)
            found = await connect.search_contacts(**replace(page, search=searched).params)
            window = [
                moment.isoformat()
                for moment in (searched.time_range.start, searched.time_range.end)
            ]
            return found | {"SearchedRange": window, FETCHED: connect.clock.time()}

        return replace(SEARCH, fetch=fetch)

    @property
    def _length(self) -> int:
        """The range's length, in whole seconds (at least one)."""
        length = self.search.time_range.end - self.search.time_range.start
        return max(1, round(length.total_seconds()))


async def _unbound(connect: ConnectClient, instance_id: str, page_id: str) -> Any:
    raise LookupError(f"search page {page_id} can only be fetched through its Page")


def _ttl(settings: Settings, page: Any) -> float:
    return settings.ttl_search_seconds


def _stale_for(settings: Settings) -> float:
    # A dashboard polling a search is served its page at once, however old, while one
    # refresh (at most at the quota's pace, on free turns) brings it up to date.
    return settings.stale_if_error_seconds


SEARCH = Kind(
    "search", _unbound, _ttl,
    operations=("connect:SearchContacts",), calls=1, personal="members",
    not_invalidated="keyed by its search, not its contacts: GATEWAY_TTL_SEARCH_SECONDS bounds it",
    stale_for=_stale_for,
)  # fmt: skip
"""The kind of search pages: its key and tag formats, for invalidations; `Page.kind`
fetches one."""


def _digest(params: dict[str, Any]) -> str:
    text = json.dumps(params, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")
