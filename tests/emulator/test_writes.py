"""The emulator's other contact writes through real boto3: tags, routing data, schedules,
tasks (ClientToken idempotency), transfers, stop, pause and resume, and the fault that
loses an answer after the write is done."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from gateway.emulator import DEMO_INSTANCE_ID
from tests import web
from tests.emulator.conftest import connect_client, error_of

INSTANCE = DEMO_INSTANCE_ID


@pytest.fixture
def emulator(serve: Callable[..., str]) -> tuple[str, Any, list[dict[str, Any]]]:
    url = serve()
    contacts = web.get(f"{url}/_emulator/contacts").json()["contacts"]
    return url, connect_client(url), contacts


def describe(connect: Any, contact_id: str) -> dict[str, Any]:
    return connect.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)["Contact"]  # type: ignore[no-any-return]


def ended(contacts: list[dict[str, Any]]) -> str:
    return next(c["id"] for c in contacts if c["disconnected"] and c["instanceId"] == INSTANCE)


def test_tags_are_set_and_removed(emulator: tuple[str, Any, list[dict[str, Any]]]) -> None:
    _, connect, contacts = emulator
    contact = ended(contacts)
    before = describe(connect, contact).get("Tags", {})
    connect.tag_contact(
        InstanceId=INSTANCE, ContactId=contact, Tags={"case": "C-1", "team": "blue"}
    )
    assert describe(connect, contact)["Tags"] == before | {"case": "C-1", "team": "blue"}
    connect.untag_contact(InstanceId=INSTANCE, ContactId=contact, TagKeys=["team"])
    assert describe(connect, contact)["Tags"] == before | {"case": "C-1"}
    code, message, _ = error_of(
        connect.tag_contact, InstanceId=INSTANCE, ContactId=contact, Tags={"aws:x": "y"}
    )
    assert (code, "reserved" in message) == ("InvalidParameterException", True)


def test_a_task_with_a_client_token_is_created_once(
    emulator: tuple[str, Any, list[dict[str, Any]]],
) -> None:
    url, connect, contacts = emulator
    previous = ended(contacts)
    ask = {
        "InstanceId": INSTANCE, "PreviousContactId": previous, "ContactFlowId": "flow",
        "Name": "Call back", "Attributes": {"disposition": "callback"}, "ClientToken": "t-1",
    }  # fmt: skip
    first = connect.start_task_contact(**ask)["ContactId"]
    again = connect.start_task_contact(**ask)["ContactId"]
    assert first == again
    task = describe(connect, first)
    assert task["Channel"] == "TASK"
    assert task["PreviousContactId"] == previous
    assert task["InitialContactId"] == describe(connect, previous).get("InitialContactId", previous)
    attributes = connect.get_contact_attributes(InstanceId=INSTANCE, InitialContactId=previous)
    assert attributes["Attributes"]["disposition"] == "callback"  # the chain shares them
    listed = web.get(f"{url}/_emulator/contacts").json()["contacts"]
    assert (
        sum(c.get("previousContactId") == previous and c["channel"] == "TASK" for c in listed) == 1
    )
    code, _, status = error_of(connect.transfer_contact, InstanceId=INSTANCE, ContactId=first,
                               ContactFlowId="f", QueueId="q", ClientToken="t-1")  # fmt: skip
    assert (code, status) == ("IdempotencyException", 409)


def test_a_lost_answer_after_the_write(emulator: tuple[str, Any, list[dict[str, Any]]]) -> None:
    url, connect, contacts = emulator
    fault = {"operation": "StartTaskContact", "error": "InternalServiceException",
             "after": True, "times": 1}  # fmt: skip
    web.post(f"{url}/_emulator/faults", json=fault)
    ask = {"InstanceId": INSTANCE, "ContactFlowId": "flow", "Name": "Follow up",
           "ClientToken": "t-2", "RelatedContactId": ended(contacts)}  # fmt: skip
    code, _, _ = error_of(connect.start_task_contact, **ask)
    assert code == "InternalServiceException"
    made = connect.start_task_contact(**ask)["ContactId"]  # the retry: the same task
    listed = web.get(f"{url}/_emulator/contacts").json()["contacts"]
    assert [c["id"] for c in listed if c.get("relatedContactId") == ask["RelatedContactId"]
            and c["channel"] == "TASK"] == [made]  # fmt: skip


def test_a_task_needs_exactly_one_flow(emulator: tuple[str, Any, list[dict[str, Any]]]) -> None:
    _, connect, _ = emulator
    code, _, _ = error_of(connect.start_task_contact, InstanceId=INSTANCE, Name="x")
    assert code == "InvalidRequestException"


def test_stop_pause_resume_and_routing(emulator: tuple[str, Any, list[dict[str, Any]]]) -> None:
    _, connect, contacts = emulator
    task = connect.start_task_contact(InstanceId=INSTANCE, ContactFlowId="f", Name="Pausable")
    task_id = task["ContactId"]
    connect.pause_contact(InstanceId=INSTANCE, ContactId=task_id)
    assert describe(connect, task_id)["TotalPauseCount"] == 1
    code, _, status = error_of(connect.pause_contact, InstanceId=INSTANCE, ContactId=task_id)
    assert (code, status) == ("ConflictException", 409)
    connect.resume_contact(InstanceId=INSTANCE, ContactId=task_id)
    routing = {"InstanceId": INSTANCE, "ContactId": ended(contacts), "QueuePriority": 1}
    code, _, _ = error_of(connect.update_contact_routing_data, **routing)
    assert code == "ResourceConflictException"
    connect.stop_contact(InstanceId=INSTANCE, ContactId=task_id)
    assert "DisconnectTimestamp" in describe(connect, task_id)
    code, _, _ = error_of(connect.stop_contact, InstanceId=INSTANCE, ContactId=task_id)
    assert code == "ContactNotFoundException"
    voice = next(
        c["id"] for c in contacts if c["channel"] == "VOICE" and c["instanceId"] == INSTANCE
    )
    code, _, _ = error_of(connect.pause_contact, InstanceId=INSTANCE, ContactId=voice)
    assert code == "InvalidRequestException"


def test_a_scheduled_task_is_rescheduled(emulator: tuple[str, Any, list[dict[str, Any]]]) -> None:
    _, connect, _ = emulator
    first = connect.start_task_contact(InstanceId=INSTANCE, ContactFlowId="f", Name="now")
    now = describe(connect, first["ContactId"])["InitiationTimestamp"]
    later = now + timedelta(days=1)
    task = connect.start_task_contact(
        InstanceId=INSTANCE, ContactFlowId="f", Name="s", ScheduledTime=later
    )
    connect.update_contact_schedule(
        InstanceId=INSTANCE, ContactId=task["ContactId"], ScheduledTime=later + timedelta(hours=2)
    )
    assert describe(connect, task["ContactId"])["ScheduledTimestamp"] == later + timedelta(hours=2)
