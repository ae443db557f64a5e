"""Freshness: stale-while-revalidate, stale-if-error, no-cache; the breaker; metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from tests import web
from tests.chains import deepest
from tests.clock import FakeClock
from tests.support import Emulator, Gateway

# The labels of the emulator's calls (sorted, as Prometheus' multiprocess mode writes them):
# an account the gateway does not know, and its region.
ACCOUNT, REGION = 'account="default"', 'region="us-east-1"'

CONTACT = "query($id: ID!) { contact(contactId: $id) { id channel } }"


def _until(condition: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _ended(emulator: Emulator) -> str:
    return str(next(c["id"] for c in deepest(emulator.contacts()) if c["disconnected"]))


def test_stale_while_revalidate(
    start_gateway: Callable[..., Gateway], emulator: Emulator, clock: FakeClock
) -> None:
    gateway = start_gateway(clock, ttl_ended_seconds=60, stale_while_revalidate_seconds=60)
    contact = _ended(emulator)
    first = gateway.query(CONTACT, id=contact)
    clock.advance(61)  # past freshness, within stale-while-revalidate

    emulator.fault(operation="DescribeContact", delayMs=2000)  # a slow refresh
    started = time.monotonic()
    second = gateway.query(CONTACT, id=contact)

    assert second == first
    assert time.monotonic() - started < 1.5  # served at once, not after the refresh
    assert _until(lambda: emulator.calls() == 2)  # one background refresh
    gateway.query(CONTACT, id=contact)
    assert emulator.calls() == 2  # the refreshed entry is fresh again


def test_stale_if_error_says_so(
    start_gateway: Callable[..., Gateway], emulator: Emulator, clock: FakeClock
) -> None:
    gateway = start_gateway(
        clock, ttl_ended_seconds=60, stale_while_revalidate_seconds=0, stale_if_error_seconds=600
    )
    contact = _ended(emulator)
    first = gateway.query(CONTACT, id=contact)
    clock.advance(61)
    emulator.fault(operation="DescribeContact", error="ThrottlingException")

    result = gateway.query(CONTACT, id=contact)

    assert result["data"] == first["data"]
    assert "errors" not in result
    [stale] = result["extensions"]["stale"]
    assert (stale["kind"], stale["id"]) == ("contact", contact)
    assert stale["ageSeconds"] >= 0.3


def test_no_stale_value_means_the_error(gateway: Gateway, emulator: Emulator) -> None:
    emulator.fault(operation="DescribeContact", error="ThrottlingException")

    result = gateway.query(CONTACT, id=_ended(emulator))

    assert result["errors"][0]["extensions"]["code"] == "UPSTREAM_THROTTLED"
    assert "extensions" not in result


async def test_no_cache_asks_connect_once_for_everyone(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(no_cache_per_minute=10)
    contact = _ended(emulator)
    gateway.query(CONTACT, id=contact)
    emulator.fault(operation="DescribeContact", delayMs=200)
    body = {"query": CONTACT, "variables": {"id": contact}}

    async with web.AsyncClient(base_url=gateway.url, timeout=30) as client:
        answers = await asyncio.gather(
            *(
                client.post("/graphql", json=body, headers={"cache-control": "no-cache"})
                for _ in range(10)
            )
        )

    assert all(a.json() == answers[0].json() for a in answers)
    assert emulator.calls() == 2  # the first query, then one fresh call shared by ten


def test_no_cache_is_limited_per_caller(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(no_cache_per_minute=3)
    contact = _ended(emulator)
    gateway.query(CONTACT, id=contact)
    body = {"query": CONTACT, "variables": {"id": contact}}

    answers = [
        gateway.http.post("/graphql", json=body, headers={"cache-control": "no-cache"}).json()
        for _ in range(6)
    ]

    assert emulator.calls() == 1 + 3  # three fresh reads; the rest from the cache
    assert [a.get("extensions", {}).get("noCache") is not None for a in answers] == [
        False, False, False, True, True, True
    ]  # fmt: skip
    assert all(a["data"] == answers[0]["data"] for a in answers)


def test_breaker_opens_and_recovers(
    start_gateway: Callable[..., Gateway], emulator: Emulator, clock: FakeClock
) -> None:
    gateway = start_gateway(
        clock, breaker_failures=3, breaker_reset_seconds=30, ttl_not_found_seconds=0
    )
    emulator.fault(operation="DescribeContact", error="InternalServiceException", times=3)

    codes = [
        gateway.query(CONTACT, id=f"c-{n}")["errors"][0]["extensions"]["code"] for n in range(5)
    ]

    assert codes == ["UPSTREAM_UNAVAILABLE"] * 5
    assert emulator.calls() == 3  # open after three: the next two were not sent
    clock.advance(29)
    assert gateway.query(CONTACT, id="c-9")["errors"][0]["extensions"]["code"] == (
        "UPSTREAM_UNAVAILABLE"
    )  # still open
    assert emulator.calls() == 3
    clock.advance(1)  # the breaker's reset: one trial call may go
    contact = _ended(emulator)
    assert gateway.query(CONTACT, id=contact)["data"]["contact"]["id"] == contact
    assert emulator.calls() == 4


def test_metrics(gateway: Gateway, emulator: Emulator) -> None:
    contact = _ended(emulator)
    gateway.http.post(
        "/graphql", json={"query": "query One($id: ID!) { contact(contactId: $id) { id } }",
                          "variables": {"id": contact}, "operationName": "One"},
    )  # fmt: skip
    gateway.query(CONTACT, id="no-such-contact")

    text = gateway.http.get("/metrics").text

    assert (
        f'gateway_upstream_calls_total{{{ACCOUNT},operation="DescribeContact",'
        f'outcome="ok",{REGION}}} 1.0' in text
    )
    assert (
        f'gateway_upstream_calls_total{{{ACCOUNT},operation="DescribeContact",'
        f'outcome="NOT_FOUND",{REGION}}} 1.0' in text
    )
    assert 'gateway_cache_lookups_total{kind="contact",result="miss"} 2.0' in text
    assert 'gateway_graphql_requests_total{operation="One"} 1.0' in text
    assert 'gateway_graphql_errors_total{code="NOT_FOUND"} 1.0' in text
    assert "gateway_upstream_latency_seconds_bucket" in text
    assert "gateway_quota_wait_seconds" in text
