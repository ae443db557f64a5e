"""Customer journeys: the ways contacts link to each other in Amazon Connect.

Each journey makes its contacts through a ContactFactory and returns them in order. Links
follow Connect's rules: a contact that continues another (transfer, queue transfer,
callback, email reply, disconnect flow) has PreviousContactId = the one before and
InitialContactId = the first of the chain, which itself has neither; a contact made
alongside another (task, monitor, external outbound) points at it with RelatedContactId.
A journey stops at the first contact still active at the dataset's NOW.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from gateway.emulator.contacts import Caller, ContactFactory, Leg, Record
from gateway.emulator.directory import Agent
from gateway.emulator.timeline import NOW, ms

__all__ = [
    "callback",
    "campaign_call",
    "chat",
    "email_thread",
    "external_outbound",
    "inbound_call",
    "monitored_call",
    "outbound_call",
    "related_task",
    "transfer_chain",
    "voicemail",
    "webrtc_call",
]

_HANDOVER = {"TRANSFER": "AGENT_DISCONNECT", "QUEUE_TRANSFER": "CONTACT_FLOW_DISCONNECT"}
_TALK = {
    "VOICE": (60.0, 900.0),
    "CHAT": (300.0, 1500.0),
    "TASK": (120.0, 1800.0),
    "EMAIL": (60.0, 600.0),
}


def inbound_call(f: ContactFactory, start: datetime, *, answered: bool = True) -> list[Record]:
    agent = f.agent() if answered else None
    record = f.make(Leg("VOICE", "INBOUND", start, f.caller(), f.queue(), agent, _talk(f, "VOICE")))
    if agent is not None and f.rng.random() < 0.08:
        record["GlobalResiliencyMetadata"] = {
            "ActiveRegion": "us-east-1",
            "OriginRegion": "us-west-2",
            "TrafficDistributionGroupId": f.new_id(),
        }
        record.get("AgentInfo", {})["ActiveRegion"] = "us-east-1"
    return [record]


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
            _talk(f, channel),
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
        _later(f, first, 1, 5),
        caller,
        f.queue("Callbacks"),
        agent,
        _talk(f, "VOICE"),
        previous=first,
        related_id=first["Id"],
    )
    if f.rng.random() < 0.5:
        leg = replace(leg, extra={"RoutingCriteria": _preferred_agent(agent, leg.start)})
    return [first, f.make(leg)]


def chat(f: ContactFactory, start: datetime, *, follow_up: str | None = None) -> list[Record]:
    """A chat (web chats start through the API, SMS ones are INBOUND), maybe followed by a
    contact its disconnect flow creates: a survey chat or a follow-up task."""
    caller = f.caller()
    method = f.rng.choice(("API", "API", "INBOUND"))
    first = f.make(Leg("CHAT", method, start, caller, f.queue(), f.agent(), _talk(f, "CHAT")))
    if follow_up is None or "DisconnectTimestamp" not in first:
        return [first]
    survey = follow_up == "CHAT"
    leg = Leg(
        follow_up,
        "DISCONNECT",
        _later(f, first, 0.5, 2),
        caller,
        previous=first,
        queue=None if survey else f.queue(),
        agent=None if survey else f.agent(),
        talk=_talk(f, follow_up) if not survey else 90.0,
    )
    return [first, f.make(leg)]


def related_task(
    f: ContactFactory,
    related: Record,
    caller: Caller,
    *,
    method: str = "API",
    scheduled: datetime | None = None,
) -> list[Record]:
    """A task about another contact; a flow's task starts during it, others after it."""
    if method == "FLOW" or "DisconnectTimestamp" not in related:
        start = ms(related["InitiationTimestamp"] + timedelta(seconds=f.rng.uniform(20, 60)))
    else:
        start = _later(f, related, 60, 3600)
    agent = None if scheduled else f.agent()
    leg = Leg(
        "TASK",
        method,
        min(start, NOW - timedelta(minutes=1)),
        caller,
        f.queue(),
        agent,
        _talk(f, "TASK"),
        related_id=related["Id"],
        scheduled=scheduled,
    )
    return [f.make(leg)]


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
        begin = _later(f, previous, 0, 30) if agent_turn else _later(f, previous, 3600, 40000)
        if begin >= NOW:
            break
        leg = Leg(
            "EMAIL",
            "AGENT_REPLY" if agent_turn else "INBOUND",
            begin,
            caller,
            None if agent_turn else f.queue("EmailSupport"),
            agent,
            _talk(f, "EMAIL"),
            previous=previous,
            association_id=first["Id"],
        )
        records.append(f.make(leg))
    return records


def outbound_call(f: ContactFactory, start: datetime, *, channel: str = "VOICE") -> list[Record]:
    queue = f.queue("Sales")
    leg = Leg(
        channel,
        "OUTBOUND",
        start,
        f.caller(),
        None,
        f.agent(),
        _talk(f, channel),
        extra={"QueueInfo": {"Id": queue.id}},
    )
    return [f.make(leg)]


def campaign_call(f: ContactFactory, start: datetime, *, preview: bool) -> list[Record]:
    """An outbound campaign's call: agent-first preview, or predictive with machine detection."""
    campaign: dict[str, Any] = {"Campaign": {"CampaignId": f.new_id()}}
    if preview:
        campaign["OutboundStrategy"] = {
            "Type": "AGENT_FIRST",
            "Config": {
                "AgentFirst": {
                    "Preview": {
                        "PostAcceptTimeoutConfig": {"DurationInSeconds": 30},
                        "AllowedUserActions": ["CALL", "DISCARD"],
                    }
                }
            },
        }
    machine = not preview and f.rng.random() < 0.3
    status = "VOICEMAIL_BEEP" if machine else "HUMAN_ANSWERED"
    campaign["AnsweringMachineDetectionStatus"] = status
    agent = None if machine else f.agent()
    queue = None if preview or machine else f.queue("Sales")
    method = "OUTBOUND" if preview else "API"
    leg = Leg("VOICE", method, start, f.caller(), queue, agent, _talk(f, "VOICE"), extra=campaign)
    record = f.make(leg)
    greeting: datetime = record.get("ConnectedToSystemTimestamp") or record["InitiationTimestamp"]
    record["CustomerVoiceActivity"] = {
        "GreetingStartTimestamp": ms(greeting + timedelta(seconds=2.5)),
        "GreetingEndTimestamp": ms(greeting + timedelta(seconds=4.1)),
    }
    info = record.get("AgentInfo", {})
    if preview and "AcceptedByAgentTimestamp" in info:
        info["PreviewEndTimestamp"] = ms(info["AcceptedByAgentTimestamp"] + timedelta(seconds=12))
    return [record]


def monitored_call(f: ContactFactory, start: datetime) -> list[Record]:
    """A call with a supervisor listening in: the MONITOR contact is related to it."""
    call = inbound_call(f, start)[0]
    connected = call.get("AgentInfo", {}).get("ConnectedToAgentTimestamp")
    if connected is None:
        return [call]
    supervisor = f.agent(exclude=_agent_of(f, call))
    begin = ms(connected + timedelta(seconds=f.rng.uniform(20, 90)))
    end = call.get("DisconnectTimestamp", NOW)
    if begin >= end:
        return [call]
    talk = max(10.0, (end - begin).total_seconds() * 0.5)
    leg = Leg("VOICE", "MONITOR", begin, f.caller(), None, supervisor, talk, related_id=call["Id"])
    monitor = f.make(leg)
    if "AgentInfo" in monitor:
        monitor["AgentInfo"]["StateTransitions"] = _transitions(monitor)
    return [call, monitor]


def webrtc_call(f: ContactFactory, start: datetime) -> list[Record]:
    """An in-app video call placed through StartWebRTCContact."""
    caller = f.caller()
    flow = f"{f.instance_arn}/contact-flow/{f.new_id()}"
    device = {"PlatformName": "Safari", "PlatformVersion": "19.1", "OperatingSystem": "iOS 19"}
    extra = {
        "Customer": {"DeviceInfo": device, "Capabilities": {"Video": "SEND"}},
        "CustomerEndpoint": {"Type": "VOIP", "Address": caller.email, "DisplayName": caller.name},
        "SystemEndpoint": {"Type": "CONTACT_FLOW", "Address": flow},
        "SegmentAttributes": {"connect:Subtype": {"ValueString": "connect:WebRTC"}},
    }
    leg = Leg(
        "VOICE", "WEBRTC_API", start, caller, f.queue(), f.agent(), _talk(f, "VOICE"), extra=extra
    )
    record = f.make(leg)
    if "AgentInfo" in record:
        record["AgentInfo"]["Capabilities"] = {"Video": "SEND", "ScreenShare": "SEND"}
    return [record]


def external_outbound(f: ContactFactory, start: datetime) -> list[Record]:
    """A call on which the agent dials a third party: that leg is related to the call."""
    call = inbound_call(f, start)[0]
    info = call.get("AgentInfo", {})
    if "ConnectedToAgentTimestamp" not in info or "DisconnectTimestamp" not in call:
        return [call]
    agent = _agent_of(f, call)
    begin = ms(info["ConnectedToAgentTimestamp"] + timedelta(seconds=f.rng.uniform(30, 60)))
    leg = Leg(
        "VOICE", "EXTERNAL_OUTBOUND", begin, f.caller(), None, agent, 120.0, related_id=call["Id"]
    )
    return [call, f.make(leg)]


def voicemail(f: ContactFactory, start: datetime) -> list[Record]:
    """A caller who left a voicemail, and the task a flow made to listen to it."""
    caller = f.caller()
    leg = Leg(
        "VOICE",
        "INBOUND",
        start,
        caller,
        f.queue(),
        reason="CONTACT_FLOW_DISCONNECT",
        extra={"VoicemailInfo": {"NumberOfVoicemails": 1}},
    )
    call = f.make(leg)
    return [call, *related_task(f, call, caller, method="FLOW")]


def _talk(f: ContactFactory, channel: str) -> float:
    return f.rng.uniform(*_TALK[channel])


def _agent_of(f: ContactFactory, record: Record) -> Agent | None:
    agent_id = record.get("AgentInfo", {}).get("Id")
    return next((agent for agent in f.directory.agents if agent.id == agent_id), None)


def _later(f: ContactFactory, record: Record, low: float, high: float) -> datetime:
    moment: datetime = record["DisconnectTimestamp"]
    return ms(moment + timedelta(seconds=f.rng.uniform(low, high)))


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


def _preferred_agent(agent: Agent, start: datetime) -> dict[str, Any]:
    condition = {
        "MatchCriteria": {"AgentsCriteria": {"AgentIds": [agent.id]}},
        "ComparisonOperator": "Match",
    }
    expiry = {"DurationInSeconds": 120, "ExpiryTimestamp": ms(start + timedelta(seconds=125))}
    step = {"Expiry": expiry, "Expression": {"AttributeCondition": condition}, "Status": "JOINED"}
    return {"Steps": [step], "ActivationTimestamp": ms(start + timedelta(seconds=5)), "Index": 0}


def _transitions(monitor: Record) -> list[dict[str, Any]]:
    started: datetime = monitor["InitiationTimestamp"]
    connected = monitor["AgentInfo"].get("ConnectedToAgentTimestamp", started)
    transitions: list[dict[str, Any]] = [
        {"State": "INITIAL", "StateStartTimestamp": started, "StateEndTimestamp": connected},
        {"State": "CONNECTED", "StateStartTimestamp": connected},
    ]
    if "DisconnectTimestamp" in monitor:
        transitions[1]["StateEndTimestamp"] = monitor["DisconnectTimestamp"]
        transitions.append(
            {"State": "DISCONNECTED", "StateStartTimestamp": monitor["DisconnectTimestamp"]}
        )
    return transitions
