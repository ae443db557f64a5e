"""Latency, rate limits and injected faults, on real servers through real boto3."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from gateway.emulator import DEMO_INSTANCE_ID, SECOND_INSTANCE_ID
from gateway.emulator.world.dataset import build_dataset
from tests import web
from tests.emulator.conftest import connect_client

DATASET = build_dataset()
CONTACTS = list(DATASET.instances[DEMO_INSTANCE_ID].contacts)
SECOND = next(iter(DATASET.instances[SECOND_INSTANCE_ID].contacts))


def describe(connect: Any, contact: str = CONTACTS[0], instance: str = DEMO_INSTANCE_ID) -> str:
    """The error code DescribeContact answers with, or "OK"."""
    try:
        connect.describe_contact(InstanceId=instance, ContactId=contact)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return "OK"


def test_latency_delays_connect_operations(serve: Callable[..., str]) -> None:
    connect = connect_client(serve(latency_ms=150))
    started = time.perf_counter()
    describe(connect)
    assert time.perf_counter() - started >= 0.15


def test_burst_then_throttle_then_refill(serve: Callable[..., str]) -> None:
    url = serve(rate=2, burst=3)
    connect = connect_client(url)
    assert [describe(connect) for _ in range(4)] == ["OK", "OK", "OK", "ThrottlingException"]
    agent = DATASET.instances[DEMO_INSTANCE_ID].directory.agents[0]
    assert connect.describe_user(InstanceId=DEMO_INSTANCE_ID, UserId=agent.id)["User"]
    time.sleep(0.55)  # one token at 2 per second
    assert describe(connect) == "OK"
    stats = web.get(f"{url}/_emulator/stats").json()
    assert stats["calls"] == {"DescribeContact": 5, "DescribeUser": 1}
    assert stats["throttled"] == {"DescribeContact": 1}


def test_throttling_error_shape(serve: Callable[..., str]) -> None:
    url = serve(rate=0.001, burst=1)
    describe(connect_client(url))
    response = web.get(
        f"{url}/contacts/{DEMO_INSTANCE_ID}/{CONTACTS[0]}", headers={"Authorization": "x"}
    )
    assert response.status_code == 429
    assert response.headers["x-amzn-errortype"] == "ThrottlingException"
    assert response.json() == {"Message": "Rate exceeded"}


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("InternalServiceException", 500),
        ("AccessDeniedException", 403),
        ("ThrottlingException", 429),
        ("ResourceNotFoundException", 404),
        ("InvalidParameterException", 400),
        ("InvalidRequestException", 400),
    ],
)
def test_injected_errors(control: httpx.Client, connect: Any, error: str, status: int) -> None:
    created = control.post(
        "/_emulator/faults", json={"operation": "DescribeContact", "error": error, "times": 1}
    )
    assert created.status_code == 201
    with pytest.raises(ClientError) as raised:
        connect.describe_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=CONTACTS[0])
    assert raised.value.response["Error"]["Code"] == error
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert raised.value.response["Error"]["Message"]
    assert describe(connect) == "OK"
    throttled = control.get("/_emulator/stats").json()["throttled"]
    assert throttled == ({"DescribeContact": 1} if status == 429 else {})


def test_faults_filter_by_contact_and_instance(control: httpx.Client, connect: Any) -> None:
    control.post(
        "/_emulator/faults",
        json={
            "operation": "DescribeContact",
            "error": "InternalServiceException",
            "contactId": CONTACTS[1],
        },
    )
    control.post(
        "/_emulator/faults",
        json={
            "operation": "DescribeContact",
            "error": "AccessDeniedException",
            "instanceId": SECOND_INSTANCE_ID,
        },
    )
    assert describe(connect, CONTACTS[0]) == "OK"
    assert describe(connect, CONTACTS[1]) == "InternalServiceException"
    assert describe(connect, CONTACTS[1]) == "InternalServiceException"
    assert describe(connect, SECOND, SECOND_INSTANCE_ID) == "AccessDeniedException"


def test_delay_only_fault_slows_without_failing(control: httpx.Client, connect: Any) -> None:
    control.post(
        "/_emulator/faults", json={"operation": "DescribeContact", "delayMs": 120, "times": 1}
    )
    started = time.perf_counter()
    assert describe(connect) == "OK"
    assert time.perf_counter() - started >= 0.12
    assert control.get("/_emulator/faults").json() == {"faults": []}


def test_faults_list_and_clear(control: httpx.Client) -> None:
    fault = {"operation": "DescribeUser", "error": "ThrottlingException", "times": 3, "delayMs": 5}
    fault_id = control.post("/_emulator/faults", json=fault).json()["id"]
    listed = control.get("/_emulator/faults").json()["faults"]
    assert listed == [
        {**fault, "id": fault_id, "contactId": None, "instanceId": None, "patch": None,
         "after": False}
    ]  # fmt: skip
    assert control.delete("/_emulator/faults").json() == {"ok": True}
    assert control.get("/_emulator/faults").json() == {"faults": []}


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"operation": "Nope", "error": "ThrottlingException"}',
        b'{"operation": "DescribeContact", "error": "Boom"}',
    ],
)
def test_bad_faults_answer_400(control: httpx.Client, body: bytes) -> None:
    response = control.post("/_emulator/faults", content=body)
    assert response.status_code == 400
    assert response.json()["error"]


def test_malformed_response_fault(control: httpx.Client, connect: Any) -> None:
    control.post(
        "/_emulator/faults",
        json={"operation": "DescribeContact", "error": "MalformedResponse", "times": 1},
    )
    response = connect.describe_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=CONTACTS[0])
    assert "Contact" not in response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert describe(connect) == "OK"
