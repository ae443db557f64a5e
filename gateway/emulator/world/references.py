"""References: the documents and values linked to a contact, as ListContactReferences lists
them (each a ReferenceSummary with exactly one member set).

- Tasks carry their template's fields (URL, STRING, NUMBER, DATE as epoch milliseconds,
  EMAIL), and files agents attached later (ATTACHMENT); the task a flow made for a
  voicemail links its recording (VOICEMAIL_RECORDING), the same file as the call's.
- Emails carry their message (EMAIL_MESSAGE and EMAIL_MESSAGE_PLAIN_TEXT, plus the redacted
  copies where redaction is on) and one ATTACHMENT per file the email came with.
- Calls and chats analysed by Contact Lens carry CONTACT_ANALYSIS (a redacted copy as well
  when the original transcript is kept); voicemails carry their recording and its
  analysis, original and redacted.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from gateway.core.records import Record
from gateway.emulator.world.ids import new_id

__all__ = ["REFERENCE_MEMBERS", "seed_references"]


REFERENCE_MEMBERS: Mapping[str, str] = {
    "URL": "Url",
    "ATTACHMENT": "Attachment",
    "CONTACT_ANALYSIS": "ContactAnalysis",
    "NUMBER": "Number",
    "STRING": "String",
    "DATE": "Date",
    "EMAIL": "Email",
    "EMAIL_MESSAGE": "EmailMessage",
    "EMAIL_MESSAGE_PLAIN_TEXT": "EmailMessagePlainText",
    "EMAIL_MESSAGE_PLAIN_TEXT_REDACTED": "EmailMessagePlainTextRedacted",
    "EMAIL_MESSAGE_REDACTED": "EmailMessageRedacted",
    "VOICEMAIL_RECORDING": "VoicemailRecording",
    "VOICEMAIL_RECORDING_REDACTED": "VoicemailRecordingRedacted",
    "VOICEMAIL_ANALYSIS": "VoicemailAnalysis",
    "VOICEMAIL_ANALYSIS_REDACTED": "VoicemailAnalysisRedacted",
}
"""Each reference type and the ReferenceSummary member that carries it."""

_FILES = ("invoice.pdf", "router-photo.jpg", "statement.pdf", "screenshot.png", "contract.pdf")
_ANALYSIS_STATUS = {"COMPLETED": "AVAILABLE", "REQUESTED": "PROCESSING", "FAILED": "FAILED"}


def seed_references(
    rng: random.Random, instance_arn: str, records: Iterable[Record]
) -> dict[str, list[Record]]:
    """The references of every contact that has some, by contact ID, in the order made."""
    found: dict[str, list[Record]] = {}
    by_id = {record["Id"]: record for record in records}
    for record in by_id.values():
        made = _Maker(rng, instance_arn, record).references()
        if made:
            found[record["Id"]] = made
    for record in by_id.values():
        related = by_id.get(record.get("RelatedContactId", ""))
        if record["InitiationMethod"] == "FLOW" and related and "VoicemailInfo" in related:
            recording = next(r for r in found[related["Id"]] if "VoicemailRecording" in r)
            found.setdefault(record["Id"], []).insert(0, recording)
    return found


class _Maker:
    """Makes one contact's references."""

    def __init__(self, rng: random.Random, instance_arn: str, record: Record) -> None:
        self.rng = rng
        self.record = record
        self.files = f"{instance_arn}/attached-file"
        instance = instance_arn.rsplit("/", 1)[1]
        day = record["InitiationTimestamp"].strftime("%Y/%m/%d")
        self.bucket = f"s3://example-connect-media/connect/{instance}"
        self.day = day

    def references(self) -> list[Record]:
        channel = self.record["Channel"]
        if channel == "TASK":
            return self._task()
        if channel == "EMAIL":
            return self._email()
        return self._analysis() + self._voicemail()

    def _task(self) -> list[Record]:
        if "TaskTemplateInfo" not in self.record:
            return [self._portal()] if self.rng.random() < 0.6 else []
        start: datetime = self.record["InitiationTimestamp"]
        due = start + timedelta(days=self.rng.randint(1, 5))
        found = [
            self._portal(),
            {"String": {"Name": "OrderNumber", "Value": f"ORD-{self.rng.randint(100000, 999999)}"}},
            {"Number": {"Name": "RefundAmount", "Value": f"{self.rng.uniform(5, 400):.2f}"}},
            {"Date": {"Name": "DueDate", "Value": str(int(due.timestamp() * 1000))}},
            {"Email": {"Name": "CustomerEmail", "Value": self._customer_email()}},
        ]
        count = self.rng.choice((0, 1, 3))
        return found + [self._attachment(self.rng.choice(_FILES)) for _ in range(count)]

    def _email(self) -> list[Record]:
        segment = self.record.get("SegmentAttributes", {})
        message = segment["connect:EmailMessageArn"]["ValueArn"]
        found: list[Record] = [
            {"EmailMessage": {"Name": "emailMessage", "Arn": message}},
            {"EmailMessagePlainText": {"Name": "emailMessagePlainText", "Arn": self._file()}},
        ]
        if self.rng.random() < 0.4:
            found.append({"EmailMessageRedacted": {"Name": "emailMessage", "Arn": self._file()}})
            found.append(
                {
                    "EmailMessagePlainTextRedacted": {
                        "Name": "emailMessagePlainText",
                        "Arn": self._file(),
                    }
                }
            )
        attachments = segment.get("connect:EmailAttachments", {}).get("ValueList", [])
        for item in attachments:
            found.append(self._attachment(self.rng.choice(_FILES), item["ValueArn"]))
        return found

    def _analysis(self) -> list[Record]:
        lens = self.record.get("ContactLens", {}).get("ConversationalAnalytics")
        if lens is None:
            return []
        status = _ANALYSIS_STATUS[lens["ContactAnalysisReferenceState"]["Status"]]
        mode = lens["Configuration"]["ChannelConfiguration"]["AnalyticsModes"][-1]
        policy = lens["Configuration"]["RedactionConfiguration"]["Policy"]
        copies = (True,) if policy == "RedactedOnly" else (False, True)
        return [self._contact_analysis(status, mode, redacted) for redacted in copies]

    def _voicemail(self) -> list[Record]:
        if "VoicemailInfo" not in self.record:
            return []
        return [
            {member: self._recorded(name, suffix)}
            for member, name, suffix in (
                ("VoicemailRecording", "voicemailRecording", "wav"),
                ("VoicemailRecordingRedacted", "voicemailRecording", "redacted.wav"),
                ("VoicemailAnalysis", "voicemailAnalysis", "json"),
                ("VoicemailAnalysisRedacted", "voicemailAnalysis", "redacted.json"),
            )
        ]

    def _portal(self) -> Record:
        case = self.rng.randint(10000, 99999)
        return {"Url": {"Name": "CustomerPortal", "Value": f"https://crm.example.com/cases/{case}"}}

    def _customer_email(self) -> str:
        endpoint = self.record.get("CustomerEndpoint", {})
        if endpoint.get("Type") == "EMAIL_ADDRESS":
            return str(endpoint["Address"])
        return f"customer{self.rng.randint(100, 999)}@example.net"

    def _attachment(self, name: str, arn: str | None = None) -> Record:
        status = self.rng.choice(("AVAILABLE", "AVAILABLE", "APPROVED", "REJECTED", "PROCESSING"))
        file_id = (arn or self._file()).rsplit("/", 1)[1]
        location = f"{self.bucket}/Attachments/{self.day}/{file_id}_{name}"
        return {
            "Attachment": {
                "Name": name,
                "Value": location,
                "Status": status,
                "Arn": arn or f"{self.files}/{file_id}",
            }
        }

    def _contact_analysis(self, status: str, mode: str, redacted: bool) -> Record:
        folder = "Redacted" if redacted else "Original"
        analysis: Record = {
            "Name": "contactAnalysis",
            "Value": f"{self.bucket}/Analysis/{folder}/{self.day}/{self.record['Id']}.json",
            "Status": status,
            "Arn": f"{self.record['Arn']}/contact-analysis/{new_id(self.rng)}",
            "AnalyticsMode": mode,
            "IsRedacted": redacted,
        }
        return {"ContactAnalysis": analysis}

    def _recorded(self, name: str, suffix: str) -> Record:
        file_id = new_id(self.rng)
        return {
            "Name": name,
            "Value": f"{self.bucket}/Voicemails/{self.day}/{file_id}.{suffix}",
            "Status": "AVAILABLE",
            "Arn": f"{self.files}/{file_id}",
        }

    def _file(self) -> str:
        return f"{self.files}/{new_id(self.rng)}"
