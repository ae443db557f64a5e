"""The people and queues of a demo instance: agents (Connect users) and queues.

Each is kept as the record DescribeUser or DescribeQueue answers, plus what contacts need
to refer to it (ARN, hierarchy group ARNs).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = ["Agent", "Directory", "Queue", "build_directory", "new_id"]

Record = dict[str, Any]

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
_TEAMS = ("Tier1", "Tier2", "Specialists")


@dataclass(frozen=True)
class Agent:
    """A Connect user who handles contacts."""

    id: str
    arn: str
    hierarchy_arns: tuple[str, ...]
    user: Record


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


def new_id(rng: random.Random) -> str:
    """A UUID-shaped identifier, as Connect's contact and resource IDs are, from `rng`."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_directory(
    rng: random.Random, instance_arn: str, agents: int, queues: int, modified: datetime
) -> Directory:
    groups = [(f"{instance_arn}/agent-group/{new_id(rng)}", team) for team in _TEAMS]
    site = f"{instance_arn}/agent-group/{new_id(rng)}"
    region = f"{instance_arn}/agent-group/{new_id(rng)}"
    names = rng.sample([(first, last) for first in _FIRST for last in _LAST], agents)
    built = tuple(
        _agent(rng, instance_arn, first, last, (region, site, groups[i % len(groups)][0]), modified)
        for i, (first, last) in enumerate(names)
    )
    made = tuple(_queue(rng, instance_arn, name, text, modified) for name, text in _QUEUES[:queues])
    return Directory(built, made)


def _agent(
    rng: random.Random,
    instance_arn: str,
    first: str,
    last: str,
    hierarchy: tuple[str, ...],
    modified: datetime,
) -> Agent:
    agent_id = new_id(rng)
    arn = f"{instance_arn}/agent/{agent_id}"
    username = f"{first[0]}{last}".lower().replace("é", "e").replace("í", "i")
    user: Record = {
        "Id": agent_id,
        "Arn": arn,
        "Username": username,
        "IdentityInfo": {
            "FirstName": first,
            "LastName": last,
            "Email": f"{username}@example.com",
        },
        "PhoneConfig": {
            "PhoneType": "SOFT_PHONE",
            "AutoAccept": rng.random() < 0.3,
            "AfterContactWorkTimeLimit": rng.choice((0, 30, 60, 120)),
        },
        "SecurityProfileIds": [new_id(rng)],
        "RoutingProfileId": new_id(rng),
        "HierarchyGroupId": hierarchy[-1].rsplit("/", 1)[1],
        "Tags": {"team": "contact-centre"},
        "LastModifiedTime": modified - timedelta(days=rng.randint(5, 200)),
        "LastModifiedRegion": "us-east-1",
    }
    return Agent(agent_id, arn, hierarchy, user)


def _queue(
    rng: random.Random, instance_arn: str, name: str, description: str, modified: datetime
) -> Queue:
    queue_id = new_id(rng)
    arn = f"{instance_arn}/queue/{queue_id}"
    record: Record = {
        "Name": name,
        "QueueArn": arn,
        "QueueId": queue_id,
        "Description": description,
        "OutboundCallerConfig": {"OutboundCallerIdName": "Example Corp"},
        "HoursOfOperationId": new_id(rng),
        "MaxContacts": rng.choice((50, 100, 200)),
        "Status": "ENABLED",
        "Tags": {"owner": "contact-centre"},
        "LastModifiedTime": modified - timedelta(days=rng.randint(5, 200)),
        "LastModifiedRegion": "us-east-1",
    }
    return Queue(queue_id, arn, name, record)
