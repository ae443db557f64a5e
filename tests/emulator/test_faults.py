"""Fault specifications and how faults match and expire, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.emulator.protocol.faults import Fault, FaultError, Faults, parse_fault, patched

OPERATIONS = {"DescribeContact", "DescribeUser"}


def test_a_full_fault_parses() -> None:
    fault = parse_fault(
        {"operation": "DescribeContact", "error": "ThrottlingException", "times": 2,
         "contactId": "c", "instanceId": "i", "delayMs": 5},
        OPERATIONS,
    )  # fmt: skip
    assert (fault.operation, fault.error, fault.times) == (
        "DescribeContact",
        "ThrottlingException",
        2,
    )
    assert (fault.contact_id, fault.instance_id, fault.delay_ms) == ("c", "i", 5.0)
    assert fault.to_json()["id"] == fault.id


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "JSON object"),
        ({"operation": "Nope", "error": "ThrottlingException"}, "'operation'"),
        ({"operation": "DescribeContact", "error": "Boom"}, "'error'"),
        ({"operation": "DescribeContact"}, "needs an 'error'"),
        ({"operation": "DescribeContact", "patch": [1]}, "'patch' must be a JSON object"),
        ({"operation": "DescribeContact", "error": "ThrottlingException", "times": 0}, "'times'"),
        (
            {"operation": "DescribeContact", "error": "ThrottlingException", "times": True},
            "'times'",
        ),
        ({"operation": "DescribeContact", "delayMs": -3}, "'delayMs'"),
        ({"operation": "DescribeContact", "delayMs": "5"}, "'delayMs'"),
        ({"operation": "DescribeContact", "delayMs": 5, "contactId": 7}, "'contactId'"),
        ({"operation": "DescribeContact", "delayMs": 5, "colour": "red"}, "colour"),
    ],
)
def test_nonsense_faults_are_refused(data: Any, message: str) -> None:
    with pytest.raises(FaultError, match=message):
        parse_fault(data, OPERATIONS)


def test_first_matching_fault_applies_and_expires() -> None:
    faults = Faults()
    faults.add(Fault("a", "DescribeContact", "ThrottlingException", times=2, contact_id="c1"))
    faults.add(Fault("b", "DescribeContact", "InternalServiceException"))
    c1 = {"InstanceId": "i", "ContactId": "c1"}
    taken = [faults.take("DescribeContact", c1) for _ in range(3)]
    assert [fault.id if fault else None for fault in taken] == ["a", "a", "b"]
    assert [fault.id for fault in faults.listed()] == ["b"]
    assert faults.take("DescribeUser", c1) is None


def test_instance_filters() -> None:
    fault = Fault("a", "DescribeContact", "ThrottlingException", instance_id="i1")
    assert fault.matches("DescribeContact", {"InstanceId": "i1", "ContactId": "x"})
    assert not fault.matches("DescribeContact", {"InstanceId": "i2", "ContactId": "x"})


def test_patch_merges_objects_and_replaces_the_rest() -> None:
    output = {"Contact": {"Id": "c", "Channel": "VOICE", "QueueInfo": {"Id": "q"}}}
    patch = {"Contact": {"Channel": "HOLOGRAM", "QueueInfo": {"EnqueueTimestamp": 1}}}

    assert patched(output, patch) == {
        "Contact": {
            "Id": "c",
            "Channel": "HOLOGRAM",
            "QueueInfo": {"Id": "q", "EnqueueTimestamp": 1},
        }
    }
    assert output["Contact"]["Channel"] == "VOICE"  # the dataset's record is not touched
