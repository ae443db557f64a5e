"""Search requests below the GraphQL layer: Connect's parameters, page identity, and the
shared window of ranges that reach the present."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.search import SEARCH, Attributes, Criteria, KeyValues, Page, Search, TimeRange
from gateway.settings import Settings

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
        Criteria(
            channels=("VOICE",),
            hierarchy=(("l1",), None, ("l3",)),
            name_texts=("refund",),
            name_match_type="MATCH_ANY",
            contact_attributes=Attributes((KeyValues("intent", ("billing",)),), "MATCH_ALL"),
        ),
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
            "AgentHierarchyGroups": {"L1Ids": ["l1"], "L3Ids": ["l3"]},
            "Name": {"SearchText": ["refund"], "MatchType": "MATCH_ANY"},
            "SearchableContactAttributes": {
                "Criteria": [{"Key": "intent", "Values": ["billing"]}],
                "MatchType": "MATCH_ALL",
            },
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


@pytest.mark.parametrize("window", [5.0, 2.5, 60.0])
def test_pollers_of_a_relative_range_share_one_window(window: float) -> None:
    """Pollers a few hundred milliseconds apart, within one window, ask the same."""
    grid_start = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    moments = [grid_start + timedelta(seconds=window * f) for f in (0.01, 0.3, 0.77, 0.99)]
    shared = {last(10, moment).shared(window, moment) for moment in moments}
    assert len(shared) == 1
    later = grid_start + timedelta(seconds=window * 1.5)
    assert last(10, later).shared(window, later) != last(10, moments[0]).shared(window, moments[0])


def test_the_shared_window_is_the_range_asked_for_at_most_a_ttl_later() -> None:
    ttl = timedelta(seconds=5)
    for offset_ms in range(0, 10_000, 137):
        now = NOW + timedelta(milliseconds=offset_ms)
        asked = last(7.04, now).time_range
        shared = last(7.04, now).shared(5.0, now).time_range
        assert asked.end <= shared.end < asked.end + ttl
        duration, asked_duration = shared.end - shared.start, asked.end - asked.start
        assert asked_duration <= duration < asked_duration + ttl
        assert shared.end.timestamp() % 5 == 0
        assert shared.start.timestamp() % 5 == 0


def test_past_ranges_and_a_zero_ttl_are_left_alone() -> None:
    past = last(60, NOW - timedelta(hours=2))
    assert past.shared(5.0, NOW) == past
    assert last(10).shared(0.0, NOW) == last(10)
    ahead = Search(INSTANCE, TimeRange("SCHEDULED_TIMESTAMP", NOW, NOW + timedelta(days=1)))
    assert ahead.shared(5.0, NOW).time_range.end >= ahead.time_range.end


def test_a_pollers_skewed_clock_still_shares_the_gateways_window() -> None:
    behind, ahead = last(10, NOW - timedelta(seconds=3)), last(10, NOW + timedelta(seconds=40))
    assert behind.shared(5.0, NOW) == ahead.shared(5.0, NOW) == last(10).shared(5.0, NOW)
    minutes_ago = last(10, NOW - timedelta(minutes=2))
    assert minutes_ago.shared(5.0, NOW) == minutes_ago


def test_a_page_of_the_current_window_is_kept_until_it_ends_and_a_ttl_more() -> None:
    settings = Settings(ttl_search_seconds=5)
    now = datetime.now(UTC)
    current = Page(last(10, now).shared(5.0, now), 10, None)
    assert 5 <= current.kind.ttl(settings, {}) <= 10
    past = Page(last(10, now - timedelta(hours=1)), 10, None)
    assert past.kind.ttl(settings, {}) == 5
