"""Finding what a request names, or answering 404 ResourceNotFoundException as Connect does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.emulator.protocol.errors import ConnectError
from gateway.emulator.world.contacts import Record
from gateway.emulator.world.dataset import Dataset, Instance

__all__ = ["contact_of", "instance_of"]


def instance_of(dataset: Dataset, params: Mapping[str, Any]) -> Instance:
    """The instance the request's InstanceId (an ID or an ARN) names."""
    instance = dataset.instance(params["InstanceId"])
    if instance is None:
        raise ConnectError("ResourceNotFoundException", "Instance not found")
    return instance


def contact_of(instance: Instance, contact_id: str) -> Record:
    record = instance.contacts.get(contact_id)
    if record is None:
        raise ConnectError("ResourceNotFoundException", "Contact not found")
    return record
