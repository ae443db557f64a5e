"""The Contact members a demo contact gets from its queue, its channel, and by chance.

Each function returns the members it adds; optional members are drawn from the RNG with
the rough frequency a real contact centre would show them. Members meant for the
contact's AgentInfo come under the key AGENT_EXTRAS, which the factory merges.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from gateway.emulator.directory import Queue
from gateway.emulator.timeline import Timeline, ms

if TYPE_CHECKING:
    from gateway.emulator.contacts import ContactFactory, Leg

__all__ = [
    "AGENT_EXTRAS",
    "chat_members",
    "email_members",
    "queue_members",
    "shared_members",
    "task_members",
    "voice_members",
]

Record = dict[str, Any]

AGENT_EXTRAS = "_agent"

_NUMBERS = ("+18005550100", "+18005550199", "+12065550142")
_INTENTS = ("billing", "outage", "upgrade", "cancel", "password-reset", "delivery")
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
        members["RoutingCriteria"] = _routing_criteria(rng, timeline.enqueue)
    return members


def shared_members(
    rng: random.Random, factory: ContactFactory, leg: Leg, timeline: Timeline
) -> Record:
    members: Record = {}
    if rng.random() < 0.6:
        members["Attributes"] = {"intent": rng.choice(_INTENTS), "language": "en-US"}
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
        members["ContactEvaluations"] = _evaluations(rng, factory, timeline.end)
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
    if leg.agent is None or timeline.ring is None:
        return members
    device = {"PlatformName": "Chrome", "PlatformVersion": "141.0", "OperatingSystem": "Windows 11"}
    members[AGENT_EXTRAS] = {
        "DeviceInfo": device,
        "VoiceEnhancementMode": rng.choice(("NOISE_SUPPRESSION", "VOICE_ISOLATION", "NONE")),
    }
    if timeline.end is not None and timeline.connected is not None:
        members[AGENT_EXTRAS]["AgentInitiatedHoldDuration"] = rng.choice((0, 0, 0, 35, 90))
        members["Recordings"] = _recordings(rng, factory, "CallRecordings", timeline)
        members["QualityMetrics"] = _quality(rng)
        if rng.random() < 0.3:
            members["ContactLens"] = _contact_lens(rng)
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
        members["ChatMetrics"] = _chat_metrics(rng, leg, timeline.connected, timeline.end)
        members["Recordings"] = _recordings(rng, factory, "ChatTranscripts", timeline)
        if rng.random() < 0.2:
            members["ContactLens"] = _contact_lens(rng)
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
        "SegmentAttributes": {"connect:Subtype": {"ValueString": "connect:Email"}},
    }
    if rng.random() < 0.4:
        members["AdditionalEmailRecipients"] = {
            "ToList": [{"Address": "billing@example.com", "DisplayName": "Billing"}],
            "CcList": [{"Address": f"cc.{leg.caller.email}", "DisplayName": leg.caller.name}],
        }
    return members


def _wisdom(rng: random.Random, factory: ContactFactory) -> Record:
    assistant, session = factory.new_id(), factory.new_id()
    arn = f"arn:aws:wisdom:us-east-1:{factory.account_id}:session/{assistant}/{session}"
    info: Record = {"SessionArn": arn}
    if rng.random() < 0.5:
        escalated = rng.random() < 0.3
        info["AiAgents"] = [
            {"AiUseCase": "AgentAssistance", "AiAgentVersionId": "3", "AiAgentEscalated": False},
            {"AiUseCase": "SelfService", "AiAgentVersionId": "7", "AiAgentEscalated": escalated},
        ]
    return info


def _evaluations(rng: random.Random, factory: ContactFactory, end: datetime) -> Record:
    evaluation = factory.new_id()
    started = ms(end + timedelta(hours=rng.uniform(2, 20)))
    entry: Record = {
        "FormId": factory.new_id(),
        "EvaluationArn": f"{factory.instance_arn}/contact-evaluation/{evaluation}",
        "Status": rng.choice(("COMPLETE", "COMPLETE", "IN_PROGRESS", "DELETED")),
        "StartTimestamp": started,
        "ExportLocation": f"s3://example-connect-evaluations/{evaluation}.json",
    }
    if entry["Status"] != "IN_PROGRESS":
        entry["EndTimestamp"] = ms(started + timedelta(minutes=rng.uniform(5, 30)))
    if entry["Status"] == "DELETED":
        entry["DeleteTimestamp"] = ms(entry["EndTimestamp"] + timedelta(days=1))
    return {evaluation: entry}


def _recordings(
    rng: random.Random, factory: ContactFactory, folder: str, timeline: Timeline
) -> list[Record]:
    assert timeline.connected is not None
    assert timeline.end is not None
    day = timeline.start.strftime("%Y/%m/%d")
    instance = factory.instance_arn.rsplit("/", 1)[1]
    key = f"example-connect-media/connect/{instance}/{folder}/{day}/{factory.new_id()}"
    recording: Record = {
        "StorageType": "S3",
        "Location": f"{key}.{'wav' if folder == 'CallRecordings' else 'json'}",
        "ParticipantType": "ALL",
        "StartTimestamp": timeline.connected,
        "StopTimestamp": timeline.end,
        "Status": "AVAILABLE",
    }
    if folder == "CallRecordings":
        recording["MediaStreamType"] = "AUDIO"
    else:
        recording["UnprocessedTranscriptLocation"] = f"{key}.raw.json"
    if rng.random() < 0.05:
        recording.update(Status="DELETED", DeletionReason="Retention period expired")
    recordings = [recording]
    if folder == "CallRecordings" and rng.random() < 0.1:
        recordings.append(_stream(rng, factory, timeline))
    return recordings


def _stream(rng: random.Random, factory: ContactFactory, timeline: Timeline) -> Record:
    first = rng.getrandbits(60)
    stream = f"arn:aws:kinesisvideo:us-east-1:{factory.account_id}:stream/connect-live/1"
    return {
        "StorageType": "KINESIS_VIDEO_STREAM",
        "Location": stream,
        "MediaStreamType": "AUDIO",
        "ParticipantType": "CUSTOMER",
        "FragmentStartNumber": str(first),
        "FragmentStopNumber": str(first + rng.randint(100, 5000)),
        "StartTimestamp": timeline.connected,
        "StopTimestamp": timeline.end,
        "Status": "AVAILABLE",
    }


def _quality(rng: random.Random) -> Record:
    def audio() -> Record:
        score = round(rng.uniform(2.8, 4.9), 2)
        issues = ["HighPacketLoss", "HighRoundTripTime"] if score < 3.2 else []
        return {"QualityScore": score, "PotentialQualityIssues": issues}

    return {"Agent": {"Audio": audio()}, "Customer": {"Audio": audio()}}


def _contact_lens(rng: random.Random) -> Record:
    configuration: Record = {
        "Enabled": True,
        "LanguageLocale": "en-US",
        "LanguageLocales": ["en-US", "es-US"],
        "ChannelConfiguration": {"AnalyticsModes": ["PostContact"]},
        "RedactionConfiguration": {
            "Behavior": "Enable",
            "Policy": "RedactedAndOriginal",
            "Entities": ["NAME", "CREDIT_DEBIT_NUMBER"],
            "MaskMode": "PII",
        },
        "SummaryConfiguration": {"SummaryModes": ["PostContact"]},
        "SentimentConfiguration": {"Behavior": "Enable"},
    }
    state = {"Status": rng.choice(("COMPLETED", "COMPLETED", "REQUESTED"))}
    return {
        "ConversationalAnalytics": {
            "Configuration": configuration,
            "ContactAnalysisReferenceState": state,
        }
    }


def _chat_metrics(rng: random.Random, leg: Leg, connected: datetime, end: datetime) -> Record:
    sent, received = rng.randint(4, 30), rng.randint(4, 30)
    first = ms(connected + timedelta(seconds=rng.uniform(5, 60)))
    duration = int((end - connected) / timedelta(milliseconds=1))

    def participant(kind: str, participant_id: str, messages: int) -> Record:
        return {
            "ParticipantId": participant_id,
            "ParticipantType": kind,
            "ConversationAbandon": False,
            "MessagesSent": messages,
            "NumResponses": max(1, messages - 1),
            "MessageLengthInChars": messages * rng.randint(30, 90),
            "TotalResponseTimeInMillis": messages * rng.randint(8000, 40000),
            "MaxResponseTimeInMillis": rng.randint(40000, 120000),
            "LastMessageTimestamp": ms(end - timedelta(seconds=rng.uniform(1, 20))),
        }

    bots = rng.randint(1, 4)
    agent_id = leg.agent.id if leg.agent is not None else "agent"
    return {
        "ChatContactMetrics": {
            "MultiParty": False,
            "TotalMessages": sent + received + bots,
            "TotalBotMessages": bots,
            "TotalBotMessageLengthInChars": bots * 80,
            "ConversationCloseTimeInMillis": duration,
            "ConversationTurnCount": min(sent, received),
            "AgentFirstResponseTimestamp": first,
            "AgentFirstResponseTimeInMillis": int((first - connected) / timedelta(milliseconds=1)),
        },
        "AgentMetrics": participant("AGENT", agent_id, sent),
        "CustomerMetrics": participant("CUSTOMER", leg.caller.email, received),
    }


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


def _routing_criteria(rng: random.Random, enqueue: datetime) -> Record:
    language = {
        "AttributeCondition": {
            "Name": "Language",
            "Value": rng.choice(("Spanish", "French")),
            "ProficiencyLevel": 4.0,
            "ComparisonOperator": "NumberGreaterOrEqualTo",
        }
    }
    billing = {
        "Name": "Skill",
        "Value": "Billing",
        "ProficiencyLevel": 3.0,
        "ComparisonOperator": "NumberGreaterOrEqualTo",
    }
    retention = {
        "Name": "Skill",
        "Value": "Retention",
        "Range": {"MinProficiencyLevel": 2.0, "MaxProficiencyLevel": 5.0},
        "ComparisonOperator": "Range",
    }
    either = {"OrExpression": [{"AttributeCondition": billing}, {"AttributeCondition": retention}]}
    return {
        "Steps": [
            {
                "Expiry": {
                    "DurationInSeconds": 30,
                    "ExpiryTimestamp": ms(enqueue + timedelta(seconds=30)),
                },
                "Expression": {"AndExpression": [language]},
                "Status": "EXPIRED",
            },
            {"Expression": either, "Status": "JOINED"},
        ],
        "ActivationTimestamp": enqueue,
        "Index": 1,
    }
