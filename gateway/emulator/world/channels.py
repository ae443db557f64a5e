"""The Contact members a demo contact gets from its queue, its channel, and by chance.

Each function returns the members it adds; optional members are drawn from the RNG with
the rough frequency a real contact centre would show them. Members meant for the
contact's AgentInfo come under the key AGENT_EXTRAS, which the factory merges.

Segment attributes use Connect's documented keys (connect:Subtype, connect:ContactExpiry,
connect:CreatedByUser) and, to show the value kinds no documented key uses, a few
illustrative ones: an email's connect:EmailMessageArn (ValueArn) and
connect:EmailAttachments (ValueList of ValueArn), the same files its references name, and
a callback's user-defined callbackAttempts (ValueInteger).
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gateway.core.records import Record
from gateway.emulator.world.analytics import (
    chat_metrics,
    contact_lens,
    evaluations,
    quality_metrics,
    recordings,
)
from gateway.emulator.world.directory import Queue
from gateway.emulator.world.routing_criteria import routing_criteria
from gateway.emulator.world.timeline import Timeline, ms

if TYPE_CHECKING:
    from gateway.emulator.world.contacts import ContactFactory, Leg

__all__ = [
    "AGENT_EXTRAS",
    "ai_agent_id",
    "chat_members",
    "email_members",
    "queue_members",
    "shared_members",
    "task_members",
    "voice_members",
]


AGENT_EXTRAS = "_agent"

_NUMBERS = ("+18005550100", "+18005550199", "+12065550142")
_TASKS = (
    ("Call back about invoice", "Customer asked for a breakdown of last month's invoice."),
    ("Replace damaged router", "Ship a replacement router and email the tracking number."),
    ("Review refund request", "Refund above the agent limit; needs a supervisor's approval."),
    ("Follow up on outage", "Confirm service is restored and offer a one-month credit."),
    ("Post-contact survey", "Send the satisfaction survey created by the disconnect flow."),
)
_SUBJECTS = (
    "Invoice INV-{n} looks wrong",
    "Cannot log in to my account",
    "Order #{n} not delivered",
)


def queue_members(rng: random.Random, queue: Queue | None, timeline: Timeline) -> Record:
    if queue is None:
        return {}
    info: Record = {"Id": queue.id}
    if timeline.enqueue is not None:
        info["EnqueueTimestamp"] = timeline.enqueue
    members: Record = {"QueueInfo": info, "QueuePriority": rng.choice((1, 2, 3, 5, 5, 5))}
    if rng.random() < 0.1:
        members["QueueTimeAdjustmentSeconds"] = rng.choice((30, 60, 120))
    if timeline.enqueue is not None and rng.random() < 0.2:
        members["RoutingCriteria"] = routing_criteria(rng, timeline.enqueue)
    return members


def shared_members(
    rng: random.Random, factory: ContactFactory, leg: Leg, timeline: Timeline
) -> Record:
    members: Record = {}
    if rng.random() < 0.35:
        members["Tags"] = {"Department": rng.choice(("care", "sales")), "CostCenter": "cc-4410"}
    if leg.caller.profile_id is not None:
        members["CustomerId"] = leg.caller.profile_id
    served = leg.agent is not None and timeline.connected is not None
    if served and rng.random() < 0.25:
        members["WisdomInfo"] = _wisdom(rng, factory)
    if rng.random() < 0.1:
        number = rng.randint(10000, 99999)
        members["Cases"] = [{"CaseId": factory.new_id(), "CaseReferenceNumber": f"CS-{number}"}]
    if served and timeline.end is not None and rng.random() < 0.12:
        members["ContactEvaluations"] = evaluations(rng, factory, timeline.end)
    return members


def voice_members(
    rng: random.Random, factory: ContactFactory, leg: Leg, timeline: Timeline
) -> Record:
    outbound = leg.method in ("OUTBOUND", "EXTERNAL_OUTBOUND", "CALLBACK", "API")
    customer = {"Type": "TELEPHONE_NUMBER", "Address": leg.caller.phone}
    system = {"Type": "TELEPHONE_NUMBER", "Address": rng.choice(_NUMBERS)}
    members: Record = {
        "CustomerEndpoint": customer,
        "SystemEndpoint": system,
        "SegmentAttributes": {"connect:Subtype": {"ValueString": "connect:Telephony"}},
    }
    if not outbound:
        customer["DisplayName"] = leg.caller.name
    if leg.method == "CALLBACK":
        members["SegmentAttributes"]["callbackAttempts"] = {"ValueInteger": rng.randint(1, 3)}
    if leg.agent is None or timeline.ring is None:
        return members
    device = {"PlatformName": "Chrome", "PlatformVersion": "141.0", "OperatingSystem": "Windows 11"}
    members[AGENT_EXTRAS] = {
        "DeviceInfo": device,
        "VoiceEnhancementMode": leg.agent.voice_enhancement,
    }
    if timeline.end is not None and timeline.connected is not None:
        members[AGENT_EXTRAS]["AgentInitiatedHoldDuration"] = rng.choice((0, 0, 0, 35, 90))
        members["Recordings"] = recordings(rng, factory, "CallRecordings", timeline)
        members["QualityMetrics"] = quality_metrics(rng)
        if rng.random() < 0.3:
            members["ContactLens"] = contact_lens(rng, leg.channel)
        if rng.random() < 0.08:
            members["DisconnectDetails"] = {"PotentialDisconnectIssue": "AGENT_CONNECTIVITY_ISSUE"}
    return members


def chat_members(
    rng: random.Random, factory: ContactFactory, leg: Leg, timeline: Timeline
) -> Record:
    sms = leg.method == "INBOUND"
    subtype = "connect:SMS" if sms else "connect:Chat"
    members: Record = {"SegmentAttributes": {"connect:Subtype": {"ValueString": subtype}}}
    if sms:
        members["CustomerEndpoint"] = {"Type": "TELEPHONE_NUMBER", "Address": leg.caller.phone}
        members["SystemEndpoint"] = {"Type": "TELEPHONE_NUMBER", "Address": _NUMBERS[0]}
    if timeline.end is not None and timeline.connected is not None:
        members["ChatMetrics"] = chat_metrics(rng, leg, timeline.connected, timeline.end)
        members["Recordings"] = recordings(rng, factory, "ChatTranscripts", timeline)
        if rng.random() < 0.2:
            members["ContactLens"] = contact_lens(rng, leg.channel)
    return members


def task_members(
    rng: random.Random, factory: ContactFactory, leg: Leg, timeline: Timeline
) -> Record:
    name, description = rng.choice(_TASKS)
    members: Record = {"Name": name, "Description": description}
    if rng.random() < 0.5:
        template = factory.new_id()
        members["TaskTemplateInfo"] = {
            "Arn": f"{factory.instance_arn}/task-template/{template}",
            "Name": name.split(" ", 1)[0] + "Template",
        }
        members["ContactDetails"] = {"Name": name, "Description": description[:120]}
    if leg.scheduled is not None:
        members["ScheduledTimestamp"] = leg.scheduled
    segment = _task_segment(rng, factory, leg)
    if segment:
        members["SegmentAttributes"] = segment
    if timeline.connected is not None and timeline.end is not None and rng.random() < 0.3:
        members.update(_pauses(rng, timeline.connected))
    return members


def email_members(
    rng: random.Random, factory: ContactFactory, leg: Leg, timeline: Timeline
) -> Record:
    subject = rng.choice(_SUBJECTS).format(n=rng.randint(10000, 99999))
    replying = leg.previous is not None
    members: Record = {
        "Name": f"Re: {subject}" if replying else subject,
        "Description": f"Email conversation with {leg.caller.name}",
        "CustomerEndpoint": {
            "Type": "EMAIL_ADDRESS",
            "Address": leg.caller.email,
            "DisplayName": leg.caller.name,
        },
        "SystemEndpoint": {
            "Type": "EMAIL_ADDRESS",
            "Address": "support@example.com",
            "DisplayName": "Example Corp Support",
        },
        "SegmentAttributes": _email_segment(rng, factory),
    }
    if rng.random() < 0.4:
        members["AdditionalEmailRecipients"] = {
            "ToList": [{"Address": "billing@example.com", "DisplayName": "Billing"}],
            "CcList": [{"Address": f"cc.{leg.caller.email}", "DisplayName": leg.caller.name}],
        }
    return members


def _task_segment(rng: random.Random, factory: ContactFactory, leg: Leg) -> Record:
    """Who created a task, and when it expires if not after the default 7 days."""
    segment: Record = {}
    if rng.random() < 0.5:
        minutes = rng.choice((240, 1440, 4320))
        segment["connect:ContactExpiry"] = {
            "ValueMap": {"ExpiryDuration": {"ValueInteger": minutes}}
        }
    if leg.method == "API" and leg.agent is not None:
        segment["connect:CreatedByUser"] = {"ValueString": factory.agent(exclude=leg.agent).arn}
    return segment


def _email_segment(rng: random.Random, factory: ContactFactory) -> Record:
    """An email's subtype, its message and any attachments, as the files Connect keeps."""
    files = f"{factory.instance_arn}/attached-file"
    segment: Record = {
        "connect:Subtype": {"ValueString": "connect:Email"},
        "connect:EmailMessageArn": {"ValueArn": f"{files}/{factory.new_id()}"},
    }
    count = rng.choice((0, 0, 1, 2, 4))
    if count:
        arns = [{"ValueArn": f"{files}/{factory.new_id()}"} for _ in range(count)]
        segment["connect:EmailAttachments"] = {"ValueList": arns}
    return segment


def ai_agent_id(instance_arn: str, use_case: str) -> str:
    """The ID of an instance's AI agent for `use_case` (AgentAssistance or SelfService)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{instance_arn}/ai-agent/{use_case}"))


def _wisdom(rng: random.Random, factory: ContactFactory) -> Record:
    assistant, session = factory.new_id(), factory.new_id()
    arn = f"arn:aws:wisdom:us-east-1:{factory.account_id}:session/{assistant}/{session}"
    info: Record = {"SessionArn": arn}
    if rng.random() < 0.5:
        escalated = rng.random() < 0.3
        assist = ai_agent_id(factory.instance_arn, "AgentAssistance")
        service = ai_agent_id(factory.instance_arn, "SelfService")
        info["AiAgents"] = [
            {
                "AiUseCase": "AgentAssistance",
                "AiAgentVersionId": f"{assist}:3",
                "AiAgentEscalated": False,
            },
            {
                "AiUseCase": "SelfService",
                "AiAgentVersionId": f"{service}:7",
                "AiAgentEscalated": escalated,
            },
        ]
    return info


def _pauses(rng: random.Random, connected: datetime) -> Record:
    paused = ms(connected + timedelta(seconds=rng.uniform(30, 120)))
    seconds = rng.randint(60, 900)
    return {
        "LastPausedTimestamp": paused,
        "LastResumedTimestamp": ms(paused + timedelta(seconds=seconds)),
        "TotalPauseCount": 1,
        "TotalPauseDurationInSeconds": seconds,
        AGENT_EXTRAS: {"AgentPauseDurationInSeconds": seconds},
    }
