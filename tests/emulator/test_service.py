"""Connect's API over HTTP, through real boto3: routing, round trips and error shapes."""

from __future__ import annotations

import uuid
from typing import Any

from gateway.emulator import DEMO_INSTANCE_ID, SECOND_INSTANCE_ID
from gateway.emulator.world.dataset import build_dataset
from tests import web
from tests.emulator.conftest import error_of

DATASET = build_dataset()
SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=x/20261102/us-east-1/connect/aws4_request"}


def test_every_contact_round_trips_through_boto3(connect: Any) -> None:
    for instance, record in DATASET.contacts():
        response = connect.describe_contact(InstanceId=instance.id, ContactId=record["Id"])
        assert response["Contact"] == record


def test_wire_headers(emulator_url: str) -> None:
    contact = next(iter(DATASET.instances[DEMO_INSTANCE_ID].contacts))
    response = web.get(f"{emulator_url}/contacts/{DEMO_INSTANCE_ID}/{contact}", headers=SIGNED)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    uuid.UUID(response.headers["x-amzn-requestid"])
    assert isinstance(response.json()["Contact"]["InitiationTimestamp"], float | int)


def test_request_ids_are_in_boto3_metadata(connect: Any) -> None:
    contact = next(iter(DATASET.instances[SECOND_INSTANCE_ID].contacts))
    first = connect.describe_contact(InstanceId=SECOND_INSTANCE_ID, ContactId=contact)
    second = connect.describe_contact(InstanceId=SECOND_INSTANCE_ID, ContactId=contact)
    assert first["ResponseMetadata"]["RequestId"] != second["ResponseMetadata"]["RequestId"]


def test_instance_arns_name_instances(connect: Any) -> None:
    instance = DATASET.instances[DEMO_INSTANCE_ID]
    contact = next(iter(instance.contacts))
    response = connect.describe_contact(InstanceId=instance.arn, ContactId=contact)
    assert response["Contact"]["Id"] == contact


def test_contacts_belong_to_their_instance(connect: Any) -> None:
    contact = next(iter(DATASET.instances[SECOND_INSTANCE_ID].contacts))
    found = error_of(connect.describe_contact, InstanceId=DEMO_INSTANCE_ID, ContactId=contact)
    assert found == ("ResourceNotFoundException", "Contact not found", 404)


def test_unknown_instance(connect: Any) -> None:
    found = error_of(connect.describe_contact, InstanceId=str(uuid.uuid4()), ContactId="c")
    assert found == ("ResourceNotFoundException", "Instance not found", 404)


def test_too_long_contact_id(connect: Any) -> None:
    code, message, status = error_of(
        connect.describe_contact, InstanceId=DEMO_INSTANCE_ID, ContactId="c" * 300
    )
    assert (code, status) == ("InvalidParameterException", 400)
    assert "'ContactId'" in message
    assert "less than or equal to 256" in message


def test_malformed_body(emulator_url: str, connect: Any) -> None:
    response = web.post(f"{emulator_url}/search-contacts", content=b"{oops", headers=SIGNED)
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "InvalidRequestException"
    assert "not valid JSON" in response.json()["Message"]


def test_missing_required_body_member(emulator_url: str) -> None:
    response = web.post(f"{emulator_url}/search-contacts", json={"InstanceId": "i"}, headers=SIGNED)
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "InvalidParameterException"
    assert "Value null at 'TimeRange'" in response.json()["Message"]


def test_unsigned_requests_are_denied(emulator_url: str) -> None:
    contact = next(iter(DATASET.instances[DEMO_INSTANCE_ID].contacts))
    response = web.get(f"{emulator_url}/contacts/{DEMO_INSTANCE_ID}/{contact}")
    assert response.status_code == 403
    assert response.headers["x-amzn-errortype"] == "AccessDeniedException"
    assert response.json() == {"Message": "Missing Authentication Token"}
    uuid.UUID(response.headers["x-amzn-requestid"])


def test_unimplemented_operation(connect: Any) -> None:
    found = error_of(connect.describe_instance, InstanceId=DEMO_INSTANCE_ID)
    assert found == (
        "InvalidRequestException",
        "The emulator does not implement DescribeInstance",
        400,
    )


def test_unknown_path(emulator_url: str) -> None:
    response = web.get(f"{emulator_url}/no/such/operation", headers=SIGNED)
    assert response.status_code == 404
    assert response.headers["x-amzn-errortype"] == "UnknownOperationException"
    assert "GET /no/such/operation" in response.json()["Message"]


def test_describe_user_and_queue(connect: Any) -> None:
    instance = DATASET.instances[DEMO_INSTANCE_ID]
    agent, queue = instance.directory.agents[3], instance.directory.queues[2]
    assert connect.describe_user(InstanceId=instance.id, UserId=agent.id)["User"] == agent.user
    described = connect.describe_queue(InstanceId=instance.id, QueueId=queue.id)
    assert described["Queue"] == queue.record
    assert error_of(connect.describe_user, InstanceId=instance.id, UserId="nobody")[0] == (
        "ResourceNotFoundException"
    )
    assert (
        error_of(connect.describe_queue, InstanceId=instance.id, QueueId="none")[1]
        == "Queue not found"
    )


def test_every_agent_and_queue_round_trips_through_boto3(connect: Any) -> None:
    for instance in DATASET.instances.values():
        for agent in instance.directory.agents:
            described = connect.describe_user(InstanceId=instance.id, UserId=agent.id)
            assert described["User"] == agent.user
        for queue in instance.directory.queues:
            described = connect.describe_queue(InstanceId=instance.id, QueueId=queue.id)
            assert described["Queue"] == queue.record


def test_agents_and_queues_of_contacts_are_describable(connect: Any) -> None:
    record = next(
        r
        for r in DATASET.instances[DEMO_INSTANCE_ID].contacts.values()
        if "AgentInfo" in r and "QueueInfo" in r
    )
    user = connect.describe_user(InstanceId=DEMO_INSTANCE_ID, UserId=record["AgentInfo"]["Id"])[
        "User"
    ]
    queue = connect.describe_queue(InstanceId=DEMO_INSTANCE_ID, QueueId=record["QueueInfo"]["Id"])[
        "Queue"
    ]
    groups = record["AgentInfo"]["HierarchyGroups"]
    assert groups[f"Level{len(groups)}"]["Arn"].endswith(user["HierarchyGroupId"])
    assert queue["QueueId"] == record["QueueInfo"]["Id"]
