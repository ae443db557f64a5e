"""The people and queues of a demo instance: agents (Connect users) and queues.

Each is kept as the record DescribeUser or DescribeQueue answers, plus what contacts need
to refer to it (ARN, hierarchy group ARNs). Agents sit in a hierarchy of up to five
levels: region, site, team, and for some specialists a skill group and a shift below it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.core.records import Record
from gateway.emulator.world.agents import Agent, make_agent
from gateway.emulator.world.ids import new_id

__all__ = ["Agent", "Directory", "Queue", "build_directory", "new_id"]


_FIRST = ("Ana", "Ben", "Chloé", "Dev", "Elif", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kemi")
_LAST = ("Alvarez", "Brooks", "Chen", "Dubois", "Eriksen", "Fofana", "García", "Hughes", "Ito")
_QUEUES = (
    ("BasicQueue", "Default queue for general enquiries"),
    ("Billing", "Invoices, payments and refunds"),
    ("TechSupport", "Connectivity and device troubleshooting"),
    ("Sales", "New orders and upgrades"),
    ("Retention", "Cancellations and win-back offers"),
    ("Escalations", "Supervisor-handled escalations"),
    ("EmailSupport", "Customer emails and replies"),
    ("Callbacks", "Customers waiting for a call back"),
)
_OUTBOUND = ("Sales", "Callbacks", "Retention")


@dataclass(frozen=True)
class Queue:
    """A Connect queue."""

    id: str
    arn: str
    name: str
    record: Record


@dataclass(frozen=True)
class Directory:
    """An instance's agents and queues."""

    agents: tuple[Agent, ...]
    queues: tuple[Queue, ...]

    def queue(self, name: str) -> Queue:
        """The queue called `name`; a small instance without it routes to its first queue."""
        return next((queue for queue in self.queues if queue.name == name), self.queues[0])


def build_directory(
    rng: random.Random,
    instance_arn: str,
    agents: int,
    queues: int,
    modified: datetime,
    *,
    directory_backed: bool = False,
) -> Directory:
    """`agents` agents and `queues` queues; `directory_backed` agents come from a directory."""
    paths = _hierarchy(rng, instance_arn)
    names = rng.sample([(first, last) for first in _FIRST for last in _LAST], agents)
    built = tuple(
        make_agent(
            rng,
            instance_arn,
            name,
            paths[i % len(paths)],
            modified,
            directory_backed=directory_backed,
        )
        for i, name in enumerate(names)
    )
    made = tuple(_queue(rng, instance_arn, name, text, modified) for name, text in _QUEUES[:queues])
    return Directory(built, made)


def _hierarchy(rng: random.Random, instance_arn: str) -> list[tuple[str, ...]]:
    """Every agent's path of hierarchy group ARNs, from level 1 (region) down."""

    def group() -> str:
        return f"{instance_arn}/agent-group/{new_id(rng)}"

    tier1, tier2, specialists = group(), group(), group()
    site, region = group(), group()
    fraud, nights = group(), group()
    return [
        (region, site, tier1),
        (region, site, tier2),
        (region, site, specialists, fraud, nights),
        (region, site, tier1),
        (region, site, tier2),
        (region, site, specialists, fraud),
    ]


def _queue(
    rng: random.Random, instance_arn: str, name: str, description: str, modified: datetime
) -> Queue:
    queue_id = new_id(rng)
    arn = f"{instance_arn}/queue/{queue_id}"
    caller: Record = {"OutboundCallerIdName": "Example Corp"}
    if name in _OUTBOUND:
        caller["OutboundCallerIdNumberId"] = new_id(rng)
        caller["OutboundFlowId"] = new_id(rng)
    record: Record = {
        "Name": name,
        "QueueArn": arn,
        "QueueId": queue_id,
        "Description": description,
        "OutboundCallerConfig": caller,
        "HoursOfOperationId": new_id(rng),
        "MaxContacts": rng.choice((50, 100, 200)),
        "Status": "ENABLED",
        "Tags": {"owner": "contact-centre"},
        "LastModifiedTime": modified - timedelta(days=rng.randint(5, 200)),
        "LastModifiedRegion": "us-east-1",
    }
    if name == "EmailSupport":
        record["OutboundEmailConfig"] = {"OutboundEmailAddressId": new_id(rng)}
    return Queue(queue_id, arn, name, record)
