"""What POST /events takes: bodies up to GATEWAY_MAX_EVENT_BODY_BYTES (not /graphql's limit),
JSON of any depth answered without a crash, and only events of the gateway's own account
(real gateways, the emulator counting upstream calls)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gateway.emulator import DEMO_INSTANCE_ID
from tests.events import contact_event, instance_arn
from tests.http.test_hostile import refused
from tests.support import Emulator, Gateway

CONTACT = "query($id: ID!) { contact(contactId: $id) { id } }"
OTHER_ACCOUNT = "999999999999"


def padded(size: int, contact_id: str = "c1") -> bytes:
    """A valid contact event of `size` bytes."""
    event = contact_event(DEMO_INSTANCE_ID, contact_id)
    event["detail"]["attributes"] = {"note": ""}
    filler = size - len(json.dumps(event).encode())
    event["detail"]["attributes"]["note"] = "x" * filler
    body = json.dumps(event).encode()
    assert len(body) == size
    return body


def post(gateway: Gateway, body: bytes | Iterator[bytes]) -> httpx.Response:
    return gateway.http.post("/events", content=body, headers={"content-type": "application/json"})


def error_of(response: httpx.Response) -> dict[str, Any]:
    [error] = response.json()["errors"]
    return error  # type: ignore[no-any-return]


def counted(gateway: Gateway, outcome: str) -> str:
    metrics = gateway.http.get("/metrics").text
    return next(
        line.split()[-1]
        for line in metrics.splitlines()
        if line.startswith(f'gateway_contact_events_total{{outcome="{outcome}"}}')
    )


def other_accounts_event(contact_id: str) -> dict[str, Any]:
    event = contact_event(DEMO_INSTANCE_ID, contact_id)
    arn = instance_arn(DEMO_INSTANCE_ID).replace("123456789012", OTHER_ACCOUNT)
    event["detail"]["instanceArn"] = arn
    event["account"] = OTHER_ACCOUNT
    return event


def test_an_85_kb_event_is_accepted_with_the_default_limits(
    gateway: Gateway, emulator: Emulator, ended: str
) -> None:
    gateway.query(CONTACT, id=ended)
    body = padded(85 * 1024, ended)

    answer = post(gateway, body)

    assert len(body) > 65536  # over GATEWAY_MAX_BODY_BYTES, which is /graphql's
    assert (answer.status_code, answer.json()) == (202, {"accepted": 1, "ignored": 0})
    gateway.query(CONTACT, id=ended)
    assert emulator.calls() == 2


def test_the_largest_eventbridge_event_is_accepted_at_the_lowest_limit(
    start_gateway: Callable[..., Gateway],
) -> None:
    gateway = start_gateway(max_event_body_bytes=262_144)

    answer = post(gateway, padded(262_144))

    assert answer.status_code == 202


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_event_limit_is_refused_with_413(
    start_gateway: Callable[..., Gateway], emulator: Emulator, chunked: bool
) -> None:
    gateway = start_gateway(max_event_body_bytes=300_000)
    body = padded(300_001)

    answer = post(gateway, iter([body[:100_000], body[100_000:]]) if chunked else body)

    assert answer.status_code == 413
    assert answer.headers["connection"] == "close"
    error = error_of(answer)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "300000 bytes (GATEWAY_MAX_EVENT_BODY_BYTES)" in error["message"]
    assert emulator.stats()["calls"] == {}


def test_a_body_over_the_default_event_limit_is_refused_with_413(gateway: Gateway) -> None:
    answer = post(gateway, padded(1024 * 1024 + 1))

    assert answer.status_code == 413
    assert "1048576 bytes" in error_of(answer)["message"]


def test_ten_thousand_nested_brackets_are_bad_user_input(
    gateway: Gateway, emulator: Emulator
) -> None:
    body = b"[" * 10_000 + b"]" * 10_000

    answer = refused(gateway, emulator, lambda: post(gateway, body))

    assert answer.status_code == 400
    error = error_of(answer)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "nests JSON too deeply" in error["message"]
    assert counted(gateway, "rejected") == "1.0"


def test_deep_members_of_an_event_are_not_walked(gateway: Gateway) -> None:
    def with_member(depth: int) -> bytes:
        event = json.dumps(contact_event(DEMO_INSTANCE_ID, "c1"))
        return (event[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}").encode()

    parsed = post(gateway, with_member(500))  # JSON parses it; nothing reads it
    unparsed = post(gateway, with_member(100_000))

    assert parsed.status_code == 202
    assert unparsed.status_code == 400
    assert error_of(unparsed)["extensions"]["code"] == "BAD_USER_INPUT"


def test_an_event_of_another_account_is_refused_and_counted(
    start_gateway: Callable[..., Gateway], emulator: Emulator, ended: str
) -> None:
    gateway = start_gateway(instance_id=instance_arn(DEMO_INSTANCE_ID))
    gateway.query(CONTACT, id=ended)

    forged = gateway.http.post("/events", json=other_accounts_event(ended))
    ours = gateway.http.post("/events", json=contact_event(DEMO_INSTANCE_ID, "c1"))

    assert forged.status_code == 400
    error = error_of(forged)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "another AWS account" in error["message"]
    assert OTHER_ACCOUNT not in error["message"]  # nor the gateway's: not told to callers
    assert "123456789012" not in error["message"]
    assert counted(gateway, "rejected") == "1.0"
    gateway.query(CONTACT, id=ended)
    assert emulator.calls() == 1  # nothing was dropped
    assert ours.status_code == 202


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"account": OTHER_ACCOUNT}, "event.account must be the account of its"),
        ({"account": None}, "event.account must be the account of its"),
        ({"region": "eu-west-2"}, "event.region must be the region of its"),
        ({"instanceArn": DEMO_INSTANCE_ID}, "instanceArn must be a Connect instance ARN"),
    ],
    ids=["other-account", "no-account", "other-region", "bare-instance-id"],
)
def test_an_event_that_disagrees_with_its_arn_is_refused_and_counted(
    gateway: Gateway, emulator: Emulator, ended: str, change: dict[str, Any], message: str
) -> None:
    event = contact_event(DEMO_INSTANCE_ID, ended)
    for name, value in change.items():
        (event["detail"] if name == "instanceArn" else event)[name] = value
    gateway.query(CONTACT, id=ended)

    answer = gateway.http.post("/events", json=event)

    assert answer.status_code == 400
    error = error_of(answer)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]
    assert counted(gateway, "rejected") == "1.0"
    gateway.query(CONTACT, id=ended)
    assert emulator.calls() == 1


def test_another_accounts_event_is_refused_in_a_batch_too(
    start_gateway: Callable[..., Gateway],
) -> None:
    gateway = start_gateway(instance_id=instance_arn(DEMO_INSTANCE_ID))
    batch = [contact_event(DEMO_INSTANCE_ID, "c1"), other_accounts_event("c2")]

    answer = gateway.http.post("/events", json=batch)

    # Refused alone: the rest of the batch is not lost (EventBridge would not send it again).
    assert answer.status_code == 202
    assert answer.json()["accepted"] == 1
    [refused] = answer.json()["refused"]
    assert refused["extensions"]["code"] == "BAD_USER_INPUT"
    assert "events[1].detail.instanceArn names another AWS account" in refused["message"]
    assert counted(gateway, "rejected") == "1.0"
