"""Quality data in the graph (issue 22): transcripts from each Contact Lens source,
evaluations, presigned recording URLs; scopes, audit, economy, partial failure. Real
gateways and real boto3 against the emulator (its Connect, Contact Lens and S3)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from gateway.data.events import ContactEvent
from gateway.emulator import DEMO_INSTANCE_ID
from gateway.emulator.operations.lens import REALTIME_RETENTION
from gateway.emulator.world.conversations import redaction_policy
from gateway.emulator.world.dataset import NOW, build_dataset
from gateway.http.auth.keys import new_key
from tests import web
from tests.support import Emulator, Gateway

DEMO = build_dataset().instances[DEMO_INSTANCE_ID]
QUALITY_OPERATIONS = (
    "ListRealtimeContactAnalysisSegmentsV2",
    "ListRealtimeContactAnalysisSegments",
    "ListContactEvaluations",
    "DescribeContactEvaluation",
    "ListInstanceStorageConfigs",
    "ListObjectsV2",
    "GetObject",
)

TRANSCRIPT = """query ($id: ID!, $redacted: Boolean) {
  contact(contactId: $id) {
    id
    transcript(redacted: $redacted) {
      source status redacted summary
      segments { id participantId participantRole content beginOffsetMillis endOffsetMillis
                 sentiment issuesDetected { beginOffsetChar endOffsetChar } }
      categories { name pointsOfInterest { beginOffsetMillis endOffsetMillis } }
    }
  }
}"""


def _status(record: dict[str, Any]) -> str | None:
    analytics = record.get("ContactLens", {}).get("ConversationalAnalytics", {})
    return analytics.get("ContactAnalysisReferenceState", {}).get("Status")  # type: ignore[no-any-return]


def _realtime(record: dict[str, Any]) -> bool:
    config = record["ContactLens"]["ConversationalAnalytics"]["Configuration"]
    return "RealTime" in config["ChannelConfiguration"]["AnalyticsModes"]


def _analysed(channel: str) -> list[dict[str, Any]]:
    return [
        r
        for r in DEMO.contacts.values()
        if r["Channel"] == channel and _status(r) == "COMPLETED" and r.get("DisconnectTimestamp")
    ]


def _recent(record: dict[str, Any]) -> bool:
    return bool(NOW - record["DisconnectTimestamp"] < REALTIME_RETENTION)


def _quality_calls(emulator: Emulator) -> dict[str, int]:
    calls = emulator.stats()["calls"]
    return {op: calls[op] for op in QUALITY_OPERATIONS if calls.get(op)}


def _keyed(start: Callable[..., Gateway], path: Path, scopes: list[str]) -> tuple[Gateway, str]:
    key, entry = new_key("quality", scopes)
    path.write_text(json.dumps({"keys": [entry]}))
    return start(auth="api-key", api_keys_file=path), key


def _post(gateway: Gateway, key: str, query: str, **variables: Any) -> dict[str, Any]:
    response = gateway.http.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"x-api-key": key}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


# --- Transcripts ------------------------------------------------------------------------------


def test_a_chat_transcript_comes_from_v2_once_then_from_the_cache(
    gateway: Gateway, emulator: Emulator
) -> None:
    chat = next(r for r in _analysed("CHAT") if redaction_policy(r) == "RedactedAndOriginal")
    emulator.reset()

    result = gateway.query(TRANSCRIPT, id=chat["Id"], redacted=True)

    assert "errors" not in result, result
    transcript = result["data"]["contact"]["transcript"]
    assert transcript["source"] == "REALTIME_CHAT"
    assert transcript["status"] == "COMPLETED"
    assert transcript["redacted"] is True
    assert transcript["summary"]
    roles = {s["participantRole"] for s in transcript["segments"]}
    assert {"AGENT", "CUSTOMER"} <= roles
    offsets = [s["beginOffsetMillis"] for s in transcript["segments"]]
    assert offsets == sorted(offsets)
    assert offsets[0] == 0
    assert any(s["issuesDetected"] for s in transcript["segments"])
    assert transcript["categories"]
    assert transcript["categories"][0]["name"]
    text = " ".join(s["content"] for s in transcript["segments"])
    assert "[PII]" in text or "[NAME]" in text or "[CREDIT_DEBIT_NUMBER]" in text
    assert _quality_calls(emulator) == {"ListRealtimeContactAnalysisSegmentsV2": 1}

    emulator.reset()
    again = gateway.query(TRANSCRIPT, id=chat["Id"], redacted=True)
    assert again["data"] == result["data"]
    assert _quality_calls(emulator) == {}

    raw = gateway.query(TRANSCRIPT, id=chat["Id"], redacted=False)
    segments = raw["data"]["contact"]["transcript"]["segments"]
    assert raw["data"]["contact"]["transcript"]["redacted"] is False
    assert not any("[PII]" in s["content"] or "[NAME]" in s["content"] for s in segments)


def test_a_call_analysed_in_real_time_comes_from_contact_lens(
    gateway: Gateway, emulator: Emulator
) -> None:
    call = next(
        r
        for r in _analysed("VOICE")
        if _realtime(r) and _recent(r) and redaction_policy(r) == "RedactedOnly"
    )
    emulator.reset()

    result = gateway.query(TRANSCRIPT, id=call["Id"], redacted=True)

    assert "errors" not in result, result
    transcript = result["data"]["contact"]["transcript"]
    assert transcript["source"] == "REALTIME_VOICE"
    assert all(s["endOffsetMillis"] > s["beginOffsetMillis"] for s in transcript["segments"])
    assert transcript["summary"]
    assert transcript["categories"][0]["pointsOfInterest"]
    assert _quality_calls(emulator) == {"ListRealtimeContactAnalysisSegments": 1}


def test_after_real_time_the_transcript_is_read_from_the_output_file(
    gateway: Gateway, emulator: Emulator
) -> None:
    # A call past Contact Lens' 24 hours of real-time data, and one analysed after the call
    # only: both from the post-contact file in S3, the Redacted copy when redacted.
    old = next(r for r in _analysed("VOICE") if _realtime(r) and not _recent(r))
    post = next(r for r in _analysed("VOICE") if not _realtime(r) and redaction_policy(r) != "None")
    emulator.reset()

    for record in (old, post):
        policy = redaction_policy(record)
        redacted = policy != "None"
        result = gateway.query(TRANSCRIPT, id=record["Id"], redacted=redacted)
        assert "errors" not in result, result
        transcript = result["data"]["contact"]["transcript"]
        assert transcript["source"] == "ANALYSIS_FILE", record["Id"]
        assert transcript["redacted"] is redacted
        assert transcript["segments"]
        assert transcript["summary"]
        assert {"AGENT", "CUSTOMER"} <= {s["participantRole"] for s in transcript["segments"]}

    calls = _quality_calls(emulator)
    assert calls["ListInstanceStorageConfigs"] == 1  # one per instance, cached
    assert calls["ListObjectsV2"] == 2
    assert calls["GetObject"] == 2
    assert calls.get("ListRealtimeContactAnalysisSegments", 0) <= 1  # the old one's 404


def test_no_contact_lens_no_transcript_no_error_no_call(
    gateway: Gateway, emulator: Emulator
) -> None:
    plain = next(
        r for r in DEMO.contacts.values() if r["Channel"] == "VOICE" and _status(r) is None
    )
    redactionless = next((r for r in _analysed("CHAT") if redaction_policy(r) == "None"), None)
    emulator.reset()

    result = gateway.query(TRANSCRIPT, id=plain["Id"], redacted=True)

    assert "errors" not in result
    assert result["data"]["contact"] == {"id": plain["Id"], "transcript": None}
    assert _quality_calls(emulator) == {}
    if redactionless is not None:  # no redacted output exists: null, not the original
        answer = gateway.query(TRANSCRIPT, id=redactionless["Id"], redacted=True)
        assert answer["data"]["contact"]["transcript"] is None


def test_the_original_transcript_needs_contacts_pii_before_any_call(
    start_gateway: Callable[..., Gateway], emulator: Emulator, tmp_path: Path
) -> None:
    chat = next(r for r in _analysed("CHAT") if redaction_policy(r) == "RedactedAndOriginal")
    gateway, key = _keyed(start_gateway, tmp_path / "keys.json", ["contacts:read", "instance:*"])
    query = """query ($id: ID!) { contact(contactId: $id) {
        id raw: transcript(redacted: false) { source }
        red: transcript { source } } }"""
    emulator.reset()

    answer = _post(gateway, key, query, id=chat["Id"])

    assert answer["data"]["contact"]["id"] == chat["Id"]
    assert answer["data"]["contact"]["raw"] is None
    assert answer["data"]["contact"]["red"] == {"source": "REALTIME_CHAT"}
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["contact", "raw"]
    # One V2 call: the redacted one; the refused original was never asked for.
    assert _quality_calls(emulator) == {"ListRealtimeContactAnalysisSegmentsV2": 1}


def test_display_names_are_personal_even_in_a_redacted_transcript(
    start_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    """A chat's display names are the agent's name and what the customer typed: redaction
    masks the content only, so without contacts:pii each displayName is refused (its
    segment's other fields stay); with it, they are read."""
    chat = _analysed("CHAT")[0]
    query = """query ($id: ID!) { contact(contactId: $id) {
        transcript { segments { participantRole displayName content } } } }"""
    reader, key = _keyed(start_gateway, tmp_path / "read.json", ["contacts:read", "instance:*"])
    answer = _post(reader, key, query, id=chat["Id"])
    segments = answer["data"]["contact"]["transcript"]["segments"]
    assert segments
    assert all(s["displayName"] is None and s["content"] for s in segments)
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}
    assert len(answer["errors"]) == len(segments)

    scopes = ["contacts:read", "contacts:pii", "instance:*"]
    trusted, key = _keyed(start_gateway, tmp_path / "pii.json", scopes)
    answer = _post(trusted, key, query, id=chat["Id"])
    assert "errors" not in answer
    names = {s["displayName"] for s in answer["data"]["contact"]["transcript"]["segments"]}
    assert "Customer" in names


def test_a_failing_transcript_does_not_fail_its_siblings(
    gateway: Gateway, emulator: Emulator
) -> None:
    chat = next(r for r in _analysed("CHAT") if r.get("ContactEvaluations"))
    emulator.fault(
        operation="ListRealtimeContactAnalysisSegmentsV2", error="InternalServiceException"
    )
    query = """query ($id: ID!) { contact(contactId: $id) {
        id transcript { source } evaluations { status } } }"""

    result = gateway.query(query, id=chat["Id"])

    contact = result["data"]["contact"]
    assert contact["id"] == chat["Id"]
    assert contact["transcript"] is None
    assert contact["evaluations"]
    [error] = result["errors"]
    assert error["path"] == ["contact", "transcript"]
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"


# --- Evaluations ------------------------------------------------------------------------------

EVALUATIONS = """query ($id: ID!) { contact(contactId: $id) {
  evaluations { id status formId formTitle evaluatorArn createdTime
                score { percentage automaticFail notApplicable } } } }"""


def _evaluated() -> dict[str, Any]:
    return max(
        (r for r in DEMO.contacts.values() if r.get("ContactEvaluations")),
        key=lambda r: len(r["ContactEvaluations"]),
    )


def test_evaluations_are_listed_once_and_described_only_when_asked(
    gateway: Gateway, emulator: Emulator
) -> None:
    record = _evaluated()
    live = {k for k, v in record["ContactEvaluations"].items() if v["Status"] != "DELETED"}
    emulator.reset()

    listed = gateway.query(EVALUATIONS, id=record["Id"])

    assert "errors" not in listed, listed
    evaluations = listed["data"]["contact"]["evaluations"]
    assert {e["id"] for e in evaluations} == live
    assert {e["status"] for e in evaluations} <= {"COMPLETE", "IN_PROGRESS"}
    assert all(e["formTitle"] for e in evaluations)
    submitted = [e for e in evaluations if e["status"] == "COMPLETE"]
    assert submitted
    assert all(0 <= e["score"]["percentage"] <= 100 for e in submitted)
    calls = _quality_calls(emulator)
    assert calls.get("DescribeContactEvaluation", 0) == 0
    assert calls["ListContactEvaluations"] == -(-len(live) // 2)  # every page, 2 a page

    emulator.reset()
    detailed = gateway.query(
        """query ($id: ID!) { contact(contactId: $id) { evaluations {
             id answers { questionRefId question stringValue numericValue option
                          score { percentage } }
             notes { refId value }
             form { title sections { refId title weight score { percentage }
                    questions { refId title questionType options { text score } } } } } } }""",
        id=record["Id"],
    )
    assert "errors" not in detailed, detailed
    found = detailed["data"]["contact"]["evaluations"]
    assert all(e["form"]["title"] and e["form"]["sections"] for e in found)
    answered = [a for e in found for a in e["answers"]]
    assert answered
    assert all(a["question"] for a in answered)
    questions = {q["refId"] for e in found for s in e["form"]["sections"] for q in s["questions"]}
    assert {a["questionRefId"] for a in answered} <= questions
    # The list is cached; one DescribeContactEvaluation per evaluation, however many of
    # answers, notes and form are asked.
    assert _quality_calls(emulator) == {"DescribeContactEvaluation": len(live)}


def test_contact_evaluations_entries_load_their_detail(gateway: Gateway) -> None:
    record = _evaluated()
    query = """query ($id: ID!) { contact(contactId: $id) {
        contactEvaluations { key value { id status formTitle score { percentage } } } } }"""

    result = gateway.query(query, id=record["Id"])

    assert "errors" not in result, result
    entries = result["data"]["contact"]["contactEvaluations"]
    live = [e for e in entries if e["value"]["status"] != "DELETED"]
    assert live
    assert all(e["value"]["id"] == e["key"] for e in live)
    assert all(e["value"]["formTitle"] for e in live)


# --- Recordings -------------------------------------------------------------------------------

RECORDING = """query ($id: ID!, $s: Int) { contact(contactId: $id) {
  id recordingUrl(expiresInSeconds: $s)
  recordings { location url(expiresInSeconds: $s) } } }"""


def _recorded() -> dict[str, Any]:
    return next(
        r
        for r in DEMO.contacts.values()
        if r["Channel"] == "VOICE"
        and any(x.get("Status") == "AVAILABLE" for x in r.get("Recordings", ()))
    )


def test_recording_urls_are_presigned_playable_and_audited(
    start_gateway: Callable[..., Gateway],
    emulator: Emulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = _recorded()
    scopes = ["contacts:read", "contacts:pii", "contacts:recordings", "instance:*"]
    gateway, key = _keyed(start_gateway, tmp_path / "keys.json", scopes)
    emulator.reset()

    with caplog.at_level(logging.INFO, logger="gateway.audit"):
        answer = _post(gateway, key, RECORDING, id=record["Id"], s=120)

    assert "errors" not in answer, answer
    contact = answer["data"]["contact"]
    url = contact["recordingUrl"]
    assert urlparse(url).path == urlparse(contact["recordings"][0]["url"]).path
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["120"]
    assert urlparse(url).path.startswith("/_s3/")
    played = web.get(url)
    assert played.status_code == 200
    assert played.headers["content-type"] == "audio/wav"
    assert _quality_calls(emulator) == {"GetObject": 1}  # the play above, not the gateway
    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.audit"]
    assert any(f"recordings={record['Id']}" in line for line in lines), lines

    again = gateway.http.post(
        "/graphql",
        json={"query": RECORDING, "variables": {"id": record["Id"], "s": 120}},
        headers={"x-api-key": key},
    )
    assert again.headers.get("x-cache") != "hit"  # a URL response is never replayed
    too_long = _post(gateway, key, RECORDING, id=record["Id"], s=3601)
    assert too_long["data"]["contact"]["recordingUrl"] is None
    codes = {e["extensions"]["code"] for e in too_long["errors"]}
    assert codes == {"BAD_USER_INPUT"}


def test_recording_urls_need_contacts_recordings(
    start_gateway: Callable[..., Gateway], emulator: Emulator, tmp_path: Path
) -> None:
    record = _recorded()
    gateway, key = _keyed(
        start_gateway, tmp_path / "keys.json", ["contacts:read", "contacts:pii", "instance:*"]
    )

    answer = _post(gateway, key, RECORDING, id=record["Id"], s=60)

    contact = answer["data"]["contact"]
    assert contact["id"] == record["Id"]
    assert contact["recordingUrl"] is None
    assert contact["recordings"][0]["location"]
    assert contact["recordings"][0]["url"] is None
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}
    assert {tuple(e["path"]) for e in answer["errors"]} == {
        ("contact", "recordingUrl"),
        ("contact", "recordings", 0, "url"),
    }


# --- Economy ----------------------------------------------------------------------------------

JOURNEY = """query ($id: ID!) { contact(contactId: $id) {
  associatedContacts {
    id channel transcript { source summary } evaluations { score { percentage } }
  }
} }"""


def test_a_journey_costs_one_call_per_contact_per_source_then_none(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    # Worst case 100 contacts (a page of ListAssociatedContacts) x (transcript 4 +
    # evaluations 1 + 10 scores): over the default GATEWAY_MAX_COST, as docs/quality.md says.
    gateway = start_gateway(max_cost=2000)
    trees = Counter(c["rootContactId"] for c in emulator.contacts() if c.get("rootContactId"))
    root, size = trees.most_common(1)[0]
    assert size >= 9, size
    emulator.reset()

    first = gateway.query(JOURNEY, id=root)

    assert "errors" not in first, first
    nodes = first["data"]["contact"]["associatedContacts"]
    assert len(nodes) == size
    calls = _quality_calls(emulator)
    assert any(node["transcript"] for node in nodes)
    assert calls["ListContactEvaluations"] == size  # one page each
    for operation in (*QUALITY_OPERATIONS[:2], "ListObjectsV2", "GetObject"):
        assert calls.get(operation, 0) <= size, (operation, calls)
    assert calls.get("ListInstanceStorageConfigs", 0) <= 1

    emulator.reset()
    second = gateway.query(JOURNEY, id=root)
    assert second["data"] == first["data"]
    assert emulator.stats()["calls"] == {}


def test_contact_data_updated_drops_transcripts_and_evaluations() -> None:
    event = ContactEvent(DEMO_INSTANCE_ID, "c1", (), updated=("UserDefinedAttributes",))
    dropped = set(event.dropped())
    for kind in ("transcript", "rawtranscript", "evaluations"):
        assert f"{kind}:{DEMO_INSTANCE_ID}:c1" in dropped


def test_the_emulator_clock_keeps_recent_calls_recent() -> None:
    # The tests above rely on the fixed clock: real-time data of recent calls is kept.
    assert any(_recent(r) for r in _analysed("VOICE"))
    assert timedelta(hours=24) == REALTIME_RETENTION
