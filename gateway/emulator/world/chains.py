"""Chains of contacts: each continues the one before it, the way Connect links them.

A contact that continues another (transfer, queue transfer, callback, email reply,
disconnect flow) has PreviousContactId = the one before and InitialContactId = the first
of the chain, which itself has neither. A chain stops at the first contact still active at
the dataset's now.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from gateway.emulator.world.agents import Agent
from gateway.emulator.world.contacts import ContactFactory, Leg, Record
from gateway.emulator.world.journeys import related_task
from gateway.emulator.world.routing_criteria import excluding_agent, preferred_agent

__all__ = ["callback", "chat", "email_thread", "escalated_task", "transfer_chain"]

_HANDOVER = {"TRANSFER": "AGENT_DISCONNECT", "QUEUE_TRANSFER": "CONTACT_FLOW_DISCONNECT"}


def transfer_chain(
    f: ContactFactory, start: datetime, depth: int, channel: str = "VOICE"
) -> list[Record]:
    """A contact transferred `depth - 1` times, by agents (TRANSFER) or flows (QUEUE_TRANSFER)."""
    caller = f.caller()
    steps = ("TRANSFER", "TRANSFER", "QUEUE_TRANSFER")
    methods = ["INBOUND" if channel == "VOICE" else "API"]
    methods += [f.rng.choice(steps) for _ in range(depth - 1)]
    records: list[Record] = []
    agent: Agent | None = None
    for index, method in enumerate(methods):
        following = methods[index + 1] if index + 1 < depth else None
        agent = None if following == "QUEUE_TRANSFER" else f.agent(exclude=agent)
        previous = records[-1] if records else None
        leg = Leg(
            channel,
            method,
            start,
            caller,
            f.queue(),
            agent,
            f.talk(channel),
            previous,
            reason=_HANDOVER.get(following or ""),
        )
        record = f.make(leg)
        if previous is not None and method == "TRANSFER":
            _quick_connect(f, previous, record)
        records.append(record)
        if following is None or "DisconnectTimestamp" not in record:
            break
        start = record["DisconnectTimestamp"]
    return records


def callback(f: ContactFactory, start: datetime) -> list[Record]:
    """A caller who left the queue asking to be called back, and the callback."""
    caller = f.caller()
    waiting = Leg("VOICE", "INBOUND", start, caller, f.queue(), reason="CONTACT_FLOW_DISCONNECT")
    first = f.make(waiting)
    if "DisconnectTimestamp" not in first:
        return [first]
    agent = f.agent()
    leg = Leg(
        "VOICE",
        "CALLBACK",
        f.later(first, 1, 5),
        caller,
        f.queue("Callbacks"),
        agent,
        f.talk("VOICE"),
        previous=first,
        related_id=first["Id"],
    )
    if f.rng.random() < 0.5:
        leg = replace(leg, extra={"RoutingCriteria": preferred_agent(agent, leg.start)})
    return [first, f.make(leg)]


def chat(f: ContactFactory, start: datetime, *, follow_up: str | None = None) -> list[Record]:
    """A chat (web chats start through the API, SMS ones are INBOUND), maybe followed by a
    contact its disconnect flow creates: a survey chat or a follow-up task."""
    caller = f.caller()
    method = f.rng.choice(("API", "API", "INBOUND"))
    first = f.make(Leg("CHAT", method, start, caller, f.queue(), f.agent(), f.talk("CHAT")))
    if follow_up is None or "DisconnectTimestamp" not in first:
        return [first]
    survey = follow_up == "CHAT"
    leg = Leg(
        follow_up,
        "DISCONNECT",
        f.later(first, 0.5, 2),
        caller,
        previous=first,
        queue=None if survey else f.queue(),
        agent=None if survey else f.agent(),
        talk=f.talk(follow_up) if not survey else 90.0,
    )
    return [first, f.make(leg)]


def escalated_task(f: ContactFactory, start: datetime, transfers: int = 2) -> list[Record]:
    """A call, a task about it, and that task transferred on from agent to agent; each
    transferred task keeps the call as its RelatedContactId."""
    caller = f.caller()
    call = f.make(Leg("VOICE", "INBOUND", start, caller, f.queue(), f.agent(), 300.0))
    if "DisconnectTimestamp" not in call:
        return [call]
    tasks = related_task(f, call, caller)
    for _ in range(transfers):
        previous = tasks[-1]
        if "DisconnectTimestamp" not in previous:
            break
        handler = f.agent_of(previous)
        start = f.later(previous, 1, 30)
        criteria = {} if handler is None else {"RoutingCriteria": excluding_agent(handler, start)}
        leg = Leg(
            "TASK",
            "TRANSFER",
            start,
            caller,
            f.queue("Escalations"),
            f.agent(exclude=handler),
            f.talk("TASK"),
            previous=previous,
            related_id=call["Id"],
            reason="AGENT_DISCONNECT",
            extra=criteria,
        )
        tasks.append(f.make(leg))
        _quick_connect(f, previous, tasks[-1])
    return [call, *tasks]


def email_thread(f: ContactFactory, start: datetime, messages: int) -> list[Record]:
    """An inbound email and the replies after it, agent and customer in turn."""
    caller, agent = f.caller(), f.agent()
    first = f.make(Leg("EMAIL", "INBOUND", start, caller, f.queue("EmailSupport"), agent, 300.0))
    first["ContactAssociationId"] = first["Id"]
    records = [first]
    for index in range(1, messages):
        previous = records[-1]
        if "DisconnectTimestamp" not in previous:
            break
        agent_turn = index % 2 == 1
        begin = f.later(previous, 0, 30) if agent_turn else f.later(previous, 3600, 40000)
        if begin >= f.now:
            break
        leg = Leg(
            "EMAIL",
            "AGENT_REPLY" if agent_turn else "INBOUND",
            begin,
            caller,
            None if agent_turn else f.queue("EmailSupport"),
            agent,
            f.talk("EMAIL"),
            previous=previous,
            association_id=first["Id"],
        )
        records.append(f.make(leg))
    return records


def _quick_connect(f: ContactFactory, previous: Record, record: Record) -> None:
    queue = f.queue()
    data = {
        "ContactId": record["Id"],
        "InitiationTimestamp": record["InitiationTimestamp"],
        "QuickConnectId": f.new_id(),
        "QuickConnectName": f"Transfer to {queue.name}",
        "QuickConnectType": f.rng.choice(("QUEUE", "USER")),
    }
    entry = {"Type": "QUICK_CONNECT", "NextContactMetadata": {"QuickConnectContactData": data}}
    previous["NextContacts"] = [entry]
