"""Quality data as the store caches it: a contact's Contact Lens transcript (from whichever
source has it) and its evaluations, fetched through the Connect client and made into plain
records that say the same whatever the source (Contact Lens' formats are read in
gateway/connect/lens.py).

Where a transcript comes from (`fetch_transcript`), given the contact's own record:
- no Contact Lens analysis on the contact: none, and no call;
- a chat: Connect's ListRealtimeContactAnalysisSegmentsV2 (OutputType Redacted or Raw);
- a call analysed in real time: connect-contact-lens' ListRealtimeContactAnalysisSegments,
  while Contact Lens keeps it (24 hours), and only where its output is the one asked for
  (it answers the redacted transcript when the policy keeps only that, else the original);
- otherwise, once the analysis COMPLETED: Contact Lens' output file in the call-recordings
  bucket (ListInstanceStorageConfigs CALL_RECORDINGS names it), the Redacted copy for a
  redacted transcript: `<instance folder>/Analysis/Voice|Chat/[Redacted/]<yyyy>/<mm>/<dd>/
  <contactId>_analysis[_redacted]_<timestamp>.json` (the date is the agent's connection).
A redacted transcript is only ever a redacted output: a contact without redaction has none.

The normalized transcript record:
    {"Source": "REALTIME_CHAT" | "REALTIME_VOICE" | "ANALYSIS_FILE",
     "Status": "COMPLETED" | "IN_PROGRESS" | "FAILED", "Redacted": bool, "Finished": bool,
     "Segments": [{"Id", "ParticipantId", "ParticipantRole", "DisplayName", "Content",
                   "BeginOffsetMillis", "EndOffsetMillis", "AbsoluteTime", "Sentiment",
                   "IssuesDetected": [{"BeginOffsetChar", "EndOffsetChar"}]}],
     "Categories": [{"Name", "RuleId", "PointsOfInterest": [{"BeginOffsetMillis",
                     "EndOffsetMillis"}]}],
     "Summary": str | None}
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.connect import ConnectClient
from gateway.connect.lens import from_file, from_v2, from_voice
from gateway.core.errors import NotFound
from gateway.core.records import Record
from gateway.core.settings import Settings

__all__ = [
    "CALL_RECORDINGS",
    "REALTIME_SEGMENT_TYPES",
    "TranscriptHint",
    "analysis_of",
    "evaluation_ttl",
    "evaluations_ttl",
    "fetch_evaluation",
    "fetch_transcript",
    "recordings_location",
    "transcript_ttl",
]


CALL_RECORDINGS = "CALL_RECORDINGS"
REALTIME_SEGMENT_TYPES = ["Transcript", "Categories", "Issues", "PostContactSummary"]


@dataclass(frozen=True)
class TranscriptHint:
    """What a transcript's fetch needs besides the client: the contact's record, and the
    instance's call-recordings storage configs (through the store, cached)."""

    contact: Mapping[str, Any] | None
    storage: Callable[[], Awaitable[list[Record] | None]]
    redacted: bool


def analysis_of(contact: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The contact's Contact Lens conversational analytics, if it has any."""
    found = (contact.get("ContactLens") or {}).get("ConversationalAnalytics")
    return found if isinstance(found, dict) else None


def _policy(analytics: Mapping[str, Any]) -> str:
    """RedactedOnly, RedactedAndOriginal, or None (redaction off)."""
    redaction = (analytics.get("Configuration") or {}).get("RedactionConfiguration") or {}
    if redaction.get("Behavior") != "Enable":
        return "None"
    return str(redaction.get("Policy") or "RedactedAndOriginal")


async def fetch_transcript(
    connect: ConnectClient, instance_id: str, contact_id: str, hint: TranscriptHint
) -> Record | None:
    contact = hint.contact
    if contact is None:
        return None
    analytics = analysis_of(contact)
    if analytics is None:
        return None  # no Contact Lens on this contact: nothing to ask
    policy = _policy(analytics)
    if (hint.redacted and policy == "None") or (not hint.redacted and policy == "RedactedOnly"):
        return None  # Contact Lens keeps no such output for this contact
    configuration = analytics.get("Configuration") or {}
    modes = (configuration.get("ChannelConfiguration") or {}).get("AnalyticsModes") or ()
    channel = contact.get("Channel")
    ended = bool(contact.get("DisconnectTimestamp"))
    if channel == "CHAT":
        try:
            answer = await connect.list_realtime_contact_analysis_segments_v2(
                instance_id,
                contact_id,
                "Redacted" if hint.redacted else "Raw",
                REALTIME_SEGMENT_TYPES,
            )
        except NotFound:
            pass
        else:
            return from_v2(answer, hint.redacted, ended)
    elif channel == "VOICE" and "RealTime" in modes and hint.redacted == (policy == "RedactedOnly"):
        try:
            segments = await connect.list_realtime_contact_analysis_segments(
                instance_id, contact_id
            )
        except NotFound:
            pass  # past its 24 hours: the output file has it
        else:
            return from_voice(segments, hint.redacted, ended)
    state = analytics.get("ContactAnalysisReferenceState") or {}
    connected = (contact.get("AgentInfo") or {}).get("ConnectedToAgentTimestamp")
    if state.get("Status") != "COMPLETED" or channel not in ("VOICE", "CHAT") or not connected:
        return None  # not analysed (yet): no file to read
    location = recordings_location(await hint.storage())
    if location is None:
        return None
    bucket, prefix = location
    folder = prefix.rpartition("/")[0] if "/" in prefix else ""
    day = datetime.fromisoformat(str(connected)).strftime("%Y/%m/%d")
    kind = "Voice" if channel == "VOICE" else "Chat"
    redacted = "Redacted/" if hint.redacted else ""
    name = "_analysis_redacted_" if hint.redacted else "_analysis_"
    start = f"{folder}/" if folder else ""
    search = f"{start}Analysis/{kind}/{redacted}{day}/{contact_id}{name}"
    keys = [
        key
        for key in await connect.list_object_keys(instance_id, bucket, search)
        if key.endswith(".json")
    ]
    if not keys:
        return None
    try:
        body = await connect.get_object_bytes(instance_id, bucket, max(keys))
    except NotFound:
        return None  # deleted since it was listed
    return from_file(json.loads(body), hint.redacted)


def recordings_location(configs: list[Record] | None) -> tuple[str, str] | None:
    """(bucket, prefix) of the first S3 storage config, if any."""
    for config in configs or ():
        s3 = config.get("S3Config") or {}
        if config.get("StorageType") == "S3" and s3.get("BucketName"):
            return str(s3["BucketName"]), str(s3.get("BucketPrefix") or "").strip("/")
    return None


def transcript_ttl(settings: Settings, record: Any) -> float:
    """Finished (the contact ended, the analysis done): long; still running: short."""
    if record.get("Finished"):
        return settings.ttl_quality_seconds
    return settings.ttl_quality_running_seconds


def evaluations_ttl(settings: Settings, summaries: Any) -> float:
    """Every evaluation submitted: long; a draft among them: short; none yet: as contact
    data (one may be started any time)."""
    if not summaries:
        return settings.ttl_contact_data_seconds
    if all(summary.get("Status") == "SUBMITTED" for summary in summaries):
        return settings.ttl_quality_seconds
    return settings.ttl_quality_running_seconds


def evaluation_ttl(settings: Settings, record: Any) -> float:
    status = (record.get("Evaluation") or {}).get("Status")
    if status == "SUBMITTED":
        return settings.ttl_quality_seconds
    return settings.ttl_quality_running_seconds


async def fetch_evaluation(connect: ConnectClient, instance_id: str, entity_id: str) -> Record:
    """DescribeContactEvaluation; the entity ID is `<evaluationId>@<version>` (the version:
    the summary's LastModifiedTime, so that a changed evaluation is a new entry)."""
    evaluation_id = entity_id.partition("@")[0]
    return await connect.read(
        "DescribeContactEvaluation", "evaluation", instance_id, None, EvaluationId=evaluation_id
    )
