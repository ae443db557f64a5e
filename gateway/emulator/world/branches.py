"""Journeys whose contacts form a tree that branches, the way Connect links a busy one.

A call that first waited for a callback is called back, transferred to a second agent,
who consults a third (a TRANSFER leg that ends while the call goes on, so the call's
contact has two children), then creates a follow-up task from the call (PreviousContactId)
while a flow files another about it (RelatedContactId), and emails the customer a summary
(related to the call), whose reply and the agent's answer continue as an email thread.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gateway.emulator.world.agents import Agent
from gateway.emulator.world.chains import callback
from gateway.emulator.world.contacts import Caller, ContactFactory, Leg, Record
from gateway.emulator.world.journeys import related_task
from gateway.emulator.world.timeline import ms

__all__ = ["consulted_call"]


def consulted_call(f: ContactFactory, start: datetime) -> list[Record]:
    """Callback, transfer, consult, two tasks and an email thread: up to nine contacts."""
    records = callback(f, start)
    if len(records) < 2 or "DisconnectTimestamp" not in records[-1]:
        return records
    called_back = records[-1]
    called_back["DisconnectReason"] = "AGENT_DISCONNECT"
    caller = _caller_of(f, records[0])
    agent = f.agent(exclude=f.agent_of(called_back))
    leg = Leg(
        "VOICE",
        "TRANSFER",
        called_back["DisconnectTimestamp"],
        caller,
        f.queue(),
        agent,
        f.rng.uniform(900.0, 1500.0),
        previous=called_back,
    )
    transferred = f.make(leg)
    records.append(transferred)
    consult = _consult(f, transferred, caller, agent)
    if consult is not None:
        records.append(consult)
    if "DisconnectTimestamp" not in transferred:
        return records
    records += _follow_up_task(f, transferred, caller, agent)
    records += related_task(f, transferred, caller, method="FLOW")
    records += _email_follow_up(f, transferred, caller, agent)
    return records


def _caller_of(f: ContactFactory, record: Record) -> Caller:
    endpoint = record.get("CustomerEndpoint", {})
    base = f.caller()
    return Caller(base.name, endpoint.get("Address", base.phone), base.email, base.profile_id)


def _consult(f: ContactFactory, call: Record, caller: Caller, agent: Agent) -> Record | None:
    """The agent on `call` consults a colleague directly (no queue); the call goes on."""
    connected = call.get("AgentInfo", {}).get("ConnectedToAgentTimestamp")
    if connected is None:
        return None
    begin = ms(connected + timedelta(seconds=f.rng.uniform(60, 180)))
    if begin >= f.now:
        return None
    colleague = f.agent(exclude=agent)
    leg = Leg(
        "VOICE",
        "TRANSFER",
        begin,
        caller,
        None,
        colleague,
        f.rng.uniform(90.0, 240.0),
        previous=call,
        reason="AGENT_DISCONNECT",
        extra={"Description": "Agent-to-agent consult"},
    )
    return f.make(leg)


def _follow_up_task(f: ContactFactory, call: Record, caller: Caller, agent: Agent) -> list[Record]:
    """A task the agent starts from the call (StartTaskContact with PreviousContactId)."""
    begin = min(f.later(call, 30, 600), f.now - timedelta(minutes=1))
    leg = Leg("TASK", "API", begin, caller, f.queue(), agent, f.talk("TASK"), previous=call)
    return [f.make(leg)]


def _email_follow_up(f: ContactFactory, call: Record, caller: Caller, agent: Agent) -> list[Record]:
    """The agent emails a summary of the call; the customer replies, the agent answers."""
    begin = f.later(call, 300, 1800)
    if begin >= f.now:
        return []
    queue = f.queue("EmailSupport")
    summary = Leg(
        "EMAIL",
        "OUTBOUND",
        begin,
        caller,
        None,
        agent,
        f.talk("EMAIL"),
        related_id=call["Id"],
        extra={"QueueInfo": {"Id": queue.id}},
    )
    first = f.make(summary)
    first["ContactAssociationId"] = first["Id"]
    records = [first]
    for method in ("INBOUND", "AGENT_REPLY"):
        previous = records[-1]
        if "DisconnectTimestamp" not in previous:
            break
        wait = (3600, 20000) if method == "INBOUND" else (600, 7200)
        begin = f.later(previous, *wait)
        if begin >= f.now:
            break
        leg = Leg(
            "EMAIL",
            method,
            begin,
            caller,
            queue if method == "INBOUND" else None,
            agent,
            f.talk("EMAIL"),
            previous=previous,
            association_id=first["Id"],
        )
        records.append(f.make(leg))
    return records
