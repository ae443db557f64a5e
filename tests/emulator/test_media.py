"""The emulator's S3 under /_s3: recordings, chat transcripts and Contact Lens output
files, through a real boto3 S3 client (path-style) and presigned URLs fetched with httpx."""

from __future__ import annotations

import io
import json
import re
import wave
from typing import Any
from urllib.parse import quote_plus

import boto3
import httpx
import pytest
from botocore.config import Config

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.emulator.world.dataset import build_dataset
from tests import web
from tests.emulator.conftest import error_of

BUCKET = "example-connect-media"
DEMO = build_dataset().instances[DEMO_INSTANCE_ID]


def s3_client(url: str, signature: str = "s3v4") -> Any:
    config = Config(
        s3={"addressing_style": "path"},
        signature_version=signature,
        retries={"total_max_attempts": 1},
    )
    return boto3.client(
        "s3",
        endpoint_url=url + "/_s3",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=config,
    )


@pytest.fixture(scope="module")
def s3(emulator_url: str) -> Any:
    return s3_client(emulator_url)


@pytest.fixture(scope="module")
def keys(s3: Any) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _recording_keys() -> list[str]:
    """The keys of the available recordings and chat transcripts, calls' first."""
    return sorted(
        [
            recording["Location"].partition("/")[2]
            for record in DEMO.contacts.values()
            for recording in record.get("Recordings", ())
            if recording["StorageType"] == "S3" and recording["Status"] == "AVAILABLE"
        ],
        key=lambda key: not key.endswith(".wav"),
    )


def test_listing_pages_through_every_object(s3: Any, keys: list[str]) -> None:
    seen, token, pages = [], None, 0
    while True:
        extra: dict[str, str] = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=BUCKET, MaxKeys=50, **extra)
        pages += 1
        assert page["KeyCount"] == len(page.get("Contents", [])) <= 50
        seen += [item["Key"] for item in page["Contents"]]
        if not page["IsTruncated"]:
            assert "NextContinuationToken" not in page
            break
        token = page["NextContinuationToken"]
    assert seen == keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert pages == -(-len(keys) // 50) > 1
    assert set(_recording_keys()) <= set(keys)


def test_listing_by_prefix_and_delimiter(s3: Any, keys: list[str]) -> None:
    prefix = f"connect/{DEMO_INSTANCE_ID}/"
    folders = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix, Delimiter="/")
    assert "Contents" not in folders
    assert [p["Prefix"] for p in folders["CommonPrefixes"]] == [
        f"{prefix}Analysis/",
        f"{prefix}CallRecordings/",
        f"{prefix}ChatTranscripts/",
    ]
    voice = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}Analysis/Voice/")
    names = [item["Key"] for item in voice["Contents"]]
    pattern = (
        rf"{prefix}Analysis/Voice/(Redacted/)?\d{{4}}/\d\d/\d\d/"
        r"[0-9a-f-]{36}_(analysis|analysis_redacted|call_recording_redacted)"
        r"_\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.(json|wav)"
    )
    assert names
    assert all(re.fullmatch(pattern, name) for name in names)
    assert any("/Redacted/" in name for name in names)
    assert any("/Redacted/" not in name for name in names)
    chat = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}Analysis/Chat/")
    assert chat["KeyCount"] > 0


def test_presigned_url_serves_a_playable_wav(s3: Any) -> None:
    key = _recording_keys()[0]
    assert key.endswith(".wav")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key})
    assert "/_s3/" in url
    assert "X-Amz-Signature=" in url
    response = web.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    assert int(response.headers["content-length"]) == len(response.content)
    with wave.open(io.BytesIO(response.content)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        assert 1 <= audio.getnframes() / audio.getframerate() <= 10
        assert any(audio.readframes(audio.getnframes()))
    again = web.get(url)
    assert again.content == response.content


def test_expired_or_unsigned_requests_are_refused(s3: Any, emulator_url: str) -> None:
    key = _recording_keys()[0]
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key})
    expired = re.sub(r"X-Amz-Date=\d{8}T\d{6}Z", "X-Amz-Date=20200101T000000Z", url)
    response = web.get(expired)
    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    assert "<Message>Request has expired</Message>" in response.text
    v2 = s3_client(emulator_url, "s3")
    old = v2.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key})
    assert "Signature=" in old
    assert web.get(old).status_code == 200
    stale = re.sub(r"Expires=\d+", "Expires=1577836800", old)
    assert web.get(stale).status_code == 403
    unsigned = web.get(f"{emulator_url}/_s3/{BUCKET}/{key}")
    assert unsigned.status_code == 403
    assert "<Code>AccessDenied</Code>" in unsigned.text


def test_get_and_head_object_with_ranges(s3: Any) -> None:
    key = [key for key in _recording_keys() if key.endswith(".wav")][1]
    head = s3.head_object(Bucket=BUCKET, Key=key)
    size = head["ContentLength"]
    assert head["ContentType"] == "audio/wav"
    assert head["ETag"].startswith('"')
    whole = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert len(whole) == size
    part = s3.get_object(Bucket=BUCKET, Key=key, Range="bytes=0-43")
    assert part["ContentRange"] == f"bytes 0-43/{size}"
    assert part["Body"].read() == whole[:44]
    assert whole[:4] == b"RIFF"
    tail = s3.get_object(Bucket=BUCKET, Key=key, Range="bytes=-10")["Body"].read()
    assert tail == whole[-10:]
    code, _, status = error_of(s3.get_object, Bucket=BUCKET, Key=key, Range=f"bytes={size}-")
    assert (code, status) == ("InvalidRange", 416)
    assert error_of(s3.get_object, Bucket=BUCKET, Key="nope")[::2] == ("NoSuchKey", 404)
    assert error_of(s3.head_object, Bucket=BUCKET, Key="nope")[::2] == ("404", 404)
    assert error_of(s3.list_objects_v2, Bucket="other")[::2] == ("NoSuchBucket", 404)


def test_analysis_files_follow_contact_lens_output_format(s3: Any, keys: list[str]) -> None:
    raw_key = next(
        k for k in keys if "/Analysis/Voice/" in k and k.endswith("_analysis_" + k[-25:])
    )
    contact = raw_key.rsplit("/", 1)[1][:36]
    redacted_key = next(
        k for k in keys if "/Redacted/" in k and contact in k and k.endswith(".json")
    )
    raw = json.loads(s3.get_object(Bucket=BUCKET, Key=raw_key)["Body"].read())
    redacted = json.loads(s3.get_object(Bucket=BUCKET, Key=redacted_key)["Body"].read())
    assert raw["ContentMetadata"] == {"Output": "Raw"}
    assert redacted["ContentMetadata"]["Output"] == "Redacted"
    for document in (raw, redacted):
        assert document["Version"] == "1.1.0"
        assert document["Channel"] == "VOICE"
        assert document["JobStatus"] == "COMPLETED"
        assert document["LanguageCode"]
        assert {p["ParticipantRole"] for p in document["Participants"]} == {"AGENT", "CUSTOMER"}
        characteristics = document["ConversationCharacteristics"]
        assert characteristics["ContactSummary"]["PostContactSummary"]["Content"]
        assert characteristics["TotalConversationDurationMillis"] > 0
        assert set(characteristics["Sentiment"]["OverallSentiment"]) == {"AGENT", "CUSTOMER"}
        assert document["Categories"]["MatchedCategories"]
        for item in document["Transcript"]:
            assert {
                "Id",
                "ParticipantId",
                "Content",
                "BeginOffsetMillis",
                "EndOffsetMillis",
            } <= set(item)
            assert item["Sentiment"] in ("POSITIVE", "NEUTRAL", "NEGATIVE")
        assert any(item.get("IssuesDetected") for item in document["Transcript"])
    raw_text = " ".join(item["Content"] for item in raw["Transcript"])
    red_text = " ".join(item["Content"] for item in redacted["Transcript"])
    assert "[" not in raw_text
    assert "[PII]" in red_text or "[NAME]" in red_text
    assert any("Redaction" in item for item in redacted["Transcript"])
    audio = next(k for k in keys if contact in k and k.endswith(".wav") and "Redacted" in k)
    assert s3.head_object(Bucket=BUCKET, Key=audio)["ContentType"] == "audio/wav"


def test_chat_transcripts_are_served_at_their_locations(s3: Any) -> None:
    chat = next(
        recording
        for record in DEMO.contacts.values()
        for recording in record.get("Recordings", ())
        if record["Channel"] == "CHAT" and recording["Status"] == "AVAILABLE"
    )
    key = chat["Location"].partition("/")[2]
    document = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert document["Transcript"]
    assert document["ContactId"]
    assert all(item["Type"] == "MESSAGE" for item in document["Transcript"])


def test_s3_requests_are_counted_throttled_and_faulted(
    s3: Any, control: httpx.Client, serve: Any
) -> None:
    key = _recording_keys()[0]
    s3.head_object(Bucket=BUCKET, Key=key)
    fault = {"operation": "GetObject", "error": "ThrottlingException", "times": 1}
    control.post("/_emulator/faults", json=fault).raise_for_status()
    assert error_of(s3.get_object, Bucket=BUCKET, Key=key)[::2] == ("SlowDown", 503)
    s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    stats = control.get("/_emulator/stats").json()
    assert stats["calls"]["HeadObject"] == 1
    assert stats["calls"]["GetObject"] == 2
    assert stats["throttled"]["GetObject"] == 1
    limited = s3_client(serve(rate=0.001, burst=1))
    limited.list_objects_v2(Bucket=BUCKET, MaxKeys=1)
    assert error_of(limited.list_objects_v2, Bucket=BUCKET)[::2] == ("SlowDown", 503)
    limited.head_object(Bucket=BUCKET, Key=key)


def test_max_page_size_caps_listing_pages(serve: Any) -> None:
    client = s3_client(serve(max_page_size=7))
    page = client.list_objects_v2(Bucket=BUCKET)
    assert page["KeyCount"] == 7
    assert page["IsTruncated"]


def test_keys_are_url_encoded_when_asked(emulator_url: str, keys: list[str]) -> None:
    response = web.get(
        f"{emulator_url}/_s3/{BUCKET}",
        params={"list-type": "2", "encoding-type": "url", "max-keys": "1", "prefix": "connect/"},
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/s3/aws4_request"
        },
    )
    assert response.status_code == 200
    assert "<EncodingType>url</EncodingType>" in response.text
    assert ":" in keys[0]  # boto3 asks for encoding-type=url and decodes the keys
    assert f"<Key>{quote_plus(keys[0], safe='/')}</Key>" in response.text
