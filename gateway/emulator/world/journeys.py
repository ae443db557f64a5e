"""Journeys of single contacts, and of contacts made alongside another.

Each journey makes its contacts through a ContactFactory and returns them in order. A
contact made alongside another (a task about it, a supervisor monitoring it, a third-party
leg, a flow's task) points at it with RelatedContactId.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from gateway.emulator.world.contacts import Caller, ContactFactory, Leg, Record
from gateway.emulator.world.timeline import ms

__all__ = [
    "campaign_call",
    "external_outbound",
    "inbound_call",
    "monitored_call",
    "outbound_call",
    "related_task",
    "voicemail",
    "webrtc_call",
]


def inbound_call(f: ContactFactory, start: datetime, *, answered: bool = True) -> list[Record]:
    agent = f.agent() if answered else None
    record = f.make(Leg("VOICE", "INBOUND", start, f.caller(), f.queue(), agent, f.talk("VOICE")))
    if agent is not None and f.rng.random() < 0.08:
        active, origin = f.rng.choice((("us-east-1", "us-west-2"), ("us-west-2", "us-east-1")))
        record["GlobalResiliencyMetadata"] = {
            "ActiveRegion": active,
            "OriginRegion": origin,
            "TrafficDistributionGroupId": str(uuid.uuid5(uuid.NAMESPACE_URL, f.instance_arn)),
        }
        record.get("AgentInfo", {})["ActiveRegion"] = active
    return [record]


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
        start = f.later(related, 60, 3600)
    agent = None if scheduled else f.agent()
    leg = Leg(
        "TASK",
        method,
        min(start, f.now - timedelta(minutes=1)),
        caller,
        f.queue(),
        agent,
        f.talk("TASK"),
        related_id=related["Id"],
        scheduled=scheduled,
    )
    return [f.make(leg)]


def outbound_call(f: ContactFactory, start: datetime, *, channel: str = "VOICE") -> list[Record]:
    queue = f.queue("Sales")
    leg = Leg(
        channel,
        "OUTBOUND",
        start,
        f.caller(),
        None,
        f.agent(),
        f.talk(channel),
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
    leg = Leg("VOICE", method, start, f.caller(), queue, agent, f.talk("VOICE"), extra=campaign)
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
    supervisor = f.agent(exclude=f.agent_of(call))
    begin = ms(connected + timedelta(seconds=f.rng.uniform(20, 90)))
    end = call.get("DisconnectTimestamp", f.now)
    if begin >= end:
        return [call]
    talk = max(10.0, (end - begin).total_seconds() * 0.5)
    leg = Leg("VOICE", "MONITOR", begin, f.caller(), None, supervisor, talk, related_id=call["Id"])
    monitor = f.make(leg)
    if "AgentInfo" in monitor:
        monitor["AgentInfo"]["StateTransitions"] = _transitions(monitor)
    return [call, monitor]


def webrtc_call(f: ContactFactory, start: datetime, *, screen_share: bool = False) -> list[Record]:
    """An in-app video call placed through StartWebRTCContact, maybe sharing the screen."""
    caller = f.caller()
    flow = f"{f.instance_arn}/contact-flow/{f.new_id()}"
    device = {"PlatformName": "Safari", "PlatformVersion": "19.1", "OperatingSystem": "iOS 19"}
    extra = {
        "Customer": {"DeviceInfo": device, "Capabilities": _capabilities(screen_share)},
        "CustomerEndpoint": {"Type": "VOIP", "Address": caller.email, "DisplayName": caller.name},
        "SystemEndpoint": {"Type": "CONTACT_FLOW", "Address": flow},
        "SegmentAttributes": {"connect:Subtype": {"ValueString": "connect:WebRTC"}},
    }
    leg = Leg(
        "VOICE", "WEBRTC_API", start, caller, f.queue(), f.agent(), f.talk("VOICE"), extra=extra
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
    agent = f.agent_of(call)
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


def _capabilities(screen_share: bool) -> dict[str, str]:
    return {"Video": "SEND", "ScreenShare": "SEND"} if screen_share else {"Video": "SEND"}


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
