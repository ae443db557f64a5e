"""Output written by walking the shape, read back by botocore's own parser."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from botocore.model import ShapeResolver
from botocore.parsers import RestJSONParser

from gateway.emulator.protocol.model import connect_model
from gateway.emulator.protocol.serialization import serialize_output, to_wire

MOMENT = datetime(2026, 11, 2, 9, 0, 0, 123000, tzinfo=UTC)


def test_timestamps_are_epoch_seconds_and_none_is_left_out() -> None:
    output_shape = connect_model().operation_model("DescribeContact").output_shape
    headers, body = serialize_output(
        output_shape, {"Contact": {"Id": "c", "Name": None, "InitiationTimestamp": MOMENT}}
    )
    assert headers == {}
    assert json.loads(body) == {"Contact": {"Id": "c", "InitiationTimestamp": 1793610000.123}}


def test_whole_seconds_are_integers() -> None:
    shape = connect_model().shape_for("Contact").members["InitiationTimestamp"]
    assert to_wire(shape, MOMENT.replace(microsecond=0)) == 1793610000


def test_timestamp_format_and_blobs_follow_the_shape() -> None:
    header = {"shape": "Stamp", "location": "header", "locationName": "x-when"}
    members = {"When": {"shape": "Stamp"}, "Data": {"shape": "Bytes"}, "Header": header}
    resolver = ShapeResolver(
        {
            "Out": {"type": "structure", "members": members},
            "Stamp": {"type": "timestamp", "timestampFormat": "iso8601"},
            "Bytes": {"type": "blob"},
        }
    )
    shape = resolver.get_shape_by_name("Out")
    headers, body = serialize_output(shape, {"When": MOMENT, "Data": b"hi", "Header": MOMENT})  # type: ignore[arg-type]
    assert json.loads(body) == {"When": "2026-11-02T09:00:00.123000Z", "Data": "aGk="}
    assert headers == {"x-when": "2026-11-02T09:00:00.123000Z"}


def test_botocore_parses_what_we_write() -> None:
    operation = connect_model().operation_model("DescribeContact")
    contact = {
        "Id": "c",
        "Channel": "VOICE",
        "InitiationTimestamp": MOMENT,
        "QueueInfo": {"Id": "q", "EnqueueTimestamp": MOMENT},
        "Tags": {"team": "blue"},
        "QualityMetrics": {
            "Agent": {"Audio": {"QualityScore": 4.25, "PotentialQualityIssues": []}}
        },
    }
    headers, body = serialize_output(operation.output_shape, {"Contact": contact})
    parsed = RestJSONParser().parse(
        {"status_code": 200, "headers": headers, "body": body}, operation.output_shape
    )
    assert parsed["Contact"] == contact
