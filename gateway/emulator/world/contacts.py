"""Making one demo contact: a journey's decisions (a Leg) filled out into a Contact record.

A record is a dict shaped exactly like the `Contact` that boto3's `describe_contact`
returns: botocore member names, timezone-aware datetimes, absent members left out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gateway.core.records import Record
from gateway.emulator.world.agents import Agent
from gateway.emulator.world.channels import (
    AGENT_EXTRAS,
    chat_members,
    email_members,
    queue_members,
    shared_members,
    task_members,
    voice_members,
)
from gateway.emulator.world.directory import Directory, Queue
from gateway.emulator.world.ids import new_id
from gateway.emulator.world.timeline import NOW, Timeline, ms, plan_timeline

__all__ = ["Caller", "ContactFactory", "Leg", "Record"]


_TALK = {
    "VOICE": (60.0, 900.0),
    "CHAT": (300.0, 1500.0),
    "TASK": (120.0, 1800.0),
    "EMAIL": (60.0, 600.0),
}
_REASONS = {
    "VOICE": ("CUSTOMER_DISCONNECT", "CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "TELECOM_PROBLEM"),
    "CHAT": ("CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "CUSTOMER_CONNECTION_NOT_ESTABLISHED"),
    "TASK": ("AGENT_DISCONNECT", "AGENT_DISCONNECT", "EXPIRED"),
    "EMAIL": ("AGENT_DISCONNECT", "CONTACT_FLOW_DISCONNECT"),
}


@dataclass(frozen=True)
class Caller:
    """The customer on the other end of a journey's contacts."""

    name: str
    phone: str
    email: str
    profile_id: str | None


@dataclass(frozen=True)
class Leg:
    """What a journey decides about one contact; the factory decides the rest."""

    channel: str
    method: str
    start: datetime
    caller: Caller
    queue: Queue | None = None
    agent: Agent | None = None
    talk: float = 240.0
    previous: Record | None = None
    related_id: str | None = None
    association_id: str | None = None
    scheduled: datetime | None = None
    reason: str | None = None
    extra: Record = field(default_factory=dict)


@dataclass
class ContactFactory:
    """Makes the contacts of one instance from one seeded RNG."""

    rng: random.Random
    instance_arn: str
    directory: Directory
    account_id: str
    contacts: dict[str, Record] = field(default_factory=dict)
    now: datetime = NOW
    """The dataset's now: what happens after it has not happened yet."""

    def new_id(self) -> str:
        return new_id(self.rng)

    def caller(self) -> Caller:
        first = self.rng.choice(("Sam", "Alex", "Jordan", "Taylor", "Morgan", "Riley", "Casey"))
        last = self.rng.choice(("Rivera", "Nguyen", "Smith", "Haddad", "Kim", "Moreau", "Silva"))
        digits = self.rng.randint(2_000_000, 9_999_999)
        profile = self.new_id().replace("-", "") if self.rng.random() < 0.6 else None
        email = f"{first}.{last}{self.rng.randint(1, 99)}@example.net".lower()
        return Caller(f"{first} {last}", f"+1206{digits}", email, profile)

    def agent(self, exclude: Agent | None = None) -> Agent:
        return self.rng.choice([agent for agent in self.directory.agents if agent != exclude])

    def queue(self, name: str | None = None) -> Queue:
        return self.directory.queue(name) if name else self.rng.choice(self.directory.queues)

    def agent_of(self, record: Record) -> Agent | None:
        """The agent who handled `record`, if any."""
        agent_id = record.get("AgentInfo", {}).get("Id")
        return next((agent for agent in self.directory.agents if agent.id == agent_id), None)

    def talk(self, channel: str) -> float:
        """How long an agent spends on a contact of `channel`, in seconds."""
        return self.rng.uniform(*_TALK[channel])

    def later(self, record: Record, low: float, high: float) -> datetime:
        """A moment `low` to `high` seconds after `record` disconnected."""
        moment: datetime = record["DisconnectTimestamp"]
        return ms(moment + timedelta(seconds=self.rng.uniform(low, high)))

    def make(self, leg: Leg) -> Record:
        """The contact for `leg`, also kept in `contacts`."""
        timeline = plan_timeline(
            self.rng,
            leg.channel,
            leg.start,
            queued=leg.queue is not None,
            agent=leg.agent is not None,
            talk=leg.talk,
            scheduled=leg.scheduled,
            now=self.now,
        )
        contact_id = self.new_id()
        record: Record = {
            "Arn": f"{self.instance_arn}/contact/{contact_id}",
            "Id": contact_id,
            "InitiationMethod": leg.method,
            "Channel": leg.channel,
            "InitiationTimestamp": timeline.start,
            "LastUpdateTimestamp": timeline.last_update,
            **self._links(leg),
            **self._ending(leg, timeline),
            **queue_members(self.rng, leg.queue, timeline),
            **self._agent_info(leg, timeline),
            **shared_members(self.rng, self, leg, timeline),
        }
        channel = self._channel_members(leg, timeline)
        agent_extras = channel.pop(AGENT_EXTRAS, {})
        record.update(channel)
        record.update(leg.extra)
        if "AgentInfo" in record:
            record["AgentInfo"].update(agent_extras)
        if timeline.system is not None:
            record["ConnectedToSystemTimestamp"] = timeline.system
        self.contacts[contact_id] = record
        return record

    def _channel_members(self, leg: Leg, timeline: Timeline) -> Record:
        fill = {"VOICE": voice_members, "CHAT": chat_members, "TASK": task_members}
        return fill.get(leg.channel, email_members)(self.rng, self, leg, timeline)

    def _links(self, leg: Leg) -> Record:
        links: Record = {}
        if leg.previous is not None:
            links["PreviousContactId"] = leg.previous["Id"]
            links["InitialContactId"] = leg.previous.get("InitialContactId", leg.previous["Id"])
        if leg.related_id is not None:
            links["RelatedContactId"] = leg.related_id
        if leg.association_id is not None:
            links["ContactAssociationId"] = leg.association_id
        return links

    def _ending(self, leg: Leg, timeline: Timeline) -> Record:
        if timeline.end is None:
            return {}
        if leg.reason is not None:
            reason = leg.reason
        elif leg.agent is None and leg.queue is not None:
            reason = "CUSTOMER_DISCONNECT"
        else:
            reason = self.rng.choice(_REASONS[leg.channel])
        return {"DisconnectTimestamp": timeline.end, "DisconnectReason": reason}

    def _agent_info(self, leg: Leg, timeline: Timeline) -> Record:
        if leg.agent is None or timeline.ring is None:
            return {}
        info: Record = {"Id": leg.agent.id}
        info["HierarchyGroups"] = {
            f"Level{level}": {"Arn": arn}
            for level, arn in enumerate(leg.agent.hierarchy_arns, start=1)
        }
        if timeline.accepted is not None:
            info["AcceptedByAgentTimestamp"] = timeline.accepted
        if timeline.connected is not None:
            info["ConnectedToAgentTimestamp"] = timeline.connected
            info["AgentPauseDurationInSeconds"] = 0
        if timeline.end is not None and timeline.connected is not None:
            info["AfterContactWorkStartTimestamp"] = timeline.end
            work = (timeline.acw_end or timeline.end) - timeline.end
            info["AfterContactWorkDuration"] = int(work / timedelta(seconds=1))
            if timeline.acw_end is not None:
                info["AfterContactWorkEndTimestamp"] = timeline.acw_end
        return {"AgentInfo": info, "RingStartTimestamp": timeline.ring}
