"""Deadlines and accounting: a request past GATEWAY_REQUEST_TIMEOUT_SECONDS answers what it
has; quota waits end by it; every retry takes a quota turn; a call the quota refused is no
breaker verdict. Upstream calls counted by the emulator."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from gateway.connect.breaker import Breaker, State
from gateway.core.errors import UpstreamUnavailable
from tests.chains import demo_contacts
from tests.clock import FakeClock
from tests.support import Emulator, Gateway

# The labels of the emulator's calls (sorted, as Prometheus' multiprocess mode writes them):
# an account the gateway does not know, and its region.
ACCOUNT, REGION = 'account="default"', 'region="us-east-1"'

CONTACT = "query($id: ID!) { contact(contactId: $id) { id } }"
FOUR = """query($a: ID!, $b: ID!, $c: ID!, $d: ID!) {
  a: contact(contactId: $a) { id } b: contact(contactId: $b) { id }
  c: contact(contactId: $c) { id } d: contact(contactId: $d) { id }
}"""


def _ids(emulator: Emulator, n: int) -> list[str]:
    return list(demo_contacts(emulator.contacts()))[:n]


def _codes(answer: dict[str, object]) -> dict[str, str]:
    errors: list[dict[str, object]] = answer.get("errors", [])  # type: ignore[assignment]
    return {str(e["path"][0]): e["extensions"]["code"] for e in errors}  # type: ignore[index]


def test_past_the_deadline_the_answered_fields_are_sent_the_rest_unavailable(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(request_timeout_seconds=1)
    fast, slow = _ids(emulator, 2)
    emulator.fault(operation="DescribeContact", contactId=slow, delayMs=5000)
    query = "query($a: ID!, $b: ID!) { fast: contact(contactId: $a) { id } slow: contact(contactId: $b) { id } }"  # noqa: E501

    started = time.monotonic()
    answer = gateway.query(query, a=fast, b=slow)
    elapsed = time.monotonic() - started

    assert answer["data"] == {"fast": {"id": fast}, "slow": None}
    assert _codes(answer) == {"slow": "UPSTREAM_UNAVAILABLE"}
    assert 0.9 < elapsed < 3.5  # the deadline, not the 5 s Connect takes


def test_quota_waits_end_at_the_deadline(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    # One call a second, burst 1, callers willing to queue 30 s, but the request has 1 s.
    gateway = start_gateway(
        request_timeout_seconds=1, quota_rate=1, quota_burst=1, quota_wait_seconds=30
    )
    a, b, c, d = _ids(emulator, 4)

    started = time.monotonic()
    answer = gateway.query(FOUR, a=a, b=b, c=c, d=d)
    elapsed = time.monotonic() - started

    assert sum(value is not None for value in answer["data"].values()) == 1  # the burst
    assert sorted(_codes(answer).values()) == ["UPSTREAM_THROTTLED"] * 3
    assert emulator.calls() == 1
    assert elapsed < 2.5  # refused at once: their turns (1.1, 2.2, 3.3 s) are past it


def test_each_retry_takes_a_turn_of_the_quota(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(
        connect_max_attempts=3, quota_rate=100, quota_burst=100, quota_wait_seconds=0
    )
    contact = _ids(emulator, 1)[0]
    emulator.fault(operation="DescribeContact", error="InternalServiceException", times=2)

    assert gateway.query(CONTACT, id=contact)["data"]["contact"] == {"id": contact}

    assert emulator.calls() == 3  # two failures, then the answer
    metrics = gateway.http.get("/metrics").text
    wait = f'gateway_quota_wait_seconds_count{{{ACCOUNT},operation="DescribeContact",{REGION}}}'
    assert f"{wait} 3.0" in metrics


def test_a_retry_without_a_turn_is_not_sent(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    # The quota has one call now; botocore's own retries would have sent three.
    gateway = start_gateway(
        connect_max_attempts=3, quota_rate=0.5, quota_burst=1, quota_wait_seconds=0
    )
    contact = _ids(emulator, 1)[0]
    emulator.fault(operation="DescribeContact", error="InternalServiceException", times=3)

    answer = gateway.query(CONTACT, id=contact)

    assert answer["data"]["contact"] is None
    assert emulator.calls() == 1


def test_a_call_the_quota_refused_is_no_breaker_success(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(
        breaker_failures=2, quota_rate=1, quota_burst=1, quota_wait_seconds=0, quota_share=1
    )
    a, b, c, d = _ids(emulator, 4)
    for failing in (a, c):
        emulator.fault(
            operation="DescribeContact", error="InternalServiceException", contactId=failing
        )

    assert _codes(gateway.query(CONTACT, id=a)) == {"contact": "UPSTREAM_UNAVAILABLE"}  # 1st
    assert _codes(gateway.query(CONTACT, id=b)) == {"contact": "UPSTREAM_THROTTLED"}  # refused
    time.sleep(1.7)  # a turn of the quota again (1 s, plus the jitter margin of a burst of 1)
    assert _codes(gateway.query(CONTACT, id=c)) == {"contact": "UPSTREAM_UNAVAILABLE"}  # 2nd

    # Two failures in a row (the refusal between them counted neither way): open.
    assert _codes(gateway.query(CONTACT, id=d)) == {"contact": "UPSTREAM_UNAVAILABLE"}
    assert emulator.calls() == 2
    assert (
        f'gateway_breaker_open{{{ACCOUNT},operation="DescribeContact",{REGION}}} 1.0'
        in gateway.http.get("/metrics").text
    )


def test_an_abandoned_trial_hands_the_trial_to_the_next_caller() -> None:
    clock = FakeClock()
    breaker = Breaker(failures=1, reset=30, clock=clock)
    breaker.failed()
    clock.advance(30)
    breaker.before("DescribeContact")  # the trial
    with pytest.raises(UpstreamUnavailable):
        breaker.before("DescribeContact")  # one trial at a time
    breaker.abandoned()  # refused by the quota, or cancelled
    breaker.before("DescribeContact")  # the next caller tries, at once
    assert breaker.state is State.HALF_OPEN
