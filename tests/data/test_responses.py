"""The response cache: whole responses reused while their entities are fresh, per scope,
dropped when an entity they hold changes; errors, searches and no-cache requests aside."""

from __future__ import annotations

import json
import os
import re
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.core.caller import CONTACTS_PII, CONTACTS_READ, INSTANCE_ANY, METRICS_READ
from gateway.core.settings import Settings
from gateway.data.responses import MAX_TTL, ResponseCache
from gateway.http.auth.keys import new_key
from tests.chains import deepest, demo_contacts
from tests.clock import FakeClock
from tests.conftest import REDIS_URL
from tests.support import Emulator, Gateway

LINKED = """query($id: ID!) {
  contact(contactId: $id) { id channel name previousContact { id name } }
}"""


def _lookups(gateway: Gateway) -> dict[str, int]:
    text = gateway.http.get("/metrics").text
    found = re.findall(r'gateway_response_cache_lookups_total\{result="(\w+)"\} ([\d.]+)', text)
    return {result: int(float(count)) for result, count in found}


def _linked(emulator: Emulator) -> tuple[str, str]:
    """An ended contact with an ended previous contact: (contact, previous)."""
    by_id = demo_contacts(emulator.contacts())
    for contact in deepest(emulator.contacts()):
        previous = by_id.get(contact.get("previousContactId") or "")
        if contact["disconnected"] and previous is not None and previous.get("disconnected"):
            return str(contact["id"]), str(previous["id"])
    raise AssertionError("the demo data has no ended contact with an ended previous one")


def test_a_repeated_query_is_answered_from_the_response_cache(
    gateway: Gateway, emulator: Emulator
) -> None:
    contact, _ = _linked(emulator)
    body = {"query": LINKED, "variables": {"id": contact}}
    first = gateway.http.post("/graphql", json=body)

    second = gateway.http.post("/graphql", json=body)

    assert second.content == first.content
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    assert _lookups(gateway) == {"hit": 1, "miss": 1}
    assert emulator.calls() == 2


def test_off_means_executed_each_time(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(response_cache=False)
    contact, _ = _linked(emulator)
    for _ in range(2):
        gateway.query(LINKED, id=contact)

    assert _lookups(gateway) == {}
    assert emulator.calls() == 2  # the entities still come from the entity cache


def test_no_cache_bypasses_it_and_refreshes_it(gateway: Gateway, emulator: Emulator) -> None:
    contact, _ = _linked(emulator)
    body = {"query": LINKED, "variables": {"id": contact}}
    gateway.http.post("/graphql", json=body)

    gateway.http.post("/graphql", json=body, headers={"cache-control": "no-cache"})
    gateway.http.post("/graphql", json=body)

    assert _lookups(gateway) == {"miss": 1, "bypass": 1, "hit": 1}
    assert emulator.calls() == 4  # the bypass asked Connect again, for both contacts


def test_a_refused_no_cache_answer_is_not_kept(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(no_cache_per_minute=0)
    contact, _ = _linked(emulator)
    body = {"query": LINKED, "variables": {"id": contact}}
    refused = gateway.http.post("/graphql", json=body, headers={"cache-control": "no-cache"})
    plain = gateway.http.post("/graphql", json=body)

    assert "noCache" in refused.json()["extensions"]
    assert "extensions" not in plain.json()
    assert _lookups(gateway) == {"bypass": 1, "miss": 1}


def test_a_refetch_that_finds_new_data_drops_the_responses_holding_it(
    gateway: Gateway, emulator: Emulator
) -> None:
    contact, previous = _linked(emulator)
    before = gateway.query(LINKED, id=contact)
    emulator.fault(
        operation="DescribeContact", contactId=previous, patch={"Contact": {"Name": "renamed"}}
    )

    # Another query refetches only the previous contact, and finds it changed.
    refetch = "query($id: ID!) { contact(contactId: $id) { id name } }"
    gateway.http.post(
        "/graphql",
        json={"query": refetch, "variables": {"id": previous}},
        headers={"cache-control": "no-cache"},
    )
    after = gateway.query(LINKED, id=contact)

    assert before["data"]["contact"]["previousContact"]["name"] != "renamed"
    assert after["data"]["contact"]["previousContact"]["name"] == "renamed"
    assert _lookups(gateway) == {"miss": 2, "bypass": 1}


def test_a_refetch_of_the_same_data_keeps_them(gateway: Gateway, emulator: Emulator) -> None:
    contact, previous = _linked(emulator)
    gateway.query(LINKED, id=contact)

    refetch = "query($id: ID!) { contact(contactId: $id) { id name } }"
    gateway.http.post(
        "/graphql",
        json={"query": refetch, "variables": {"id": previous}},
        headers={"cache-control": "no-cache"},
    )
    gateway.query(LINKED, id=contact)

    assert _lookups(gateway) == {"miss": 1, "bypass": 1, "hit": 1}


def test_errors_other_than_not_found_are_not_reused(gateway: Gateway, emulator: Emulator) -> None:
    contact, _ = _linked(emulator)
    emulator.fault(operation="DescribeContact", error="ThrottlingException", times=1)
    throttled = gateway.query(LINKED, id=contact)
    answered = gateway.query(LINKED, id=contact)

    assert throttled["errors"][0]["extensions"]["code"] == "UPSTREAM_THROTTLED"
    assert "errors" not in answered
    assert _lookups(gateway) == {"miss": 2}


def test_not_found_is_reused(gateway: Gateway, emulator: Emulator) -> None:
    for _ in range(2):
        result = gateway.query(LINKED, id="no-such-contact")
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    assert _lookups(gateway) == {"miss": 1, "hit": 1}
    assert emulator.calls() == 1


def test_searches_are_not_reused(gateway: Gateway, emulator: Emulator) -> None:
    search = """query($from: DateTime!, $to: DateTime!) {
      searchContacts(timeRange: {type: INITIATION_TIMESTAMP, startTime: $from, endTime: $to},
                     first: 2) { edges { node { id } } } }"""
    times = sorted(c["initiationTimestamp"] for c in demo_contacts(emulator.contacts()).values())
    for _ in range(2):
        result = gateway.query(search, **{"from": times[len(times) // 2], "to": times[-1]})
        assert "errors" not in result

    assert _lookups(gateway) == {"miss": 2}
    # The response is not reused; the search page below it is (GATEWAY_TTL_SEARCH_SECONDS).
    assert emulator.calls("SearchContacts") == 1


@pytest.mark.redis
def test_a_change_drops_the_responses_of_every_replica(
    start_gateway: Callable[..., Gateway], emulator: Emulator, redis_namespace: str
) -> None:
    first, second = (
        start_gateway(cache_url=REDIS_URL, cache_namespace=redis_namespace) for _ in range(2)
    )
    contact, previous = _linked(emulator)
    before = second.query(LINKED, id=contact)
    emulator.fault(
        operation="DescribeContact", contactId=previous, patch={"Contact": {"Name": "new"}}
    )

    # The first replica refetches the previous contact and finds it changed: it tells
    # every replica, and the second drops its response holding the old name.
    refetch = "query($id: ID!) { contact(contactId: $id) { id name } }"
    body = {"query": refetch, "variables": {"id": previous}}
    first.http.post("/graphql", json=body, headers={"cache-control": "no-cache"})

    def renamed() -> bool:
        answer = second.query(LINKED, id=contact)
        return answer["data"]["contact"]["previousContact"]["name"] == "new"

    assert before["data"]["contact"]["previousContact"]["name"] != "new"
    assert _until(renamed)  # without the drop, the old response lives for minutes


def _until(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_never_shared_across_scopes(
    start_gateway: Callable[..., Gateway], emulator: Emulator, tmp_path: Path
) -> None:
    contact, _ = _linked(emulator)
    body = {"query": LINKED, "variables": {"id": contact}}
    keys = {
        name: new_key(name, scopes)
        for name, scopes in [
            ("reader", [CONTACTS_READ, INSTANCE_ANY]),
            ("other", [CONTACTS_READ, INSTANCE_ANY, CONTACTS_PII]),
            ("scraper", [METRICS_READ]),
        ]
    }
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"keys": [entry for _, entry in keys.values()]}))
    gateway = start_gateway(auth="api-key", api_keys_file=keys_file)
    reader, other, scraper = ({"x-api-key": keys[n][0]} for n in ("reader", "other", "scraper"))
    client = gateway.http
    client.post("/graphql", json=body, headers=reader)
    client.post("/graphql", json=body, headers=other)
    client.post("/graphql", json=body, headers=reader)
    client.post("/graphql", json=body, headers=other)
    text = client.get("/metrics", headers=scraper).text

    assert 'gateway_response_cache_lookups_total{result="miss"} 2.0' in text
    assert 'gateway_response_cache_lookups_total{result="hit"} 2.0' in text


def test_entries_live_as_long_as_their_freshest_entity_allows() -> None:
    clock = FakeClock()
    cache = ResponseCache(1 << 20, clock=clock)
    assert cache.put("k", b"{}", [], ["contact:i:a"], ttl=5, since=cache.epoch)
    assert not cache.put("z", b"{}", [], ["contact:i:b"], ttl=0, since=cache.epoch)

    clock.advance(4.9)
    assert cache.get("k") is not None
    clock.advance(0.1)
    assert cache.get("k") is None
    assert cache.bytes == 0


def test_no_entry_outlives_max_ttl() -> None:
    clock = FakeClock()
    cache = ResponseCache(1 << 20, clock=clock)
    cache.put("k", b"{}", [], [], ttl=float("inf"), since=cache.epoch)

    clock.advance(MAX_TTL)
    assert cache.get("k") is None


def test_drop_removes_every_response_holding_a_tag() -> None:
    cache = ResponseCache(1 << 20)
    cache.put("ab", b"1", [], ["contact:i:a", "contact:i:b"], ttl=60, since=cache.epoch)
    cache.put("b", b"2", [], ["contact:i:b"], ttl=60, since=cache.epoch)
    cache.put("c", b"3", [], ["contact:i:c"], ttl=60, since=cache.epoch)

    assert cache.drop(["contact:i:b"]) == 2
    assert (cache.get("ab"), cache.get("b")) == (None, None)
    assert cache.get("c") is not None


def test_an_answer_begun_before_a_drop_of_its_entity_is_not_kept() -> None:
    cache = ResponseCache(1 << 20)
    since = cache.epoch
    cache.drop(["contact:i:a"])

    assert not cache.put("a", b"old", [], ["contact:i:a"], ttl=60, since=since)
    assert cache.put("b", b"other", [], ["contact:i:b"], ttl=60, since=since)


def test_least_recently_used_go_first_past_the_budget() -> None:
    body = b"x" * 1000
    one = ResponseCache(1 << 20)
    one.put("a", body, [], ["contact:i:a"], ttl=60, since=0)
    cache = ResponseCache(3 * one.bytes)  # room for three such entries
    for key in "abc":
        assert cache.put(key, body, [], [f"contact:i:{key}"], ttl=60, since=0)
    cache.get("a")
    cache.put("d", body, [], ["contact:i:d"], ttl=60, since=0)

    assert [k for k in "abcd" if cache.get(k) is not None] == ["a", "c", "d"]
    assert cache.bytes <= cache.max_bytes
    assert not cache.put("huge", b"x" * 10_000, [], [], ttl=60, since=0)


def test_the_setting_is_on_or_off() -> None:
    assert Settings(response_cache="off").response_cache is False  # type: ignore[arg-type]
    assert Settings().response_cache is True


def test_clear_drops_every_response_and_refuses_those_in_the_making() -> None:
    cache = ResponseCache(1 << 20)
    since = cache.epoch
    assert cache.put("k", b"{}", [], ["contact:i:a"], ttl=60, since=since)
    cache.clear()
    assert cache.get("k") is None
    assert cache.bytes == 0
    assert not cache.put("late", b"{}", [], ["contact:i:b"], ttl=60, since=since)
    assert cache.put("new", b"{}", [], ["contact:i:b"], ttl=60, since=cache.epoch)


def test_the_budget_bounds_the_memory_the_entries_really_hold() -> None:
    # Filled well past its budget with entries as the view stores them (a body, four
    # headers, six tags of their own), the cache holds no more than its budget as
    # tracemalloc counts it (and not much less: the accounting is the real footprint).
    budget = 2_000_000
    tracemalloc.start()
    try:
        cache = ResponseCache(budget)
        before = tracemalloc.get_traced_memory()[0]
        for n in range(5000):
            body = os.urandom(100 + n % 1400)
            tags = [f"contact:{'i' * 36}:{uuid.uuid4()}" for _ in range(6)]
            headers = [
                ("content-type", "application/json"), ("cache-control", "no-store"),
                ("content-length", str(len(body))), ("x-request-id", uuid.uuid4().hex),
            ]  # fmt: skip
            assert cache.put(ResponseCache.key(str(n)), body, headers, tags, 60, cache.epoch)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert cache.bytes <= budget
    assert 0.7 * budget <= held <= 1.05 * budget, held
