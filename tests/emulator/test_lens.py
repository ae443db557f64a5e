"""Contact Lens segments (Connect's V2 for chats, connect-contact-lens for calls), contact
evaluations and instance storage configs, through real boto3 clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.emulator.operations.handlers import HANDLERS
from gateway.emulator.operations.lens import REALTIME_RETENTION
from gateway.emulator.protocol.model import connect_model, contact_lens_model
from gateway.emulator.protocol.validation import Rules, problems
from gateway.emulator.world.conversations import redaction_policy
from gateway.emulator.world.dataset import NOW, build_dataset
from tests.emulator.conftest import error_of

DEMO = build_dataset().instances[DEMO_INSTANCE_ID]
ALL_TYPES = ["Transcript", "Categories", "Issues", "Event", "PostContactSummary"]


def _status(record: dict[str, Any]) -> str | None:
    analytics = record.get("ContactLens", {}).get("ConversationalAnalytics", {})
    status = analytics.get("ContactAnalysisReferenceState", {}).get("Status")
    return str(status) if status is not None else None


def _contacts(channel: str, status: str | None = "COMPLETED") -> list[dict[str, Any]]:
    return [
        record
        for record in DEMO.contacts.values()
        if record["Channel"] == channel and _status(record) == status
    ]


def _realtime(record: dict[str, Any]) -> bool:
    config = record["ContactLens"]["ConversationalAnalytics"]["Configuration"]
    return "RealTime" in config["ChannelConfiguration"]["AnalyticsModes"]


RECENT_CALLS = [
    record
    for record in _contacts("VOICE")
    if _realtime(record) and NOW - record["DisconnectTimestamp"] < REALTIME_RETENTION
]
OLD_CALLS = [
    record
    for record in _contacts("VOICE")
    if _realtime(record) and NOW - record["DisconnectTimestamp"] > REALTIME_RETENTION
]


@pytest.fixture(scope="module")
def lens(emulator_url: str) -> Any:
    return boto3.client(
        "connect-contact-lens",
        endpoint_url=emulator_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )


def _v2_pages(connect: Any, contact_id: str, output: str, size: int) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        extra: dict[str, str] = {"NextToken": token} if token else {}
        page = connect.list_realtime_contact_analysis_segments_v2(
            InstanceId=DEMO_INSTANCE_ID,
            ContactId=contact_id,
            OutputType=output,
            SegmentTypes=ALL_TYPES,
            MaxResults=size,
            **extra,
        )
        yield page
        token = page.get("NextToken")
        if not token:
            return


def test_v2_pages_a_chat_through_every_segment_type(connect: Any) -> None:
    chat = next(r for r in _contacts("CHAT") if redaction_policy(r) == "RedactedAndOriginal")
    pages = list(_v2_pages(connect, chat["Id"], "Raw", 3))
    assert len(pages) > 3
    assert all(page["Channel"] == "CHAT" for page in pages)
    assert {page["Status"] for page in pages} == {"COMPLETED"}
    segments = [segment for page in pages for segment in page["Segments"]]
    assert all(len(page["Segments"]) <= 3 for page in pages)
    kinds = {next(iter(segment)) for segment in segments}
    assert kinds == set(ALL_TYPES)
    transcript = [s["Transcript"] for s in segments if "Transcript" in s]
    roles = {item["ParticipantRole"] for item in transcript}
    assert roles == {"AGENT", "CUSTOMER", "CUSTOM_BOT"}
    times = [item["Time"]["AbsoluteTime"] for item in transcript]
    assert times == sorted(times)
    assert all(item["Id"] and item["ParticipantId"] and item["Content"] for item in transcript)
    assert {
        item.get("Sentiment") for item in transcript if item["ParticipantRole"] != "CUSTOM_BOT"
    } <= {
        "POSITIVE",
        "NEUTRAL",
        "NEGATIVE",
    }
    issues = [s["Issues"] for s in segments if "Issues" in s]
    assert issues
    assert issues[0]["IssuesDetected"][0]["TranscriptItems"][0]["Content"]
    summary = next(s["PostContactSummary"] for s in segments if "PostContactSummary" in s)
    assert summary["Status"] == "COMPLETED"
    assert summary["Content"]


def test_v2_redacted_masks_personal_data_raw_keeps_it(connect: Any) -> None:
    chat = next(r for r in _contacts("CHAT") if redaction_policy(r) == "RedactedAndOriginal")
    raw = [s for p in _v2_pages(connect, chat["Id"], "Raw", 100) for s in p["Segments"]]
    red = [s for p in _v2_pages(connect, chat["Id"], "Redacted", 100) for s in p["Segments"]]
    raw_text = [s["Transcript"]["Content"] for s in raw if "Transcript" in s]
    red_items = [s["Transcript"] for s in red if "Transcript" in s]
    assert len(raw_text) == len(red_items)
    masked = [item for item in red_items if "Redaction" in item]
    assert len(masked) == 2
    for item in masked:
        content = item["Content"]
        for offsets in item["Redaction"]["CharacterOffsets"]:
            mask = content[offsets["BeginOffsetChar"] : offsets["EndOffsetChar"]]
            assert mask in ("[PII]", "[NAME]", "[CREDIT_DEBIT_NUMBER]")
    assert not any("[PII]" in text or "[NAME]" in text for text in raw_text)
    assert any(text.startswith("Hi, this is ") for text in raw_text)


def test_v2_types_filter_and_output_type_not_enabled(connect: Any) -> None:
    chat = next(r for r in _contacts("CHAT") if redaction_policy(r) == "RedactedOnly")
    page = connect.list_realtime_contact_analysis_segments_v2(
        InstanceId=DEMO_INSTANCE_ID, ContactId=chat["Id"], OutputType="Redacted",
        SegmentTypes=["PostContactSummary"],
    )  # fmt: skip
    assert [next(iter(s)) for s in page["Segments"]] == ["PostContactSummary"]
    code, _, status = error_of(
        connect.list_realtime_contact_analysis_segments_v2,
        InstanceId=DEMO_INSTANCE_ID, ContactId=chat["Id"], OutputType="Raw",
        SegmentTypes=["Transcript"],
    )  # fmt: skip
    assert (code, status) == ("OutputTypeNotFoundException", 404)


def test_v2_answers_as_connect_for_contacts_without_analysis(connect: Any) -> None:
    plain = next(r for r in DEMO.contacts.values() if r["Channel"] == "CHAT" and _status(r) is None)
    call = _contacts("VOICE")[0]
    params = {"InstanceId": DEMO_INSTANCE_ID, "OutputType": "Raw", "SegmentTypes": ["Transcript"]}
    call_v2 = connect.list_realtime_contact_analysis_segments_v2
    assert error_of(call_v2, ContactId=plain["Id"], **params)[::2] == (
        "ResourceNotFoundException",
        404,
    )
    assert error_of(call_v2, ContactId="no-such-contact", **params)[::2] == (
        "ResourceNotFoundException",
        404,
    )
    assert error_of(call_v2, ContactId=call["Id"], **params)[::2] == (
        "InvalidRequestException",
        400,
    )
    failed = _contacts("CHAT", "FAILED") + _contacts("CHAT", "REQUESTED")
    for chat in failed:
        page = call_v2(ContactId=chat["Id"], **params | {"OutputType": "Redacted"})
        assert page["Status"] in ("FAILED", "IN_PROGRESS")
        assert page["Segments"] == []


def test_voice_segments_page_through_contact_lens(lens: Any) -> None:
    assert RECENT_CALLS
    assert OLD_CALLS
    call = RECENT_CALLS[0]
    segments, token, pages = [], None, 0
    while True:
        extra: dict[str, str] = {"NextToken": token} if token else {}
        page = lens.list_realtime_contact_analysis_segments(
            InstanceId=DEMO_INSTANCE_ID, ContactId=call["Id"], MaxResults=2, **extra
        )
        pages += 1
        segments += page["Segments"]
        token = page.get("NextToken")
        if not token:
            break
    assert pages == (len(segments) + 1) // 2
    transcript = [s["Transcript"] for s in segments if "Transcript" in s]
    assert {item["ParticipantRole"] for item in transcript} == {"AGENT", "CUSTOMER"}
    begins = [item["BeginOffsetMillis"] for item in transcript]
    assert begins == sorted(begins)
    assert all(item["EndOffsetMillis"] > item["BeginOffsetMillis"] for item in transcript)
    assert any(item.get("IssuesDetected") for item in transcript)
    categories = next(s["Categories"] for s in segments if "Categories" in s)
    assert categories["MatchedCategories"] == list(categories["MatchedDetails"])
    assert segments[-1]["PostContactSummary"]["Status"] == "COMPLETED"


def test_voice_segments_404_when_not_analysed_in_real_time_or_expired(lens: Any) -> None:
    post_only = next(r for r in _contacts("VOICE") if not _realtime(r))
    unanalysed = next(
        r for r in DEMO.contacts.values() if r["Channel"] == "VOICE" and not _status(r)
    )
    chat = _contacts("CHAT")[0]
    for record in (post_only, unanalysed, chat, OLD_CALLS[0]):
        code, _, status = error_of(
            lens.list_realtime_contact_analysis_segments,
            InstanceId=DEMO_INSTANCE_ID,
            ContactId=record["Id"],
        )
        assert (code, status) == ("ResourceNotFoundException", 404)


def test_contact_lens_calls_are_counted_and_faulted(lens: Any, control: httpx.Client) -> None:
    call = RECENT_CALLS[0]
    fault = {"operation": "ListRealtimeContactAnalysisSegments", "error": "ThrottlingException"}
    control.post("/_emulator/faults", json=fault | {"times": 1}).raise_for_status()
    code, _, status = error_of(
        lens.list_realtime_contact_analysis_segments,
        InstanceId=DEMO_INSTANCE_ID,
        ContactId=call["Id"],
    )
    assert (code, status) == ("ThrottlingException", 429)
    lens.list_realtime_contact_analysis_segments(InstanceId=DEMO_INSTANCE_ID, ContactId=call["Id"])
    stats = control.get("/_emulator/stats").json()
    assert stats["calls"]["ListRealtimeContactAnalysisSegments"] == 2
    assert stats["throttled"]["ListRealtimeContactAnalysisSegments"] == 1


def test_contact_lens_throttles_per_operation(serve: Any) -> None:
    url = serve(rate=0.001, burst=1)
    client = boto3.client(
        "connect-contact-lens", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )  # fmt: skip
    call = RECENT_CALLS[0]
    client.list_realtime_contact_analysis_segments(
        InstanceId=DEMO_INSTANCE_ID, ContactId=call["Id"]
    )
    code, _, status = error_of(
        client.list_realtime_contact_analysis_segments,
        InstanceId=DEMO_INSTANCE_ID,
        ContactId=call["Id"],
    )
    assert (code, status) == ("ThrottlingException", 429)


EVALUATED = [r for r in DEMO.contacts.values() if r.get("ContactEvaluations")]


def _all_evaluations(connect: Any, contact_id: str) -> tuple[list[dict[str, Any]], int]:
    found, token, pages = [], None, 0
    while True:
        extra: dict[str, str] = {"NextToken": token} if token else {}
        page = connect.list_contact_evaluations(
            InstanceId=DEMO_INSTANCE_ID, ContactId=contact_id, **extra
        )
        pages += 1
        found += page["EvaluationSummaryList"]
        token = page.get("NextToken")
        if not token:
            return found, pages


def test_list_contact_evaluations_pages_every_live_evaluation(connect: Any) -> None:
    record = max(EVALUATED, key=lambda r: len(r["ContactEvaluations"]))
    found, pages = _all_evaluations(connect, record["Id"])
    live = {k for k, v in record["ContactEvaluations"].items() if v["Status"] != "DELETED"}
    assert {item["EvaluationId"] for item in found} == live
    assert pages > 1
    created = [item["CreatedTime"] for item in found]
    assert created == sorted(created)
    for item in found:
        entry = record["ContactEvaluations"][item["EvaluationId"]]
        assert item["EvaluationArn"] == entry["EvaluationArn"]
        assert item["EvaluationFormId"] == entry["FormId"]
        assert item["Status"] == {"COMPLETE": "SUBMITTED", "IN_PROGRESS": "DRAFT"}[entry["Status"]]
        assert item["EvaluationFormTitle"]
        assert item["EvaluatorArn"].startswith(DEMO.arn)
        if item["Status"] == "SUBMITTED":
            assert 0 <= item["Score"]["Percentage"] <= 100


def test_describe_contact_evaluation_has_answers_scores_and_form(connect: Any) -> None:
    evaluation = next(
        e for e in DEMO.evaluations.evaluations.values() if e["Status"] == "SUBMITTED"
    )
    answer = connect.describe_contact_evaluation(
        InstanceId=DEMO_INSTANCE_ID, EvaluationId=evaluation["EvaluationId"]
    )
    body, form = answer["Evaluation"], answer["EvaluationForm"]
    assert body["Metadata"]["ContactId"] == evaluation["Metadata"]["ContactId"]
    questions = {
        question["Question"]["RefId"]
        for section in form["Items"]
        for question in section["Section"]["Items"]
    }
    assert set(body["Answers"]) <= questions
    assert body["Answers"]
    sections = {section["Section"]["RefId"] for section in form["Items"]}
    assert sections <= set(body["Scores"])
    assert form["EvaluationFormId"] == evaluation["FormId"]
    assert form["Title"]
    assert "Percentage" in body["Metadata"]["Score"]


def test_deleted_or_unknown_evaluations_and_contacts_answer_404(connect: Any) -> None:
    deleted = next(
        key
        for record in EVALUATED
        for key, entry in record["ContactEvaluations"].items()
        if entry["Status"] == "DELETED"
    )
    for evaluation_id in (deleted, "no-such-evaluation"):
        code, _, status = error_of(
            connect.describe_contact_evaluation,
            InstanceId=DEMO_INSTANCE_ID,
            EvaluationId=evaluation_id,
        )
        assert (code, status) == ("ResourceNotFoundException", 404)
    code, _, status = error_of(
        connect.list_contact_evaluations, InstanceId=DEMO_INSTANCE_ID, ContactId="nope"
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    plain = next(r for r in DEMO.contacts.values() if not r.get("ContactEvaluations"))
    listed = connect.list_contact_evaluations(InstanceId=DEMO_INSTANCE_ID, ContactId=plain["Id"])
    assert listed["EvaluationSummaryList"] == []


def test_storage_configs_name_the_recordings_bucket(connect: Any) -> None:
    configs = connect.list_instance_storage_configs(
        InstanceId=DEMO_INSTANCE_ID, ResourceType="CALL_RECORDINGS"
    )["StorageConfigs"]
    assert len(configs) == 1
    assert configs[0]["StorageType"] == "S3"
    s3 = configs[0]["S3Config"]
    assert s3["BucketName"] == "example-connect-media"
    assert s3["BucketPrefix"] == f"connect/{DEMO_INSTANCE_ID}/CallRecordings"
    assert s3["EncryptionConfig"]["EncryptionType"] == "KMS"
    locations = [
        recording["Location"]
        for record in DEMO.contacts.values()
        for recording in record.get("Recordings", ())
        if recording["StorageType"] == "S3" and recording["Location"].endswith(".wav")
    ]
    assert locations
    assert all(loc.startswith(f"{s3['BucketName']}/{s3['BucketPrefix']}/") for loc in locations)
    chats = connect.list_instance_storage_configs(
        InstanceId=DEMO_INSTANCE_ID, ResourceType="CHAT_TRANSCRIPTS"
    )["StorageConfigs"]
    assert chats[0]["S3Config"]["BucketPrefix"].endswith("/ChatTranscripts")
    none = connect.list_instance_storage_configs(
        InstanceId=DEMO_INSTANCE_ID, ResourceType="AGENT_EVENTS"
    )["StorageConfigs"]
    assert none == []
    code, _, status = error_of(
        connect.list_instance_storage_configs, InstanceId=DEMO_INSTANCE_ID, ResourceType="NOPE"
    )
    assert (code, status) == ("InvalidParameterException", 400)


def test_every_answer_fits_its_output_shape_strictly() -> None:
    """What the handlers answer passes the model's own constraints, enums included."""

    class State:
        dataset = build_dataset()

        class clock:
            @staticmethod
            def now() -> Any:
                return NOW

    strict = Rules(enums=True, patterns=False)
    chat = _contacts("CHAT")[0]
    evaluation = next(iter(DEMO.evaluations.evaluations))
    calls = [
        ("ListRealtimeContactAnalysisSegmentsV2", connect_model(),
         {"ContactId": chat["Id"], "OutputType": "Redacted", "SegmentTypes": ALL_TYPES}),
        ("ListRealtimeContactAnalysisSegments", contact_lens_model(),
         {"ContactId": RECENT_CALLS[0]["Id"]}),
        ("ListContactEvaluations", connect_model(), {"ContactId": EVALUATED[0]["Id"]}),
        ("DescribeContactEvaluation", connect_model(), {"EvaluationId": evaluation}),
        ("ListInstanceStorageConfigs", connect_model(), {"ResourceType": "CALL_RECORDINGS"}),
    ]  # fmt: skip
    for name, model, params in calls:
        output = HANDLERS[name](State(), params | {"InstanceId": DEMO_INSTANCE_ID})  # type: ignore[arg-type]
        shape = model.operation_model(name).output_shape
        assert shape is not None
        assert problems(shape, output, name, strict) == [], name
    assert timedelta(hours=24) == REALTIME_RETENTION
