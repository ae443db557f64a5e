"""The Connect operations the emulator implements, one handler each, over the dataset.

A handler takes the dataset and the bound, validated input members and returns the
operation's output as a dict shaped like its output shape, or raises ConnectError. To
implement another operation, write its handler and add it to HANDLERS; routing, validation,
serialization, stats, throttling and faults come for free.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gateway.emulator.dataset import Dataset, Instance
from gateway.emulator.errors import ConnectError

__all__ = ["HANDLERS", "Handler"]

Handler = Callable[[Dataset, Mapping[str, Any]], dict[str, Any]]


def describe_contact(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    record = _instance(dataset, params).contacts.get(params["ContactId"])
    if record is None:
        raise ConnectError("ResourceNotFoundException", "Contact not found")
    return {"Contact": record}


def describe_user(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    agent = _instance(dataset, params).agent(params["UserId"])
    if agent is None:
        raise ConnectError("ResourceNotFoundException", "User not found")
    return {"User": agent.user}


def describe_queue(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    queue = _instance(dataset, params).queue(params["QueueId"])
    if queue is None:
        raise ConnectError("ResourceNotFoundException", "Queue not found")
    return {"Queue": queue.record}


def _instance(dataset: Dataset, params: Mapping[str, Any]) -> Instance:
    instance = dataset.instance(params["InstanceId"])
    if instance is None:
        raise ConnectError("ResourceNotFoundException", "Instance not found")
    return instance


HANDLERS: Mapping[str, Handler] = {
    "DescribeContact": describe_contact,
    "DescribeUser": describe_user,
    "DescribeQueue": describe_queue,
}
