"""The objects of the media bucket (`gateway.emulator.operations.storage`): what the emulator's S3
serves, derived from the dataset on demand.

- Every seeded call recording whose Status is AVAILABLE, at its Location: a short WAV
  (WAV_SECONDS of 8 kHz 16-bit mono: the two sides' tones in turn over faint noise,
  drawn from an RNG seeded with the key), so a browser's <audio> plays it.
- Every seeded chat transcript (Location, and UnprocessedTranscriptLocation) whose Status
  is AVAILABLE: the chat's messages in Connect's chat transcript format.
- Contact Lens' output files for each call and chat whose analysis COMPLETED, at
  Connect's documented layout under `connect/<instanceId>/Analysis`:
  `Voice/<yyyy>/<mm>/<dd>/<contactId>_analysis_<timestamp>.json` (the original, unless the
  policy is RedactedOnly), `Voice/Redacted/.../<contactId>_analysis_redacted_<timestamp>.json`
  and, for calls, `..._call_recording_redacted_<timestamp>.wav`; chats under `Chat/`. The
  date and timestamp are the agent's connection, as Connect's are.

Simplifications: recordings last a few seconds whatever the call's length; an analysis
file holds the members of Contact Lens' output format the emulator can derive (no
loudness on chats, no interruptions).
"""

from __future__ import annotations

import array
import hashlib
import io
import itertools
import json
import math
import random
import wave
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from gateway.emulator.operations.storage import MEDIA_BUCKET, analysis_prefix
from gateway.emulator.world.contacts import Record
from gateway.emulator.world.conversations import (
    Conversation,
    Turn,
    analysis_of,
    conversation_of,
    redaction_policy,
)
from gateway.emulator.world.dataset import DEMO_ACCOUNT_ID, Dataset, Instance

__all__ = ["WAV_RATE", "WAV_SECONDS", "S3Object", "bucket_objects"]

WAV_RATE = 8000
WAV_SECONDS = 3
_SCORES = {"POSITIVE": 3.5, "NEUTRAL": 0.0, "NEGATIVE": -3.0}


@dataclass(frozen=True)
class S3Object:
    """One object: its key, type, time, size and a way to make its bytes."""

    key: str
    content_type: str
    last_modified: datetime
    size: int
    render: Callable[[], bytes]

    @property
    def etag(self) -> str:
        """Like a KMS-encrypted object's ETag: not an MD5 of its bytes, but stable."""
        return '"' + hashlib.md5(f"{self.key}:{self.size}".encode()).hexdigest() + '"'


def bucket_objects(dataset: Dataset) -> dict[str, dict[str, S3Object]]:
    """The objects by key, by bucket."""
    objects: dict[str, S3Object] = {}
    for instance, record in dataset.contacts():
        for item in _contact_objects(instance, record):
            objects[item.key] = item
    return {MEDIA_BUCKET: dict(sorted(objects.items()))}


def _contact_objects(instance: Instance, record: Record) -> Iterator[S3Object]:
    for recording in record.get("Recordings", ()):
        if recording.get("StorageType") != "S3" or recording.get("Status") != "AVAILABLE":
            continue
        bucket, _, key = str(recording["Location"]).partition("/")
        if bucket != MEDIA_BUCKET:
            continue
        stopped: datetime = recording.get("StopTimestamp") or record["DisconnectTimestamp"]
        if key.endswith(".wav"):
            yield _wav(key, stopped + timedelta(seconds=5))
            continue
        conversation = conversation_of(instance, record, analysed=False)
        if conversation is None:
            continue
        document = _chat_transcript(instance, record, conversation)
        yield _json(key, stopped + timedelta(seconds=5), document)
        raw = recording.get("UnprocessedTranscriptLocation")
        if raw:
            yield _json(str(raw).partition("/")[2], stopped + timedelta(seconds=5), document)
    yield from _analysis_objects(instance, record)


def _analysis_objects(instance: Instance, record: Record) -> Iterator[S3Object]:
    analytics = analysis_of(record)
    conversation = conversation_of(instance, record)
    if analytics is None or conversation is None:
        return
    connected: datetime = record["AgentInfo"]["ConnectedToAgentTimestamp"]
    written = record["DisconnectTimestamp"] + timedelta(minutes=2)
    channel = "Voice" if record["Channel"] == "VOICE" else "Chat"
    day = connected.strftime("%Y/%m/%d")
    stamp = connected.strftime("%Y-%m-%dT%H:%M:%SZ")
    folder = f"{analysis_prefix(instance.id)}/{channel}"
    contact = record["Id"]
    policy = redaction_policy(record)
    if policy != "RedactedOnly":
        document = analysis_file(conversation, redacted=False, account=instance.account)
        yield _json(f"{folder}/{day}/{contact}_analysis_{stamp}.json", written, document)
    if policy != "None":
        document = analysis_file(conversation, redacted=True, account=instance.account)
        key = f"{folder}/Redacted/{day}/{contact}_analysis_redacted_{stamp}.json"
        yield _json(key, written, document)
        if channel == "Voice":
            key = f"{folder}/Redacted/{day}/{contact}_call_recording_redacted_{stamp}.wav"
            yield _wav(key, written)


def _wav(key: str, modified: datetime) -> S3Object:
    size = 44 + WAV_RATE * WAV_SECONDS * 2
    return S3Object(key, "audio/wav", modified, size, lambda: wav_bytes(key))


def _json(key: str, modified: datetime, document: Mapping[str, Any]) -> S3Object:
    body = json.dumps(document, separators=(",", ":")).encode()
    return S3Object(key, "application/json", modified, len(body), lambda: body)


@lru_cache(maxsize=32)
def wav_bytes(key: str) -> bytes:
    """A few seconds of two voices' tones in turn over noise, the same for the same key."""
    rng = random.Random(key)
    low, high = rng.uniform(180, 260), rng.uniform(300, 420)
    silent = "redacted" in key
    samples = array.array("h")
    for index in range(WAV_RATE * WAV_SECONDS):
        second = index / WAV_RATE
        turn = int(second * 2) % 2
        pitch = low if turn == 0 else high
        envelope = math.sin(math.pi * ((second * 2) % 1.0))
        tone = 0.0 if silent and 1.0 <= second < 1.5 else math.sin(2 * math.pi * pitch * second)
        value = 9000 * envelope * tone + rng.uniform(-300, 300)
        samples.append(int(max(-32768, min(32767, value))))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def analysis_file(
    conversation: Conversation, *, redacted: bool, account: str = DEMO_ACCOUNT_ID
) -> dict[str, Any]:
    """The conversation in Contact Lens' output file format."""
    voice = conversation.channel == "VOICE"
    turns = [turn for turn in conversation.turns if turn.role in ("AGENT", "CUSTOMER")]
    roles = {turn.participant_id: turn.role for turn in conversation.turns}
    issue = next((turn for turn in turns if turn.issue is not None), None)
    matched: dict[str, Any] = {}
    if issue is not None:
        point = {"BeginOffsetMillis": issue.begin_ms, "EndOffsetMillis": issue.end_ms}
        matched[conversation.category] = {"PointsOfInterest": [point]}
    characteristics: dict[str, Any] = {
        "ContactSummary": {"PostContactSummary": {"Content": conversation.summary}},
        "TotalConversationDurationMillis": conversation.duration_ms,
        "Sentiment": _sentiment(conversation, turns),
    }
    if voice:
        characteristics |= _talk(conversation, turns)
    metadata: dict[str, Any] = {"Output": "Redacted" if redacted else "Raw"}
    if redacted:
        metadata["RedactionTypes"] = ["PII"]
    return {
        "Version": "1.1.0",
        "AccountId": account,
        "Channel": conversation.channel,
        "ContentMetadata": metadata,
        "JobStatus": "COMPLETED",
        "LanguageCode": conversation.language,
        "Participants": [
            {"ParticipantId": participant, "ParticipantRole": role}
            for participant, role in roles.items()
        ],
        "Categories": {"MatchedCategories": list(matched), "MatchedDetails": matched},
        "ConversationCharacteristics": characteristics,
        "CustomModels": [],
        "Transcript": [_item(conversation, turn, redacted, voice) for turn in conversation.turns],
    }


def _item(conversation: Conversation, turn: Turn, redacted: bool, voice: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Id": turn.id,
        "ParticipantId": turn.participant_id,
        "Content": turn.content(redacted),
        "BeginOffsetMillis": turn.begin_ms,
        "EndOffsetMillis": turn.end_ms,
    }
    if turn.role in ("AGENT", "CUSTOMER"):
        item["Sentiment"] = turn.sentiment
    if voice:
        rng = random.Random(turn.id)
        item["LoudnessScore"] = [round(rng.uniform(60, 85), 2) for _ in range(3)]
    else:
        item["ParticipantRole"] = turn.role
        item["AbsoluteTime"] = _iso(turn.at)
    offsets = turn.issue_offsets(redacted)
    if offsets is not None:
        item["IssuesDetected"] = [{"CharacterOffsets": {"Begin": offsets[0], "End": offsets[1]}}]
    if redacted and turn.redactions:
        length = max(len(turn.redacted), 1)
        span = turn.end_ms - turn.begin_ms
        stamps = [
            {
                "BeginOffsetMillis": turn.begin_ms + span * begin // length,
                "EndOffsetMillis": turn.begin_ms + span * end // length,
            }
            for begin, end in turn.redactions
        ]
        item["Redaction"] = {"RedactedTimestamps": stamps}
    return item


def _sentiment(conversation: Conversation, turns: list[Turn]) -> dict[str, Any]:
    quarter = conversation.duration_ms / 4
    overall: dict[str, float] = {}
    periods: dict[str, list[dict[str, Any]]] = {}
    for role in ("AGENT", "CUSTOMER"):
        scores = [(turn.begin_ms, _SCORES[turn.sentiment]) for turn in turns if turn.role == role]
        overall[role] = round(sum(score for _, score in scores) / max(len(scores), 1), 1)
        periods[role] = []
        for index in range(4):
            begin, end = int(index * quarter), int((index + 1) * quarter)
            inside = [score for at, score in scores if begin <= at < end]
            mean = round(sum(inside) / len(inside), 1) if inside else 0.0
            periods[role].append(
                {"BeginOffsetMillis": begin, "EndOffsetMillis": end, "Score": mean}
            )
    return {"OverallSentiment": overall, "SentimentByPeriod": {"QUARTER": periods}}


def _talk(conversation: Conversation, turns: list[Turn]) -> dict[str, Any]:
    by_role: dict[str, dict[str, Any]] = {}
    speed: dict[str, dict[str, Any]] = {}
    for role in ("AGENT", "CUSTOMER"):
        mine = [turn for turn in turns if turn.role == role]
        millis = sum(turn.end_ms - turn.begin_ms for turn in mine)
        words = sum(len(turn.raw.split()) for turn in mine)
        by_role[role] = {"TotalTimeMillis": millis}
        speed[role] = {"AverageWordsPerMinute": round(words * 60000 / max(millis, 1))}
    talk = sum(item["TotalTimeMillis"] for item in by_role.values())
    gaps = [
        {"BeginOffsetMillis": before.end_ms, "EndOffsetMillis": after.begin_ms}
        for before, after in itertools.pairwise(turns)
        if after.begin_ms - before.end_ms >= 20000
    ]
    silence = sum(gap["EndOffsetMillis"] - gap["BeginOffsetMillis"] for gap in gaps)
    return {
        "Interruptions": {"InterruptionsByInterrupter": {}, "TotalCount": 0, "TotalTimeMillis": 0},
        "NonTalkTime": {"TotalTimeMillis": silence, "Instances": gaps},
        "TalkSpeed": {"DetailsByParticipant": speed},
        "TalkTime": {"TotalTimeMillis": talk, "DetailsByParticipant": by_role},
    }


def _chat_transcript(
    instance: Instance, record: Record, conversation: Conversation
) -> dict[str, Any]:
    """A chat in Connect's chat transcript format (the original, never redacted)."""
    participants = {turn.participant_id for turn in conversation.turns}
    return {
        "Version": "2019-08-26",
        "AWSAccountId": instance.account,
        "InstanceId": instance.id,
        "InitialContactId": record.get("InitialContactId", record["Id"]),
        "ContactId": record["Id"],
        "Participants": [{"ParticipantId": participant} for participant in sorted(participants)],
        "Transcript": [
            {
                "AbsoluteTime": _iso(turn.at),
                "Content": turn.raw,
                "ContentType": "text/plain",
                "Id": turn.id,
                "Type": "MESSAGE",
                "ParticipantId": turn.participant_id,
                "DisplayName": turn.display_name,
                "ParticipantRole": turn.role,
            }
            for turn in conversation.turns
        ],
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
