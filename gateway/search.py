"""Contact searches in Connect's terms, and their pages shared by every caller.

A `Search` says what to look for (instance, time range, criteria, sort) without GraphQL's
types; `params()` is the SearchContacts request for it. A page of a search (its size and
NextToken too) is an entity of the store, kind "search", whose ID is a digest of the whole
request: within `GATEWAY_TTL_SEARCH_SECONDS` the same page costs one SearchContacts call
for every caller and replica (the store's cache, single-flight and Redis lease), tagged
`search:<instance ID>:<digest>` for invalidations and the response cache.

A range that reaches the present ("the last 10 minutes": its end within a minute, or a
TTL if longer, of the gateway's clock) is different for each poller, by the milliseconds
or seconds between their clocks, so it is first moved onto a grid of TTL-long windows
(`shared`): its end to the end of the gateway's current window (the next multiple of the
TTL since the epoch), its start by as much and then back to the grid. Pollers of the same
relative range within one window then make the same request: the range asked for, as of
the window's end, and at most a TTL longer at its start so that rounding never leaves out
a contact of the range's length. Such a page is kept until its window ends and a TTL more,
for requests still under way at the turn of the window (which would otherwise search the
old window again, beside the new one's search, and spend two calls of Connect's 0.5/s at
once). Other ranges are left as they are; their pages are fresh for a TTL.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.connect import ConnectClient
from gateway.settings import Settings
from gateway.store import Kind

__all__ = [
    "SEARCH",
    "Attributes",
    "Criteria",
    "KeyValues",
    "Page",
    "Search",
    "TagCondition",
    "Tags",
    "TimeRange",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SKEW = 60.0
"""Seconds a poller's clock may be off the gateway's and its range still be "until now"."""
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class TimeRange:
    type: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class KeyValues:
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Attributes:
    criteria: tuple[KeyValues, ...]
    match_type: str | None = None


@dataclass(frozen=True)
class TagCondition:
    key: str
    value: str


@dataclass(frozen=True)
class Tags:
    or_conditions: tuple[tuple[TagCondition, ...], ...] | None = None
    and_conditions: tuple[TagCondition, ...] | None = None
    condition: TagCondition | None = None


@dataclass(frozen=True)
class Criteria:
    """SearchCriteria; `hierarchy` holds the agent hierarchy's levels 1 to 5 (None: any)."""

    channels: tuple[str, ...] | None = None
    initiation_methods: tuple[str, ...] | None = None
    queue_ids: tuple[str, ...] | None = None
    agent_ids: tuple[str, ...] | None = None
    hierarchy: tuple[tuple[str, ...] | None, ...] | None = None
    name_texts: tuple[str, ...] | None = None
    name_match_type: str | None = None
    contact_attributes: Attributes | None = None
    segment_attributes: Attributes | None = None
    tags: Tags | None = None


@dataclass(frozen=True)
class Search:
    instance_id: str
    time_range: TimeRange
    criteria: Criteria | None = None
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
            params["SearchCriteria"] = _criteria(self.criteria)
        if self.sort is not None:
            params["Sort"] = {"FieldName": self.sort[0], "Order": self.sort[1]}
        return params

    def digest(self) -> str:
        """A short digest of what is searched for: all but paging and the range's times
        (a cursor carries the range its search was made over)."""
        params = self.params()
        params["TimeRange"] = {"Type": self.time_range.type}
        return _digest(params)

    def shared(self, window: float, now: datetime) -> Search:
        """This search on the grid of `window`-second windows, if its range reaches `now`."""
        reach = timedelta(seconds=max(window, _SKEW))
        if window <= 0 or abs(self.time_range.end - now) > reach:
            return self
        grid = round(window * 1_000_000)
        end = _on_grid(now, grid, up=True)
        start = _on_grid(self.time_range.start + (end - self.time_range.end), grid, up=False)
        return self.within(start, end)

    def within(self, start: datetime, end: datetime) -> Search:
        """This search over another time range of the same type."""
        return replace(self, time_range=replace(self.time_range, start=start, end=end))


@dataclass(frozen=True)
class Page:
    """One page of a search: its entity ID in the store, and the kind that fetches it."""

    search: Search
    size: int
    token: str | None

    @property
    def params(self) -> dict[str, Any]:
        paging = {"MaxResults": self.size} | ({"NextToken": self.token} if self.token else {})
        return self.search.params() | paging

    @property
    def id(self) -> str:
        return _digest(self.params)

    @property
    def kind(self) -> Kind:
        params = self.params

        end = self.search.time_range.end

        async def fetch(connect: ConnectClient, instance_id: str, page_id: str) -> Any:
            return await connect.search_contacts(**params)

        def ttl(settings: Settings, page: Any) -> float:
            # A page whose window has not ended yet is asked for until it does, and a
            # little after (requests under way): kept until then, and a TTL more.
            window = settings.ttl_search_seconds
            ahead = (end - datetime.now(UTC)).total_seconds()
            return min(max(ahead, 0.0), window) + window

        return replace(SEARCH, fetch=fetch, ttl=ttl)


async def _unbound(connect: ConnectClient, instance_id: str, page_id: str) -> Any:
    raise LookupError(f"search page {page_id} can only be fetched through its Page")


def _ttl(settings: Settings, page: Any) -> float:
    return settings.ttl_search_seconds


SEARCH = Kind("search", _unbound, _ttl)
"""The kind of search pages: its key and tag formats, for invalidations; `Page.kind`
fetches one."""


def _digest(params: dict[str, Any]) -> str:
    text = json.dumps(params, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _on_grid(moment: datetime, grid: int, *, up: bool) -> datetime:
    """`moment` moved to a multiple of `grid` microseconds since the epoch."""
    micros = (moment - _EPOCH) // _MICROSECOND
    steps = -(-micros // grid) if up else micros // grid
    return _EPOCH + steps * grid * _MICROSECOND


def _criteria(criteria: Criteria) -> dict[str, Any]:
    out: dict[str, Any] = {}
    lists = {
        "Channels": criteria.channels,
        "InitiationMethods": criteria.initiation_methods,
        "QueueIds": criteria.queue_ids,
        "AgentIds": criteria.agent_ids,
    }
    out |= {name: list(values) for name, values in lists.items() if values is not None}
    if criteria.hierarchy is not None:
        out["AgentHierarchyGroups"] = {
            f"L{level}Ids": list(ids)
            for level, ids in enumerate(criteria.hierarchy, 1)
            if ids is not None
        }
    if criteria.name_texts is not None:
        out["Name"] = {"SearchText": list(criteria.name_texts)}
        if criteria.name_match_type is not None:
            out["Name"]["MatchType"] = criteria.name_match_type
    if criteria.contact_attributes is not None:
        out["SearchableContactAttributes"] = _attributes(criteria.contact_attributes)
    if criteria.segment_attributes is not None:
        out["SearchableSegmentAttributes"] = _attributes(criteria.segment_attributes)
    if criteria.tags is not None:
        out["ContactTags"] = _tags(criteria.tags)
    return out


def _attributes(attributes: Attributes) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Criteria": [{"Key": c.key, "Values": list(c.values)} for c in attributes.criteria]
    }
    if attributes.match_type is not None:
        out["MatchType"] = attributes.match_type
    return out


def _tags(tags: Tags) -> dict[str, Any]:
    def condition(c: TagCondition) -> dict[str, str]:
        return {"TagKey": c.key, "TagValue": c.value}

    out: dict[str, Any] = {}
    if tags.or_conditions is not None:
        out["OrConditions"] = [[condition(c) for c in group] for group in tags.or_conditions]
    if tags.and_conditions is not None:
        out["AndConditions"] = [condition(c) for c in tags.and_conditions]
    if tags.condition is not None:
        out["TagCondition"] = condition(tags.condition)
    return out
