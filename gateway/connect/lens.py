"""Contact Lens' formats, read into the gateway's one transcript record (its shape:
gateway/data/quality.py): the real-time segments of chats (Connect's
ListRealtimeContactAnalysisSegmentsV2), of calls (connect-contact-lens'
ListRealtimeContactAnalysisSegments), and the post-contact analysis output file in S3."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gateway.core.records import Record

__all__ = ["from_file", "from_v2", "from_voice"]


def _segment(item: Mapping[str, Any], **extra: Any) -> Record:
    return {
        "Id": item.get("Id"),
        "ParticipantId": item.get("ParticipantId"),
        "ParticipantRole": item.get("ParticipantRole"),
        "DisplayName": item.get("DisplayName"),
        "Content": item.get("Content"),
        "BeginOffsetMillis": item.get("BeginOffsetMillis"),
        "EndOffsetMillis": item.get("EndOffsetMillis"),
        "AbsoluteTime": None,
        "Sentiment": item.get("Sentiment"),
        "IssuesDetected": [],
    } | extra


def from_v2(answer: Mapping[str, Any], redacted: bool, ended: bool) -> Record | None:
    """A chat's V2 segments: messages carry an absolute time, offsets are counted from
    the first message; issues and categories name the message they were found in."""
    segments: list[Record] = []
    by_id: dict[str, Record] = {}
    categories: dict[str, Record] = {}
    summary = None
    first: datetime | None = None
    for segment in answer.get("Segments", []):
        if "Transcript" in segment:
            item = segment["Transcript"]
            at = (item.get("Time") or {}).get("AbsoluteTime")
            moment = datetime.fromisoformat(at) if at else None
            if first is None and moment is not None:
                first = moment
            offset = (
                None
                if moment is None or first is None
                else int((moment - first).total_seconds() * 1000)
            )
            record = _segment(item, BeginOffsetMillis=offset, AbsoluteTime=at)
            segments.append(record)
            by_id[str(item.get("Id"))] = record
        elif "Issues" in segment:
            for issue in segment["Issues"].get("IssuesDetected", []):
                for found in issue.get("TranscriptItems", []):
                    target = by_id.get(str(found.get("Id")))
                    if target is not None:
                        target["IssuesDetected"].append(_chars(found.get("CharacterOffsets")))
        elif "Categories" in segment:
            for name, details in (segment["Categories"].get("MatchedDetails") or {}).items():
                entry = categories.setdefault(
                    name, {"Name": name, "RuleId": details.get("RuleId"), "PointsOfInterest": []}
                )
                for point in details.get("PointsOfInterest", []):
                    for found in point.get("TranscriptItems", []):
                        target = by_id.get(str(found.get("Id")))
                        begin = None if target is None else target["BeginOffsetMillis"]
                        entry["PointsOfInterest"].append(
                            {"BeginOffsetMillis": begin, "EndOffsetMillis": begin}
                        )
        elif "PostContactSummary" in segment:
            summary = segment["PostContactSummary"].get("Content") or summary
    status = str(answer.get("Status") or "IN_PROGRESS")
    if not segments and status != "COMPLETED":
        return None  # requested, or failed: nothing analysed (yet)
    return {
        "Source": "REALTIME_CHAT",
        "Status": status,
        "Redacted": redacted,
        "Finished": status in ("COMPLETED", "FAILED") and ended,
        "Segments": segments,
        "Categories": list(categories.values()),
        "Summary": summary,
    }


def from_voice(found: list[Record], redacted: bool, ended: bool) -> Record:
    segments: list[Record] = []
    categories: dict[str, Record] = {}
    summary = None
    for segment in found:
        if "Transcript" in segment:
            item = segment["Transcript"]
            issues = [_chars(i.get("CharacterOffsets")) for i in item.get("IssuesDetected", [])]
            segments.append(_segment(item, IssuesDetected=issues))
        elif "Categories" in segment:
            _categories(categories, segment["Categories"].get("MatchedDetails") or {})
        elif "PostContactSummary" in segment:
            summary = segment["PostContactSummary"].get("Content") or summary
    return {
        "Source": "REALTIME_VOICE",
        "Status": "COMPLETED" if ended else "IN_PROGRESS",
        "Redacted": redacted,
        "Finished": ended,
        "Segments": segments,
        "Categories": list(categories.values()),
        "Summary": summary,
    }


def from_file(document: Mapping[str, Any], redacted: bool) -> Record:
    roles = {
        p.get("ParticipantId"): p.get("ParticipantRole") for p in document.get("Participants", [])
    }
    segments = []
    for item in document.get("Transcript", []):
        issues = []
        for issue in item.get("IssuesDetected", []):
            offsets = issue.get("CharacterOffsets") or {}
            issues.append(
                {"BeginOffsetChar": offsets.get("Begin"), "EndOffsetChar": offsets.get("End")}
            )
        role = item.get("ParticipantRole") or roles.get(item.get("ParticipantId"))
        segments.append(
            _segment(
                item,
                ParticipantRole=role,
                AbsoluteTime=item.get("AbsoluteTime"),
                IssuesDetected=issues,
            )
        )
    categories: dict[str, Record] = {}
    _categories(categories, (document.get("Categories") or {}).get("MatchedDetails") or {})
    characteristics = document.get("ConversationCharacteristics") or {}
    summary = ((characteristics.get("ContactSummary") or {}).get("PostContactSummary") or {}).get(
        "Content"
    )
    return {
        "Source": "ANALYSIS_FILE",
        "Status": str(document.get("JobStatus") or "COMPLETED"),
        "Redacted": redacted,
        "Finished": True,
        "Segments": segments,
        "Categories": list(categories.values()),
        "Summary": summary,
    }


def _categories(into: dict[str, Record], matched: Mapping[str, Any]) -> None:
    for name, details in matched.items():
        entry = into.setdefault(
            name, {"Name": name, "RuleId": details.get("RuleId"), "PointsOfInterest": []}
        )
        for point in details.get("PointsOfInterest", []):
            entry["PointsOfInterest"].append(
                {
                    "BeginOffsetMillis": point.get("BeginOffsetMillis"),
                    "EndOffsetMillis": point.get("EndOffsetMillis"),
                }
            )


def _chars(offsets: Mapping[str, Any] | None) -> Record:
    offsets = offsets or {}
    return {
        "BeginOffsetChar": offsets.get("BeginOffsetChar"),
        "EndOffsetChar": offsets.get("EndOffsetChar"),
    }
