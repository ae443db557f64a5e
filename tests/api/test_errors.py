"""Every error code, and bad input rejected before any upstream call."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests.chains import deepest
from tests.support import Emulator, Gateway

CONTACT = "query($id: ID!, $i: ID) { contact(contactId: $id, instanceId: $i) { id } }"


def _codes(result: dict[str, object]) -> list[str]:
    return [e["extensions"]["code"] for e in result["errors"]]  # type: ignore[attr-defined,index]


@pytest.mark.parametrize(
    ("contact_id", "instance_id", "message"),
    [
        ("", None, "contactId must be 1 to 256 characters long (got 0)"),
        ("x" * 300, None, "contactId must be 1 to 256 characters long (got 300)"),
        ("ok", "00000000-0000-0000-0000-000000000000", "is not one this gateway may query"),
        ("ok", "not/an instance", "must be a Connect instance ID or instance ARN"),
        ("a\x00b", None, "must not contain control characters"),
    ],
)
def test_bad_arguments_are_rejected_before_upstream(
    gateway: Gateway, emulator: Emulator, contact_id: str, instance_id: str | None, message: str
) -> None:
    result = gateway.query(CONTACT, id=contact_id, i=instance_id)

    assert result["data"] == {"contact": None}
    assert _codes(result) == ["BAD_USER_INPUT"]
    assert message in result["errors"][0]["message"]
    assert emulator.calls() == 0


def test_too_many_ids(gateway: Gateway, emulator: Emulator) -> None:
    result = gateway.query(
        "query($ids: [ID!]!) { contacts(contactIds: $ids) { id } }",
        ids=[f"c{n}" for n in range(101)],
    )

    assert _codes(result) == ["BAD_USER_INPUT"]
    assert "at most 100" in result["errors"][0]["message"]
    assert emulator.calls() == 0


def test_deep_query_is_rejected(gateway: Gateway, emulator: Emulator) -> None:
    last = deepest(emulator.contacts())[-1]
    query = "query($id: ID!) { contact(contactId: $id) { " + "previousContact { " * 40
    query += "id" + " }" * 40 + " } }"

    result = gateway.query(query, id=last["id"])

    assert "data" not in result, "refused before execution: no data entry"
    assert _codes(result) == ["BAD_USER_INPUT"]
    assert "exceeds maximum operation depth" in result["errors"][0]["message"]
    assert emulator.calls() == 0


def test_syntax_and_validation_errors(gateway: Gateway, emulator: Emulator) -> None:
    assert _codes(gateway.query("{ contact(contactId: ")) == ["BAD_USER_INPUT"]
    assert _codes(gateway.query('{ contact(contactId: "x") { noSuchField } }')) == [
        "BAD_USER_INPUT"
    ]
    assert emulator.calls() == 0


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("ResourceNotFoundException", "NOT_FOUND"),
        ("AccessDeniedException", "FORBIDDEN"),
        ("ThrottlingException", "UPSTREAM_THROTTLED"),
        ("InternalServiceException", "UPSTREAM_UNAVAILABLE"),
        ("InvalidParameterException", "BAD_USER_INPUT"),
    ],
)
def test_connect_errors_become_codes(
    gateway: Gateway, emulator: Emulator, fault: str, code: str
) -> None:
    contact = deepest(emulator.contacts())[0]
    emulator.fault(operation="DescribeContact", error=fault)

    result = gateway.query(CONTACT, id=contact["id"])

    assert result["data"] == {"contact": None}
    assert _codes(result) == [code]
    assert result["errors"][0]["path"] == ["contact"]


def test_errors_are_not_cached(gateway: Gateway, emulator: Emulator) -> None:
    contact = deepest(emulator.contacts())[0]
    emulator.fault(operation="DescribeContact", error="InternalServiceException", times=1)

    assert _codes(gateway.query(CONTACT, id=contact["id"])) == ["UPSTREAM_UNAVAILABLE"]
    assert gateway.query(CONTACT, id=contact["id"]) == {"data": {"contact": {"id": contact["id"]}}}


def test_retries_absorb_a_passing_throttle(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(connect_max_attempts=3)
    contact = deepest(emulator.contacts())[0]
    emulator.fault(operation="DescribeContact", error="ThrottlingException", times=1)

    assert gateway.query(CONTACT, id=contact["id"]) == {"data": {"contact": {"id": contact["id"]}}}
    assert emulator.calls() == 2


def test_with_the_quota_guard_on_a_neighbours_throttling_is_absorbed_past_the_attempts(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    # Connect's 429s mean another caller spends the account's quota: each retry takes its
    # turn of the guard (slowed by the 429s), so the read is answered, not refused.
    gateway = start_gateway(connect_max_attempts=1, quota_rate=50.0, quota_burst=50)
    contact = deepest(emulator.contacts())[0]
    emulator.fault(operation="DescribeContact", error="ThrottlingException", times=4)

    assert gateway.query(CONTACT, id=contact["id"]) == {"data": {"contact": {"id": contact["id"]}}}
    assert emulator.calls() == 5


def test_throttling_past_the_callers_wait_is_the_error(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(
        connect_max_attempts=1, quota_rate=50.0, quota_burst=50, quota_wait_seconds=0.5
    )
    contact = deepest(emulator.contacts())[0]
    emulator.fault(operation="DescribeContact", error="ThrottlingException")

    assert _codes(gateway.query(CONTACT, id=contact["id"])) == ["UPSTREAM_THROTTLED"]
    assert 2 <= emulator.calls() < 20  # retried, within half a second


def test_failures_are_retried_only_up_to_the_attempts_even_with_the_guard(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(connect_max_attempts=2, quota_rate=50.0, quota_burst=50)
    contact = deepest(emulator.contacts())[0]
    emulator.fault(operation="DescribeContact", error="InternalServiceException")

    assert _codes(gateway.query(CONTACT, id=contact["id"])) == ["UPSTREAM_UNAVAILABLE"]
    assert emulator.calls() == 2


def test_unreachable_connect(start_gateway: Callable[..., Gateway]) -> None:
    gateway = start_gateway(connect_endpoint_url="http://127.0.0.1:9", connect_connect_timeout=1)

    result = gateway.query(CONTACT, id="some-contact")

    assert _codes(result) == ["UPSTREAM_UNAVAILABLE"]


def test_unexpected_errors_are_masked_and_logged(
    gateway: Gateway, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    contact = deepest(emulator.contacts())[0]
    emulator.fault(operation="DescribeContact", error="MalformedResponse")

    with caplog.at_level(logging.ERROR, logger="gateway.errors"):
        response = gateway.http.post(
            "/graphql",
            json={"query": CONTACT, "variables": {"id": contact["id"]}},
            headers={"x-request-id": "req-123"},
        )

    [error] = response.json()["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-123"}
    assert response.headers["x-request-id"] == "req-123"
    assert "ResponseParserError" not in response.text
    assert any("unexpected error" in r.getMessage() for r in caplog.records)
