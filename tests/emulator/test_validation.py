"""Binding request parts to input members and validating them, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.emulator.protocol.binding import bind, from_json, from_text
from gateway.emulator.protocol.errors import ConnectError
from gateway.emulator.protocol.model import connect_model
from gateway.emulator.protocol.validation import Rules, check, problems


def operation(name: str):  # type: ignore[no-untyped-def]
    return connect_model().operation_model(name)


def test_uri_labels_bind_to_members() -> None:
    params = bind(operation("DescribeContact"), {"InstanceId": "i", "ContactId": "c"}, [], {}, b"")
    assert params == {"InstanceId": "i", "ContactId": "c"}


def test_query_lists_and_scalars_bind_by_location_name() -> None:
    query = [("referenceTypes", "URL"), ("referenceTypes", "EMAIL"), ("nextToken", "t")]
    labels = {"InstanceId": "i", "ContactId": "c"}
    params = bind(operation("ListContactReferences"), labels, query, {}, b"")
    assert params["ReferenceTypes"] == ["URL", "EMAIL"]
    assert params["NextToken"] == "t"


def test_body_members_are_decoded_by_shape() -> None:
    time_range = (
        '{"Type": "INITIATION_TIMESTAMP", "StartTime": 0, "EndTime": "2026-11-02T09:00:00Z"}'
    )
    body = f'{{"InstanceId": "i", "TimeRange": {time_range}, "Bogus": 1}}'.encode()
    params = bind(operation("SearchContacts"), {}, [], {}, body)
    assert params["TimeRange"]["StartTime"] == datetime(1970, 1, 1, tzinfo=UTC)
    assert params["TimeRange"]["EndTime"] == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert "Bogus" not in params


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"", "body is missing"),
    ],
)
def test_malformed_bodies_are_invalid_requests(body: bytes, message: str) -> None:
    with pytest.raises(ConnectError) as raised:
        bind(operation("SearchContacts"), {}, [], {}, body)
    assert raised.value.code == "InvalidRequestException"
    assert raised.value.status == 400
    assert message in raised.value.message


def test_text_values_convert_to_member_types() -> None:
    shapes = connect_model().operation_model("ListQueues").input_shape.members
    assert from_text(shapes["MaxResults"], "25") == 25
    assert from_text(shapes["MaxResults"], "many") == "many"
    assert from_json(shapes["MaxResults"], 3) == 3


def test_check_names_each_failing_member() -> None:
    shape = operation("DescribeContact").input_shape
    with pytest.raises(ConnectError) as raised:
        check(shape, {"InstanceId": "i" * 101, "ContactId": "c" * 300})
    error = raised.value
    assert error.code == "InvalidParameterException"
    assert error.message.startswith("2 validation errors detected")
    assert "'InstanceId'" in error.message
    assert "'ContactId' failed to satisfy constraint: Member must have length less" in error.message


def test_check_requires_required_members() -> None:
    with pytest.raises(ConnectError, match="Value null at 'ContactId'"):
        check(operation("DescribeContact").input_shape, {"InstanceId": "i"})


def test_types_ranges_and_enums() -> None:
    shape = operation("SearchContacts").input_shape
    base = {
        "InstanceId": "i",
        "TimeRange": {
            "Type": "NOT_A_TYPE",
            "StartTime": datetime.now(UTC),
            "EndTime": datetime.now(UTC),
        },
    }
    assert problems(shape, base, "") == []
    strict = problems(shape, base, "", Rules(enums=True))
    assert len(strict) == 1
    assert "TimeRange.Type" in strict[0]
    assert "enum" in strict[0]
    too_many = problems(shape, {**base, "MaxResults": 1000}, "")
    assert len(too_many) == 1
    assert "less than or equal to 100" in too_many[0]
    wrong = problems(shape, {**base, "MaxResults": "ten"}, "")
    assert wrong == [
        "Value 'ten' at 'MaxResults' failed to satisfy constraint: Member must be of type integer"
    ]
    naive = {**base, "TimeRange": {**base["TimeRange"], "StartTime": datetime(2026, 1, 1)}}
    assert "timezone-aware" in problems(shape, naive, "")[0]


def test_unknown_members_fail_output_checks() -> None:
    contact = connect_model().shape_for("Contact")
    found = problems(contact, {"Id": "c", "Colour": "blue"}, "Contact")
    assert found == [
        "Value 'blue' at 'Contact.Colour' failed to satisfy constraint: Member is not in the shape"
    ]
