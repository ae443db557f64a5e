"""Search requests below the GraphQL layer: Connect's parameters, page identity, and the
shared window of ranges that reach the present."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from gateway.connect import ConnectClient
from gateway.core.settings import Settings
from gateway.data.search import SEARCH, Page, Search, TimeRange
from tests.clock import FakeClock

NOW = datetime(2026, 11, 25, 12, 0, 3, 217000, tzinfo=UTC)
INSTANCE = "d7a3c8e4-2f61-4b9e-8c05-93e1f6a2b7d4"


def last(minutes: float, now: datetime = NOW) -> Search:
    """ "The last `minutes`", as a poller computes it from its own clock."""
    start = now - timedelta(minutes=minutes)
    return Search(INSTANCE, TimeRange("INITIATION_TIMESTAMP", start, now))


def test_params_are_connects() -> None:
    search = Search(
        INSTANCE,
        TimeRange("INITIATION_TIMESTAMP", NOW - timedelta(hours=1), NOW),
        {"Channels": ["VOICE"], "Name": {"SearchText": ["refund"], "MatchType": "MATCH_ANY"}},
        ("INITIATION_TIMESTAMP", "ASCENDING"),
    )
    assert search.params() == {
        "InstanceId": INSTANCE,
        "TimeRange": {
            "Type": "INITIATION_TIMESTAMP",
            "StartTime": NOW - timedelta(hours=1),
            "EndTime": NOW,
        },
        "SearchCriteria": {
            "Channels": ["VOICE"],
            "Name": {"SearchText": ["refund"], "MatchType": "MATCH_ANY"},
        },
        "Sort": {"FieldName": "INITIATION_TIMESTAMP", "Order": "ASCENDING"},
    }


def test_a_page_is_named_by_its_whole_request() -> None:
    search = last(10)
    first, again = Page(search, 25, None), Page(last(10), 25, None)
    assert first.id == again.id
    assert len({first.id, Page(search, 10, None).id, Page(search, 25, "t").id}) == 3
    assert first.kind.tag(INSTANCE, first.id) == f"search:{INSTANCE}:{first.id}"
    assert first.kind.key(INSTANCE, first.id) == SEARCH.key(INSTANCE, first.id)
    assert first.params == search.params() | {"MaxResults": 25}


def test_pollers_of_a_relative_range_share_one_recent_page() -> None:
    """Pollers whose clocks differ by milliseconds or seconds name the same page."""
    pages = {
        Page(last(10, NOW + timedelta(milliseconds=skew)), 25, recent=True).id
        for skew in (-3000, -1, 0, 1, 250, 40_000)
    }
    assert len(pages) == 1
    assert Page(last(11), 25, recent=True).id not in pages
    assert Page(last(10), 25).id not in pages


def test_which_ranges_end_now() -> None:
    assert last(10).ends_now(NOW, 5.0)
    assert last(10, NOW - timedelta(seconds=50)).ends_now(NOW, 5.0)
    assert last(10, NOW + timedelta(seconds=50)).ends_now(NOW, 5.0)
    assert not last(10, NOW - timedelta(minutes=2)).ends_now(NOW, 5.0)
    assert last(10, NOW - timedelta(minutes=2)).ends_now(NOW, 300.0)


class Recorder:
    """Stands in for the Connect client: records what SearchContacts was asked."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.asked: list[dict[str, Any]] = []
        self.clock = clock or FakeClock()

    async def search_contacts(self, **params: Any) -> dict[str, Any]:
        self.asked.append(params)
        return {"Contacts": [], "TotalCount": 0}


async def test_a_recent_page_is_searched_as_of_its_fetch() -> None:
    page = Page(last(10, NOW - timedelta(seconds=30)), 25, recent=True)
    clock = FakeClock(NOW.timestamp() + 0.5)  # the gateway's now when it fetches
    connect = Recorder(clock)
    found = await page.kind.fetch(cast(ConnectClient, connect), INSTANCE, page.id)
    searched = connect.asked[0]["TimeRange"]
    assert searched["EndTime"] == NOW.replace(microsecond=0)  # the fetch's now, in seconds
    assert searched["EndTime"] - searched["StartTime"] == timedelta(minutes=10)
    assert found["SearchedRange"] == [
        searched["StartTime"].isoformat(),
        searched["EndTime"].isoformat(),
    ]
    assert found["TotalCount"] == 0


async def test_other_pages_are_searched_as_given() -> None:
    search = last(10, NOW - timedelta(hours=3))
    connect = Recorder()
    page = Page(search, 25, "token")
    await page.kind.fetch(cast(ConnectClient, connect), INSTANCE, page.id)
    assert connect.asked == [search.params() | {"MaxResults": 25, "NextToken": "token"}]


def test_pages_are_fresh_for_the_search_ttl() -> None:
    assert Page(last(10), 10, recent=True).kind.ttl(Settings(ttl_search_seconds=7), {}) == 7
