"""searchContacts against the emulator's SearchContacts: filtering, sorting, paging by
cursor, and summaries hydrated only for fields they lack (counted upstream)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chains import demo_contacts
from tests.support import Emulator, Gateway

SEARCH = """
query($from: DateTime!, $to: DateTime!, $first: Int!, $after: String, $criteria: SearchCriteria) {
  searchContacts(
    timeRange: { type: INITIATION_TIMESTAMP, startTime: $from, endTime: $to }
    criteria: $criteria
    sort: { fieldName: INITIATION_TIMESTAMP, order: DESCENDING }
    first: $first
    after: $after
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id channel initiationTimestamp %s } }
  }
}
"""


def _window(contacts: list[dict[str, Any]]) -> tuple[str, str]:
    times = sorted(c["initiationTimestamp"] for c in contacts)
    return times[len(times) // 2], times[-1]


def _expected(emulator: Emulator, channels: set[str] | None = None) -> list[dict[str, Any]]:
    contacts = list(demo_contacts(emulator.contacts()).values())
    start, end = _window(contacts)
    chosen = [
        c
        for c in contacts
        if start <= c["initiationTimestamp"] <= end
        and (channels is None or c["channel"] in channels)
    ]
    return sorted(chosen, key=lambda c: c["initiationTimestamp"], reverse=True)


def _search(gateway: Gateway, emulator: Emulator, extra: str = "", **variables: Any) -> Any:
    start, end = _window(list(demo_contacts(emulator.contacts()).values()))
    return gateway.query(SEARCH % extra, **{"from": start, "to": end, **variables})


def test_first_page_filtered_and_sorted(gateway: Gateway, emulator: Emulator) -> None:
    expected = _expected(emulator, {"VOICE", "CHAT"})

    result = _search(gateway, emulator, first=10, criteria={"channels": ["VOICE", "CHAT"]})

    page = result["data"]["searchContacts"]
    assert page["totalCount"] == len(expected)
    assert [e["node"]["id"] for e in page["edges"]] == [c["id"] for c in expected[:10]]
    assert page["pageInfo"]["hasNextPage"] is (len(expected) > 10)
    assert emulator.stats()["calls"] == {"SearchContacts": 1}


def test_paging_through_every_result(gateway: Gateway, emulator: Emulator) -> None:
    expected = _expected(emulator)
    seen: list[str] = []
    after = None
    while True:
        page = _search(gateway, emulator, first=7, after=after)["data"]["searchContacts"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == [c["id"] for c in expected]
    pages = -(-len(expected) // 7)
    assert emulator.stats()["calls"] == {"SearchContacts": pages}


def test_resuming_mid_page_from_an_edge_cursor(gateway: Gateway, emulator: Emulator) -> None:
    expected = _expected(emulator)
    first = _search(gateway, emulator, first=10)["data"]["searchContacts"]

    rest = _search(gateway, emulator, first=5, after=first["edges"][3]["cursor"])

    ids = [e["node"]["id"] for e in rest["data"]["searchContacts"]["edges"]]
    assert ids == [c["id"] for c in expected[4:9]]


def test_summary_fields_need_no_describe(gateway: Gateway, emulator: Emulator) -> None:
    result = _search(gateway, emulator, "agentInfo { id } queueInfo { id } name", first=20)

    assert "errors" not in result
    assert "DescribeContact" not in emulator.stats()["calls"]


def test_other_fields_hydrate_once_per_contact(gateway: Gateway, emulator: Emulator) -> None:
    extra = (
        "disconnectReason agentInfo { id hierarchyGroups { level1 { arn } } } lastUpdateTimestamp"
    )

    result = _search(gateway, emulator, extra, first=20)

    assert "errors" not in result
    edges = result["data"]["searchContacts"]["edges"]
    assert emulator.stats()["calls"] == {"SearchContacts": 1, "DescribeContact": len(edges)}
    assert any(e["node"]["disconnectReason"] for e in edges)

    _search(gateway, emulator, extra, first=20)  # the same page: shared, not searched again
    assert emulator.stats()["calls"] == {"SearchContacts": 1, "DescribeContact": len(edges)}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 0}, "first must be 1 to 100"),
        ({"first": 101}, "first must be 1 to 100"),
        ({"first": 5, "after": "not-a-cursor"}, "not a cursor this gateway gave out"),
        ({"first": 5, "criteria": {"channels": ["UNRECOGNIZED"]}}, "newer than the gateway"),
    ],
)
def test_bad_search_input(
    gateway: Gateway, emulator: Emulator, variables: dict[str, Any], message: str
) -> None:
    result = _search(gateway, emulator, **variables)

    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in result["errors"][0]["message"]
    assert emulator.stats()["calls"] == {}


def test_a_cursor_is_only_good_for_its_search(gateway: Gateway, emulator: Emulator) -> None:
    cursor = _search(gateway, emulator, first=5)["data"]["searchContacts"]["pageInfo"]["endCursor"]
    emulator.reset()

    result = _search(gateway, emulator, first=5, after=cursor, criteria={"channels": ["TASK"]})

    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "another search" in result["errors"][0]["message"]
    assert emulator.stats()["calls"] == {}


def test_queue_and_agent_criteria(gateway: Gateway, emulator: Emulator) -> None:
    expected = _expected(emulator)
    queue = next(c["queueId"] for c in expected if c["queueId"])
    agent = next(c["agentId"] for c in expected if c["agentId"])

    by_queue = _search(gateway, emulator, first=100, criteria={"queueIds": [queue]})
    by_agent = _search(gateway, emulator, first=100, criteria={"agentIds": [agent]})

    def ids(result: Any) -> list[str]:
        return [e["node"]["id"] for e in result["data"]["searchContacts"]["edges"]]

    assert ids(by_queue) == [c["id"] for c in expected if c["queueId"] == queue]
    assert ids(by_agent) == [c["id"] for c in expected if c["agentId"] == agent]


def test_a_refused_search_fails_alone(gateway: Gateway, emulator: Emulator) -> None:
    """searchContacts is nullable: a search Connect would refuse (over 8 weeks) is null with
    BAD_USER_INPUT at its own path, and a sibling root field still answers."""
    contact = next(iter(demo_contacts(emulator.contacts())))
    emulator.reset()
    query = """query($id: ID!) {
      contact(contactId: $id) { id }
      searchContacts(timeRange: {type: INITIATION_TIMESTAMP,
                                 startTime: "2026-01-01T00:00:00Z",
                                 endTime: "2026-06-01T00:00:00Z"}) { totalCount }
    }"""

    result = gateway.query(query, id=contact)

    assert result["data"] == {"contact": {"id": contact}, "searchContacts": None}
    [error] = result["errors"]
    assert error["path"] == ["searchContacts"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert emulator.calls("SearchContacts") == 0
