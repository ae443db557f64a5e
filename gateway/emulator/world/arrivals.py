"""New contacts arriving now (`POST /_emulator/contacts`): an inbound call, chat or email,
or an API task, just INITIATED in its flow, on its way to a queue; the timeline moves it on."""

from __future__ import annotations

import random
from datetime import datetime

from gateway.emulator.world.contacts import Record
from gateway.emulator.world.dataset import Instance
from gateway.emulator.world.ids import new_id

__all__ = ["CHANNELS", "arriving_contact", "new_contact"]

CHANNELS = ("VOICE", "CHAT", "TASK", "EMAIL")


def new_contact(
    rng: random.Random, instance: Instance, channel: str, method: str, at: datetime
) -> Record:
    """The members every new contact has: its ARN and ID, its channel, how and when it
    began (arrivals, tasks and transfers alike)."""
    contact_id = new_id(rng)
    return {
        "Arn": f"{instance.arn}/contact/{contact_id}",
        "Id": contact_id,
        "InitiationMethod": method,
        "Channel": channel,
        "InitiationTimestamp": at,
        "LastUpdateTimestamp": at,
    }


def arriving_contact(rng: random.Random, instance: Instance, channel: str, at: datetime) -> Record:
    """A contact of `channel` initiated at `at`, not yet queued."""
    record = new_contact(rng, instance, channel, "API" if channel == "TASK" else "INBOUND", at)
    record["QueueInfo"] = {"Id": rng.choice(instance.directory.queues).id}
    if channel == "VOICE":
        record["ConnectedToSystemTimestamp"] = at
        number = f"+1206{rng.randint(2_000_000, 9_999_999)}"
        record["CustomerEndpoint"] = {"Type": "TELEPHONE_NUMBER", "Address": number}
    elif channel == "EMAIL":
        address = f"customer{rng.randint(100, 999)}@example.net"
        record["CustomerEndpoint"] = {"Type": "EMAIL_ADDRESS", "Address": address}
    elif channel == "TASK":
        record["Name"] = "Follow up with the customer"
    return record
