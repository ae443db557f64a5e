"""Contact Lens' analysis segments: ListRealtimeContactAnalysisSegmentsV2 (Connect, chats)
and ListRealtimeContactAnalysisSegments (the connect-contact-lens service, calls), over
each contact's conversation (`gateway.emulator.world.conversations`).

Which contacts answer, as Connect would:
- V2 takes chats only (a call answers 400 InvalidRequestException); a chat without Contact
  Lens analysis answers 404 ResourceNotFoundException; Raw output of a RedactedOnly
  contact (or Redacted output of one without redaction) answers 404
  OutputTypeNotFoundException. An analysis REQUESTED answers Status IN_PROGRESS, a FAILED
  one Status FAILED, both without segments.
- The voice API takes calls analysed in real time (AnalyticsModes RealTime) whose
  analysis data is not past its 24 hours of retention (from the disconnect); any other
  contact answers 404 ResourceNotFoundException. Its transcript is redacted when the
  contact's policy is RedactedOnly, else original.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from gateway.core.records import Record
from gateway.emulator.operations.lookups import contact_of, instance_of
from gateway.emulator.operations.paging import page
from gateway.emulator.protocol.errors import ConnectError
from gateway.emulator.protocol.state import EmulatorState
from gateway.emulator.world.conversations import (
    Conversation,
    Turn,
    analysis_of,
    conversation_of,
    redaction_policy,
)

__all__ = ["REALTIME_RETENTION", "list_segments_v2", "list_voice_segments"]


REALTIME_RETENTION = timedelta(hours=24)
"""How long Contact Lens keeps a call's real-time analysis."""

_PAGE_SIZE = 100
_V2_STATUS = {"COMPLETED": "COMPLETED", "REQUESTED": "IN_PROGRESS", "FAILED": "FAILED"}
_JOINED = "application/vnd.amazonaws.connect.event.participant.joined"
_LEFT = "application/vnd.amazonaws.connect.event.participant.left"


def list_segments_v2(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    """A chat's real-time analysis segments of the requested types, in time order."""
    instance = instance_of(state.dataset, params)
    record = contact_of(instance, params["ContactId"])
    if record["Channel"] != "CHAT":
        raise ConnectError(
            "InvalidRequestException",
            f"Channel {record['Channel']} is not supported by this API; only CHAT is.",
        )
    analytics = analysis_of(record)
    if analytics is None:
        raise ConnectError("ResourceNotFoundException", "Contact Lens analysis not found")
    redacted = params["OutputType"] == "Redacted"
    _check_output(record, redacted)
    status = _V2_STATUS.get(analytics.get("ContactAnalysisReferenceState", {}).get("Status", ""))
    conversation = conversation_of(instance, record)
    types = set(params["SegmentTypes"])
    segments = [] if conversation is None else _v2_segments(conversation, types, redacted)
    query = {
        "InstanceId": instance.id,
        "ContactId": record["Id"],
        "OutputType": params["OutputType"],
        "SegmentTypes": sorted(types),
    }
    size = params.get("MaxResults") or _PAGE_SIZE
    items, token = page(segments, size, params.get("NextToken"), query)
    return {
        "Channel": "CHAT",
        "Status": status or "IN_PROGRESS",
        "Segments": items,
        "NextToken": token,
    }


def list_voice_segments(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    """A call's real-time analysis segments: transcript turns, categories as they match,
    and the post-contact summary."""
    instance = instance_of(state.dataset, params)
    record = contact_of(instance, params["ContactId"])
    analytics = analysis_of(record)
    modes = (analytics or {}).get("Configuration", {}).get("ChannelConfiguration", {})
    ended = record.get("DisconnectTimestamp")
    if (
        record["Channel"] != "VOICE"
        or "RealTime" not in modes.get("AnalyticsModes", ())
        or (ended is not None and state.clock.now() - ended > REALTIME_RETENTION)
    ):
        raise ConnectError("ResourceNotFoundException", "Real-time analysis not found")
    conversation = conversation_of(instance, record)
    redacted = redaction_policy(record) == "RedactedOnly"
    segments = [] if conversation is None else _voice_segments(conversation, redacted)
    query = {"InstanceId": instance.id, "ContactId": record["Id"]}
    size = params.get("MaxResults") or _PAGE_SIZE
    items, token = page(segments, size, params.get("NextToken"), query)
    return {"Segments": items, "NextToken": token}


def _check_output(record: Mapping[str, Any], redacted: bool) -> None:
    policy = redaction_policy(record)
    if (redacted and policy == "None") or (not redacted and policy == "RedactedOnly"):
        kind = "Redacted" if redacted else "Raw"
        raise ConnectError(
            "OutputTypeNotFoundException", f"Output type {kind} is not enabled for this contact"
        )


def _v2_segments(conversation: Conversation, types: set[str], redacted: bool) -> list[Record]:
    timed: list[tuple[int, int, Record]] = []
    talk = [turn for turn in conversation.turns if turn.role in ("AGENT", "CUSTOMER")]
    for turn in conversation.turns:
        if "Transcript" in types:
            timed.append((turn.begin_ms, 1, {"Transcript": _v2_transcript(turn, redacted)}))
        offsets = turn.issue_offsets(redacted)
        if offsets is not None and "Issues" in types:
            content = turn.content(redacted)[offsets[0] : offsets[1]]
            issue = {"Id": turn.id, "Content": content, "CharacterOffsets": _chars(offsets)}
            segment: Record = {"Issues": {"IssuesDetected": [{"TranscriptItems": [issue]}]}}
            timed.append((turn.begin_ms, 2, segment))
        if offsets is not None and "Categories" in types:
            point = {"TranscriptItems": [{"Id": turn.id, "CharacterOffsets": _chars(offsets)}]}
            details = {"RuleId": conversation.rule_id, "PointsOfInterest": [point]}
            segment = {"Categories": {"MatchedDetails": {conversation.category: details}}}
            timed.append((turn.begin_ms, 3, segment))
    if "Event" in types and talk:
        first_agent = next(turn for turn in talk if turn.role == "AGENT")
        last = conversation.turns[-1]
        timed.append((first_agent.begin_ms, 0, _event(conversation, first_agent, _JOINED, 0)))
        timed.append((last.end_ms, 4, _event(conversation, last, _LEFT, last.end_ms)))
    if "PostContactSummary" in types:
        summary = {"Status": "COMPLETED", "Content": conversation.summary}
        timed.append((conversation.duration_ms, 5, {"PostContactSummary": summary}))
    return [segment for _, _, segment in sorted(timed, key=lambda item: item[:2])]


def _v2_transcript(turn: Turn, redacted: bool) -> Record:
    item: Record = {
        "Id": turn.id,
        "ParticipantId": turn.participant_id,
        "ParticipantRole": turn.role,
        "DisplayName": turn.display_name,
        "Content": turn.content(redacted),
        "ContentType": "text/plain",
        "Time": {"AbsoluteTime": turn.at},
        "Sentiment": turn.sentiment if turn.role in ("AGENT", "CUSTOMER") else None,
    }
    if redacted and turn.redactions:
        item["Redaction"] = {"CharacterOffsets": [_chars(span) for span in turn.redactions]}
    return item


def _event(conversation: Conversation, turn: Turn, kind: str, at_ms: int) -> Record:
    moment = conversation.started + timedelta(milliseconds=at_ms or turn.begin_ms)
    return {
        "Event": {
            "Id": f"{turn.id}-{kind.rsplit('.', 1)[1]}",
            "ParticipantId": turn.participant_id,
            "ParticipantRole": turn.role,
            "DisplayName": turn.display_name,
            "EventType": kind,
            "Time": {"AbsoluteTime": moment},
        }
    }


def _voice_segments(conversation: Conversation, redacted: bool) -> list[Record]:
    segments: list[Record] = []
    for turn in conversation.turns:
        offsets = turn.issue_offsets(redacted)
        transcript: Record = {
            "Id": turn.id,
            "ParticipantId": turn.participant_id,
            "ParticipantRole": turn.role,
            "Content": turn.content(redacted),
            "BeginOffsetMillis": turn.begin_ms,
            "EndOffsetMillis": turn.end_ms,
            "Sentiment": turn.sentiment,
            "LanguageCode": conversation.language,
        }
        if offsets is not None:
            transcript["IssuesDetected"] = [{"CharacterOffsets": _chars(offsets)}]
        segments.append({"Transcript": transcript})
        if offsets is not None:
            point = {"BeginOffsetMillis": turn.begin_ms, "EndOffsetMillis": turn.end_ms}
            details = {"RuleId": conversation.rule_id, "PointsOfInterest": [point]}
            categories = {
                "MatchedCategories": [conversation.category],
                "MatchedDetails": {conversation.category: details},
            }
            segments.append({"Categories": categories})
    summary = {"Status": "COMPLETED", "Content": conversation.summary}
    segments.append({"PostContactSummary": summary})
    return segments


def _chars(offsets: tuple[int, int]) -> dict[str, int]:
    return {"BeginOffsetChar": offsets[0], "EndOffsetChar": offsets[1]}
