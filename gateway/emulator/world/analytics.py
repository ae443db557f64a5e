"""What is recorded and measured about a demo contact: recordings and transcripts, audio
quality, chat metrics, Contact Lens analysis and evaluations."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gateway.core.records import Record
from gateway.emulator.world.timeline import Timeline, ms

if TYPE_CHECKING:
    from gateway.emulator.world.contacts import ContactFactory, Leg

__all__ = ["chat_metrics", "contact_lens", "evaluations", "quality_metrics", "recordings"]


def evaluations(rng: random.Random, factory: ContactFactory, end: datetime) -> Record:
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


def recordings(
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


def quality_metrics(rng: random.Random) -> Record:
    def audio() -> Record:
        score = round(rng.uniform(2.8, 4.9), 2)
        issues = ["HighPacketLoss", "HighRoundTripTime"] if score < 3.2 else []
        return {"QualityScore": score, "PotentialQualityIssues": issues}

    return {"Agent": {"Audio": audio()}, "Customer": {"Audio": audio()}}


def contact_lens(rng: random.Random, channel: str) -> Record:
    """Conversational analytics: post-contact (some also real-time) on calls, ContactLens on
    chats; both redacted and original transcripts are kept, or only the redacted one."""
    if channel == "CHAT":
        modes = ["ContactLens"]
    else:
        modes = rng.choice((["PostContact"], ["RealTime", "PostContact"]))
    configuration: Record = {
        "Enabled": True,
        "LanguageLocale": "en-US",
        "LanguageLocales": ["en-US", "es-US"],
        "ChannelConfiguration": {"AnalyticsModes": modes},
        "RedactionConfiguration": {
            "Behavior": "Enable",
            "Policy": rng.choice(("RedactedAndOriginal", "RedactedAndOriginal", "RedactedOnly")),
            "Entities": ["NAME", "CREDIT_DEBIT_NUMBER"],
            "MaskMode": rng.choice(("PII", "EntityType")),
        },
        "SummaryConfiguration": {"SummaryModes": ["PostContact"]},
        "SentimentConfiguration": {"Behavior": "Enable"},
    }
    state = {"Status": rng.choice(("COMPLETED", "COMPLETED", "COMPLETED", "REQUESTED", "FAILED"))}
    if state["Status"] == "FAILED":
        state["StatusReason"] = "The audio was too short to analyze."
    return {
        "ConversationalAnalytics": {
            "Configuration": configuration,
            "ContactAnalysisReferenceState": state,
        }
    }


def chat_metrics(rng: random.Random, leg: Leg, connected: datetime, end: datetime) -> Record:
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
