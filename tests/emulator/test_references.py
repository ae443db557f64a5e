"""ListContactReferences: references filtered by type and paged, through real boto3."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.emulator.operations.handlers import REFERENCES_PAGE_SIZE
from gateway.emulator.world.dataset import build_dataset
from gateway.emulator.world.references import REFERENCE_MEMBERS
from tests import web
from tests.emulator.conftest import error_of

DATASET = build_dataset()
DEMO = DATASET.instances[DEMO_INSTANCE_ID]
SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=x/20261102/us-east-1/connect/aws4_request"}
TYPES = list(REFERENCE_MEMBERS)
Record = dict[str, Any]


def kind(summary: Record) -> str:
    (member,) = summary
    return str(member)


def most_referenced(channel: str | None = None) -> str:
    return max(
        (cid for cid in DEMO.references if channel in (None, DEMO.contacts[cid]["Channel"])),
        key=lambda cid: len(DEMO.references[cid]),
    )


def all_pages(connect: Any, contact: str, types: list[str]) -> list[list[Record]]:
    paginator = connect.get_paginator("list_contact_references")
    pages = paginator.paginate(InstanceId=DEMO_INSTANCE_ID, ContactId=contact, ReferenceTypes=types)
    return [page["ReferenceSummaryList"] for page in pages]


def every_reference(connect: Any, contact: str) -> list[Record]:
    """All of a contact's references: at most 6 types a request, as Connect allows."""
    found: list[Record] = []
    for start in range(0, len(TYPES), 6):
        found += [s for page in all_pages(connect, contact, TYPES[start : start + 6]) for s in page]
    return found


def test_seeded_references_by_channel() -> None:
    kinds: dict[str, set[str]] = {}
    for cid, summaries in DEMO.references.items():
        kinds.setdefault(DEMO.contacts[cid]["Channel"], set()).update(map(kind, summaries))
    assert {"Url", "String", "Number", "Date", "Email", "Attachment"} <= kinds["TASK"]
    assert {"EmailMessage", "EmailMessagePlainText", "Attachment"} <= kinds["EMAIL"]
    assert {"ContactAnalysis", "VoicemailRecording", "VoicemailAnalysisRedacted"} <= kinds["VOICE"]
    assert len(DEMO.references[most_referenced()]) > 2 * REFERENCES_PAGE_SIZE
    assert len(DEMO.references[most_referenced("EMAIL")]) > REFERENCES_PAGE_SIZE


def test_emails_reference_their_message_and_attachments() -> None:
    for cid, summaries in DEMO.references.items():
        record = DEMO.contacts[cid]
        if record["Channel"] != "EMAIL":
            continue
        segment = record["SegmentAttributes"]
        assert summaries[0]["EmailMessage"]["Arn"] == segment["connect:EmailMessageArn"]["ValueArn"]
        attached = [
            item["ValueArn"]
            for item in segment.get("connect:EmailAttachments", {}).get("ValueList", [])
        ]
        assert [s["Attachment"]["Arn"] for s in summaries if "Attachment" in s] == attached


def test_paging_through_more_than_two_pages(connect: Any) -> None:
    contact = most_referenced()
    pages = all_pages(connect, contact, TYPES[:6])
    expected = [
        s for s in DEMO.references[contact] if kind(s) in {REFERENCE_MEMBERS[t] for t in TYPES[:6]}
    ]
    assert len(pages) > 2
    assert all(len(page) == REFERENCES_PAGE_SIZE for page in pages[:-1])
    assert [s for page in pages for s in page] == expected


def test_every_type_of_every_contact(connect: Any) -> None:
    for contact in (most_referenced(), most_referenced("EMAIL"), most_referenced("VOICE")):
        found = every_reference(connect, contact)
        assert sorted(found, key=json.dumps) == sorted(DEMO.references[contact], key=json.dumps)


def test_filtered_by_type(connect: Any) -> None:
    contact = most_referenced("TASK")
    for types in (["URL"], ["DATE", "NUMBER"], ["ATTACHMENT", "EMAIL_MESSAGE"]):
        members = {REFERENCE_MEMBERS[t] for t in types}
        found = [s for page in all_pages(connect, contact, types) for s in page]
        assert found == [s for s in DEMO.references[contact] if kind(s) in members]


def test_a_contact_without_references(connect: Any) -> None:
    contact = next(cid for cid in DEMO.contacts if cid not in DEMO.references)
    response = connect.list_contact_references(
        InstanceId=DEMO_INSTANCE_ID, ContactId=contact, ReferenceTypes=["URL"]
    )
    assert response["ReferenceSummaryList"] == []
    assert "NextToken" not in response


def test_wire_format_repeats_the_query_parameter(emulator_url: str) -> None:
    contact = most_referenced("TASK")
    response = web.get(
        f"{emulator_url}/contact/references/{DEMO_INSTANCE_ID}/{contact}",
        params=[("referenceTypes", "URL"), ("referenceTypes", "STRING")],
        headers=SIGNED,
    )
    assert response.status_code == 200
    assert [kind(s) for s in response.json()["ReferenceSummaryList"]] == ["Url", "String"]


def test_missing_reference_types(emulator_url: str) -> None:
    response = web.get(
        f"{emulator_url}/contact/references/{DEMO_INSTANCE_ID}/{most_referenced()}", headers=SIGNED
    )
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "InvalidParameterException"
    assert "Value null at 'ReferenceTypes'" in response.json()["Message"]


@pytest.mark.parametrize(
    ("types", "message"),
    [
        (TYPES[:7], "length less than or equal to 6"),
        (["URL", "FAX"], "Value 'FAX' at 'referenceTypes'"),
    ],
)
def test_bad_reference_types(connect: Any, types: list[str], message: str) -> None:
    code, text, status = error_of(
        connect.list_contact_references,
        InstanceId=DEMO_INSTANCE_ID,
        ContactId=most_referenced(),
        ReferenceTypes=types,
    )
    assert (code, status) == ("InvalidParameterException", 400)
    assert message in text


def test_tokens_are_checked(connect: Any) -> None:
    contact = most_referenced()
    params = {"InstanceId": DEMO_INSTANCE_ID, "ContactId": contact, "ReferenceTypes": TYPES[:6]}
    token = connect.list_contact_references(**params)["NextToken"]
    assert connect.list_contact_references(**params, NextToken=token)["ReferenceSummaryList"]
    for bad, message in [
        ("not-a-token", "The NextToken is not valid."),
        (token, "The NextToken was issued for a different request."),
    ]:
        other = {**params, "ReferenceTypes": TYPES[:5]} if bad == token else params
        assert error_of(connect.list_contact_references, **other, NextToken=bad) == (
            "InvalidParameterException",
            message,
            400,
        )


def test_unknown_contact(connect: Any) -> None:
    found = error_of(
        connect.list_contact_references,
        InstanceId=DEMO_INSTANCE_ID,
        ContactId="00000000-0000-4000-8000-000000000000",
        ReferenceTypes=["URL"],
    )
    assert found == ("ResourceNotFoundException", "Contact not found", 404)


def test_counted(control: httpx.Client, connect: Any) -> None:
    all_pages(connect, most_referenced(), TYPES[:6])
    assert control.get("/_emulator/stats").json()["calls"] == {"ListContactReferences": 3}
