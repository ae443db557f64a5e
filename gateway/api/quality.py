"""Quality data in the graph: a contact's Contact Lens transcript, its evaluations, and
playable recording URLs (gateway/data/quality.py says where each comes from).

Scopes, checked before any cache read or upstream call: a redacted transcript needs only
`contacts:read` (checked at the root), the original one `contacts:pii`; a recording URL
`contacts:recordings`, and each one issued is written to the audit line."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.permission import BasePermission

from gateway.api.context import Info
from gateway.api.generated import ContactEvaluationMembers, RecordingInfoMembers
from gateway.api.members import Place, shape
from gateway.api.personal import PERSONAL_NOTE, PersonalData
from gateway.connect.model import doc
from gateway.core.caller import CONTACTS_PII, CONTACTS_RECORDINGS
from gateway.core.errors import BadUserInput, NotFound, ScopeRefused
from gateway.core.records import Record
from gateway.data.kinds import EVALUATION, EVALUATIONS, RAW_TRANSCRIPT, STORAGE, TRANSCRIPT
from gateway.data.quality import CALL_RECORDINGS, recordings_location

__all__ = [
    "MAX_URL_SECONDS",
    "RECORDINGS_NOTE",
    "ContactEvaluation",
    "OriginalTranscript",
    "RecordingInfo",
    "Recordings",
    "Transcript",
    "TranscriptSource",
    "contact_evaluations",
    "contact_recording_url",
    "contact_transcript",
]

MAX_URL_SECONDS = 3600
"""The longest a presigned recording URL may live."""
RECORDINGS_NOTE = "Needs the contacts:recordings scope; each URL issued is audited."


# --- Permissions ------------------------------------------------------------------------------


class OriginalTranscript(BasePermission):
    """`transcript(redacted: false)` is personal data: it needs `contacts:pii`."""

    message = "the original transcript is personal data: reading it needs the contacts:pii scope"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return kwargs.get("redacted", True) is not False or bool(
            info.context.caller.has(CONTACTS_PII)
        )

    def on_unauthorized(self) -> None:
        raise ScopeRefused(self.message)


class Recordings(BasePermission):
    message = "recording URLs need the contacts:recordings scope"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return bool(info.context.caller.has(CONTACTS_RECORDINGS))

    def on_unauthorized(self) -> None:
        raise ScopeRefused(self.message)


# --- Transcripts ------------------------------------------------------------------------------


@strawberry.enum(description="Where a transcript was read from.")
class TranscriptSource(Enum):
    REALTIME_CHAT = strawberry.enum_value(
        "REALTIME_CHAT", description="Connect's ListRealtimeContactAnalysisSegmentsV2 (chats)."
    )
    REALTIME_VOICE = strawberry.enum_value(
        "REALTIME_VOICE",
        description=(
            "Contact Lens' ListRealtimeContactAnalysisSegments (calls analysed in real time, "
            "for 24 hours after they end)."
        ),
    )
    ANALYSIS_FILE = strawberry.enum_value(
        "ANALYSIS_FILE",
        description="Contact Lens' post-contact output file in the call-recordings bucket (S3).",
    )


@strawberry.type(description="Characters of a segment's content where an issue was detected.")
class TranscriptIssue:
    begin_offset_char: int | None = strawberry.field(
        description=doc("RealTimeContactAnalysisCharacterInterval", "BeginOffsetChar")
    )
    end_offset_char: int | None = strawberry.field(
        description=doc("RealTimeContactAnalysisCharacterInterval", "EndOffsetChar")
    )


@strawberry.type(description="One turn of the conversation: who said what, when.")
class TranscriptSegment:
    id: strawberry.ID | None = strawberry.field(
        description=doc("RealTimeContactAnalysisSegmentTranscript", "Id")
    )
    participant_id: strawberry.ID | None = strawberry.field(
        description=doc("RealTimeContactAnalysisSegmentTranscript", "ParticipantId")
    )
    participant_role: str | None = strawberry.field(
        description=doc("RealTimeContactAnalysisSegmentTranscript", "ParticipantRole")
    )
    display_name: str | None = strawberry.field(
        # A chat's display names are what the customer typed and the agent's name: personal
        # data even in a redacted transcript, which redacts the content only.
        description=f"{doc('RealTimeContactAnalysisSegmentTranscript', 'DisplayName')}\n\n"
        f"{PERSONAL_NOTE}",
        permission_classes=[PersonalData],
    )
    content: str | None = strawberry.field(
        description=doc("RealTimeContactAnalysisSegmentTranscript", "Content")
    )
    begin_offset_millis: int | None = strawberry.field(
        description=(
            "Milliseconds from the start of the conversation to the start of this turn (for "
            "a chat read in real time: from its first message)."
        )
    )
    end_offset_millis: int | None = strawberry.field(
        description="Milliseconds from the start of the conversation to its end (calls only)."
    )
    absolute_time: datetime | None = strawberry.field(description="When it was said (chats only).")
    sentiment: str | None = strawberry.field(
        description=doc("RealTimeContactAnalysisSegmentTranscript", "Sentiment")
    )
    issues_detected: list[TranscriptIssue] = strawberry.field(
        description="The issues Contact Lens detected in this turn."
    )


@strawberry.type(description="A span of the conversation where a category's rule matched.")
class TranscriptPointOfInterest:
    begin_offset_millis: int | None = strawberry.field(
        description="Milliseconds from the start of the conversation to the start of the span."
    )
    end_offset_millis: int | None = strawberry.field(
        description="Milliseconds from the start of the conversation to the end of the span."
    )


@strawberry.type(description="A Contact Lens category (rule) the conversation matched.")
class TranscriptCategory:
    name: str = strawberry.field(description="The category's name.")
    rule_id: strawberry.ID | None = strawberry.field(
        description="The rule's identifier, where the source gives it."
    )
    points_of_interest: list[TranscriptPointOfInterest] = strawberry.field(
        description="Where in the conversation it matched."
    )


@strawberry.type(
    description=(
        "A contact's conversation as Contact Lens analysed it: from the real-time analysis "
        "while Contact Lens keeps it, else from its post-contact output file."
    )
)
class Transcript:
    source: TranscriptSource = strawberry.field(description="Where it was read from.")
    status: str | None = strawberry.field(
        description="The analysis' status: COMPLETED, IN_PROGRESS or FAILED."
    )
    redacted: bool = strawberry.field(
        description="Whether personal data is masked (Contact Lens' redacted output)."
    )
    segments: list[TranscriptSegment] = strawberry.field(
        description="The turns of the conversation, in order."
    )
    categories: list[TranscriptCategory] = strawberry.field(
        description="The categories (rules) it matched."
    )
    summary: str | None = strawberry.field(
        description=(doc("RealTimeContactAnalysisSegmentPostContactSummary", "Content") or "")
        + " The post-contact summary, if Contact Lens made one."
    )

    @classmethod
    def of(cls, record: Record) -> Transcript:
        return cls(
            source=TranscriptSource(record["Source"]),
            status=record.get("Status"),
            redacted=bool(record.get("Redacted")),
            segments=[
                TranscriptSegment(
                    id=item.get("Id"),
                    participant_id=item.get("ParticipantId"),
                    participant_role=item.get("ParticipantRole"),
                    display_name=item.get("DisplayName"),
                    content=item.get("Content"),
                    begin_offset_millis=item.get("BeginOffsetMillis"),
                    end_offset_millis=item.get("EndOffsetMillis"),
                    absolute_time=_time(item.get("AbsoluteTime")),
                    sentiment=item.get("Sentiment"),
                    issues_detected=[
                        TranscriptIssue(
                            begin_offset_char=issue.get("BeginOffsetChar"),
                            end_offset_char=issue.get("EndOffsetChar"),
                        )
                        for issue in item.get("IssuesDetected", [])
                    ],
                )
                for item in record.get("Segments", [])
            ],
            categories=[
                TranscriptCategory(
                    name=category["Name"],
                    rule_id=category.get("RuleId"),
                    points_of_interest=[
                        TranscriptPointOfInterest(
                            begin_offset_millis=point.get("BeginOffsetMillis"),
                            end_offset_millis=point.get("EndOffsetMillis"),
                        )
                        for point in category.get("PointsOfInterest", [])
                    ],
                )
                for category in record.get("Categories", [])
            ],
            summary=record.get("Summary"),
        )


def _time(value: Any) -> datetime | None:
    return None if not value else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


async def contact_transcript(info: Info, instance: str, contact_id: str, redacted: bool) -> Any:
    loaders = info.context.loaders
    loader = loaders[TRANSCRIPT] if redacted else loaders[RAW_TRANSCRIPT]
    record = await loader.load((instance, contact_id))
    return None if record is None else Transcript.of(record)


TRANSCRIPT_DESCRIPTION = (
    "What was said, as Contact Lens analysed it (segments, matched categories, post-contact "
    "summary): for a chat from ListRealtimeContactAnalysisSegmentsV2, for a call analysed in "
    "real time from Contact Lens' ListRealtimeContactAnalysisSegments (for 24 hours), else "
    "from the post-contact output file in S3 once the analysis completed. Null when the "
    "contact has no such analysis (yet), or none of the output asked for. The redacted "
    "transcript (the default) needs contacts:read; the original one (redacted: false) is "
    f"personal data. {PERSONAL_NOTE}"
)


# --- Evaluations ------------------------------------------------------------------------------


@strawberry.type(description=doc("EvaluationScore"))
class EvaluationScore:
    percentage: float | None = strawberry.field(description=doc("EvaluationScore", "Percentage"))
    automatic_fail: bool | None = strawberry.field(
        description=doc("EvaluationScore", "AutomaticFail")
    )
    not_applicable: bool | None = strawberry.field(
        description=doc("EvaluationScore", "NotApplicable")
    )

    @classmethod
    def of(cls, record: Record | None) -> EvaluationScore | None:
        if record is None:
            return None
        return cls(
            percentage=record.get("Percentage"),
            automatic_fail=record.get("AutomaticFail"),
            not_applicable=record.get("NotApplicable"),
        )


@strawberry.type(description=doc("EvaluationAnswerOutput"))
class EvaluationAnswer:
    question_ref_id: str = strawberry.field(description=doc("EvaluationFormQuestion", "RefId"))
    question: str | None = strawberry.field(description=doc("EvaluationFormQuestion", "Title"))
    string_value: str | None = strawberry.field(
        description=doc("EvaluationAnswerData", "StringValue")
    )
    numeric_value: float | None = strawberry.field(
        description=doc("EvaluationAnswerData", "NumericValue")
    )
    not_applicable: bool | None = strawberry.field(
        description=doc("EvaluationAnswerData", "NotApplicable")
    )
    option: str | None = strawberry.field(
        description="The text of the option chosen (single-select questions)."
    )
    score: EvaluationScore | None = strawberry.field(
        description="The answer's score (the evaluation's Scores for this question)."
    )


@strawberry.type(description=doc("EvaluationNote"))
class EvaluationNote:
    ref_id: str = strawberry.field(description="The section or question the note is about.")
    value: str | None = strawberry.field(description=doc("EvaluationNote", "Value"))


@strawberry.type(description="An answer option of a single-select question.")
class EvaluationFormOption:
    ref_id: str | None = strawberry.field(
        description=doc("EvaluationFormSingleSelectQuestionOption", "RefId")
    )
    text: str | None = strawberry.field(
        description=doc("EvaluationFormSingleSelectQuestionOption", "Text")
    )
    score: int | None = strawberry.field(
        description=doc("EvaluationFormSingleSelectQuestionOption", "Score")
    )
    automatic_fail: bool | None = strawberry.field(
        description=doc("EvaluationFormSingleSelectQuestionOption", "AutomaticFail")
    )


@strawberry.type(description=doc("EvaluationFormQuestion"))
class EvaluationFormQuestion:
    ref_id: str | None = strawberry.field(description=doc("EvaluationFormQuestion", "RefId"))
    title: str | None = strawberry.field(description=doc("EvaluationFormQuestion", "Title"))
    instructions: str | None = strawberry.field(description="The instructions of the question.")
    question_type: str | None = strawberry.field(
        description=doc("EvaluationFormQuestion", "QuestionType")
    )
    weight: float | None = strawberry.field(description="The scoring weight of the question.")
    not_applicable_enabled: bool | None = strawberry.field(
        description=doc("EvaluationFormQuestion", "NotApplicableEnabled")
    )
    options: list[EvaluationFormOption] = strawberry.field(
        description="The answer options of a single-select question."
    )


@strawberry.type(description=doc("EvaluationFormSection"))
class EvaluationFormSection:
    ref_id: str | None = strawberry.field(description=doc("EvaluationFormSection", "RefId"))
    title: str | None = strawberry.field(description=doc("EvaluationFormSection", "Title"))
    instructions: str | None = strawberry.field(
        description=doc("EvaluationFormSection", "Instructions")
    )
    weight: float | None = strawberry.field(description=doc("EvaluationFormSection", "Weight"))
    score: EvaluationScore | None = strawberry.field(
        description="The section's score in this evaluation."
    )
    questions: list[EvaluationFormQuestion] = strawberry.field(
        description="The section's questions (those of sections inside it are in `sections`)."
    )


@strawberry.type(description=doc("EvaluationFormContent"))
class EvaluationForm:
    id: strawberry.ID | None = strawberry.field(
        description=doc("EvaluationFormContent", "EvaluationFormId")
    )
    title: str | None = strawberry.field(description=doc("EvaluationFormContent", "Title"))
    description: str | None = strawberry.field(
        description=doc("EvaluationFormContent", "Description")
    )
    version: int | None = strawberry.field(
        description=doc("EvaluationFormContent", "EvaluationFormVersion")
    )
    sections: list[EvaluationFormSection] = strawberry.field(
        description="The form's sections, nested ones after their parent, in order."
    )


def _form(detail: Record) -> EvaluationForm:
    form = detail.get("EvaluationForm") or {}
    scores = (detail.get("Evaluation") or {}).get("Scores") or {}
    sections: list[EvaluationFormSection] = []

    def walk(items: list[Record]) -> None:
        for item in items:
            section = item.get("Section")
            if section is None:
                continue
            questions = [
                _question(sub["Question"]) for sub in section.get("Items", []) if "Question" in sub
            ]
            sections.append(
                EvaluationFormSection(
                    ref_id=section.get("RefId"),
                    title=section.get("Title"),
                    instructions=section.get("Instructions"),
                    weight=section.get("Weight"),
                    score=EvaluationScore.of(scores.get(section.get("RefId"))),
                    questions=questions,
                )
            )
            walk(section.get("Items", []))

    walk(form.get("Items", []))
    return EvaluationForm(
        id=form.get("EvaluationFormId"),
        title=form.get("Title"),
        description=form.get("Description"),
        version=form.get("EvaluationFormVersion"),
        sections=sections,
    )


def _question(question: Record) -> EvaluationFormQuestion:
    single = (question.get("QuestionTypeProperties") or {}).get("SingleSelect") or {}
    return EvaluationFormQuestion(
        ref_id=question.get("RefId"),
        title=question.get("Title"),
        instructions=question.get("Instructions"),
        question_type=question.get("QuestionType"),
        weight=question.get("Weight"),
        not_applicable_enabled=question.get("NotApplicableEnabled"),
        options=[
            EvaluationFormOption(
                ref_id=option.get("RefId"),
                text=option.get("Text"),
                score=option.get("Score"),
                automatic_fail=option.get("AutomaticFail"),
            )
            for option in single.get("Options", [])
        ],
    )


def _questions(detail: Record) -> dict[str, Record]:
    found: dict[str, Record] = {}

    def walk(items: list[Record]) -> None:
        for item in items:
            if "Question" in item:
                found[str(item["Question"].get("RefId"))] = item["Question"]
            if "Section" in item:
                walk(item["Section"].get("Items", []))

    walk((detail.get("EvaluationForm") or {}).get("Items", []))
    return found


_SUMMARY = "EvaluationSummary"  # where a listed evaluation's summary sits in its record
_STATUS = {"SUBMITTED": "COMPLETE", "DRAFT": "IN_PROGRESS"}


@shape("ContactEvaluation")
@strawberry.type(
    name="ContactEvaluation",
    description=(
        "A contact evaluation: Connect's ContactEvaluation members, its form's title and "
        "its score (from ListContactEvaluations), and on demand its answers, notes and form "
        "(DescribeContactEvaluation, loaded only when one of them is asked for)."
    ),
)
class ContactEvaluation(ContactEvaluationMembers):
    @strawberry.field(description=doc("EvaluationSummary", "EvaluationId"))
    def id(self) -> strawberry.ID | None:
        evaluation_id = self.evaluation_id()
        return None if evaluation_id is None else strawberry.ID(evaluation_id)

    def evaluation_id(self) -> str | None:
        """Its EvaluationId (from its ARN where the summary lacks it)."""
        evaluation_id = self._summary_of().get("EvaluationId")
        if evaluation_id is None:
            arn = str(self._record.get("EvaluationArn") or "")
            evaluation_id = arn.rpartition("/")[2] or None
        return None if evaluation_id is None else str(evaluation_id)

    @strawberry.field(description=doc("EvaluationSummary", "EvaluationFormTitle"))
    async def form_title(self, info: Info) -> str | None:
        title = self._summary_of().get("EvaluationFormTitle")
        if title is None and self._summary_of() == {}:
            detail = await self._detail(info)
            title = (detail.get("EvaluationForm") or {}).get("Title")
        return None if title is None else str(title)

    @strawberry.field(description="The evaluation's score. " + (doc("EvaluationScore") or ""))
    async def score(self, info: Info) -> EvaluationScore | None:
        summary = self._summary_of()
        if summary:
            return EvaluationScore.of(summary.get("Score"))
        detail = await self._detail(info)
        return EvaluationScore.of(
            ((detail.get("Evaluation") or {}).get("Metadata") or {}).get("Score")
        )

    @strawberry.field(description=doc("EvaluationSummary", "EvaluatorArn"))
    def evaluator_arn(self) -> str | None:
        return self._summary_of().get("EvaluatorArn")

    @strawberry.field(description=doc("EvaluationSummary", "CreatedTime"))
    def created_time(self) -> datetime | None:
        return _time(self._summary_of().get("CreatedTime"))

    @strawberry.field(description=doc("EvaluationSummary", "LastModifiedTime"))
    def last_modified_time(self) -> datetime | None:
        return _time(self._summary_of().get("LastModifiedTime"))

    @strawberry.field(
        description=(doc("Evaluation", "Answers") or "")
        + " With each question's title and score (DescribeContactEvaluation)."
    )
    async def answers(self, info: Info) -> list[EvaluationAnswer] | None:
        detail = await self._detail(info)
        if not detail:
            return None
        evaluation = detail.get("Evaluation") or {}
        questions = _questions(detail)
        scores = evaluation.get("Scores") or {}
        answers = []
        for ref, answer in (evaluation.get("Answers") or {}).items():
            value = answer.get("Value") or {}
            question = questions.get(ref, {})
            single = (question.get("QuestionTypeProperties") or {}).get("SingleSelect") or {}
            texts = {o.get("RefId"): o.get("Text") for o in single.get("Options", [])}
            answers.append(
                EvaluationAnswer(
                    question_ref_id=ref,
                    question=question.get("Title"),
                    string_value=value.get("StringValue"),
                    numeric_value=value.get("NumericValue"),
                    not_applicable=value.get("NotApplicable"),
                    option=texts.get(value.get("StringValue")),
                    score=EvaluationScore.of(scores.get(ref)),
                )
            )
        return answers

    @strawberry.field(
        description=(doc("Evaluation", "Notes") or "") + " (DescribeContactEvaluation)"
    )
    async def notes(self, info: Info) -> list[EvaluationNote] | None:
        detail = await self._detail(info)
        if not detail:
            return None
        notes = (detail.get("Evaluation") or {}).get("Notes") or {}
        return [EvaluationNote(ref_id=ref, value=note.get("Value")) for ref, note in notes.items()]

    @strawberry.field(
        description=(
            "The evaluation form as it was when the evaluation was made: its sections and "
            "questions, each section's score (DescribeContactEvaluation)."
        )
    )
    async def form(self, info: Info) -> EvaluationForm | None:
        detail = await self._detail(info)
        return _form(detail) if detail else None

    def _summary_of(self) -> Record:
        summary = self._record.get(_SUMMARY)
        return summary if isinstance(summary, dict) else {}

    async def _detail(self, info: Info) -> Record:
        """DescribeContactEvaluation's answer; {} for a deleted evaluation (Connect has
        none to describe: its detail fields are null)."""
        if self._record.get("Status") == "DELETED":
            return {}
        evaluation_id = self.id()
        if evaluation_id is None:
            raise NotFound("the evaluation has no identifier")
        version = self._summary_of().get("LastModifiedTime") or self._record.get("EndTimestamp")
        key = f"{evaluation_id}@{version or ''}"
        detail = await info.context.loaders[EVALUATION].load((self._instance, key))
        if detail is None:
            raise NotFound(f"evaluation {str(evaluation_id)!r} was not found")
        return dict(detail)


def _as_contact_evaluation(summary: Record) -> Record:
    """An EvaluationSummary as the ContactEvaluation members say it, the summary kept."""
    status = summary.get("Status")
    return {
        "FormId": summary.get("EvaluationFormId"),
        "EvaluationArn": summary.get("EvaluationArn"),
        "Status": _STATUS.get(str(status), status),
        "StartTimestamp": summary.get("CreatedTime"),
        "EndTimestamp": summary.get("LastModifiedTime") if status == "SUBMITTED" else None,
        _SUMMARY: summary,
    }


async def contact_evaluations(
    info: Info, instance: str, contact_id: str
) -> list[ContactEvaluation]:
    summaries = await info.context.loaders[EVALUATIONS].load((instance, contact_id))
    if summaries is None:
        raise NotFound(f"contact {contact_id!r} was not found in instance {instance!r}")
    place = Place(instance)
    return [
        evaluation
        for summary in summaries
        for evaluation in [ContactEvaluation.of(_as_contact_evaluation(summary), place)]
        if evaluation is not None
    ]


EVALUATIONS_DESCRIPTION = (
    "The contact's evaluations (ListContactEvaluations, every page): status, form title, "
    "score; answers, notes and form come from DescribeContactEvaluation, asked only when one "
    "of them is selected."
)


# --- Recordings -------------------------------------------------------------------------------

ExpiresIn = Annotated[
    int,
    strawberry.argument(
        description=f"Seconds the URL stays valid, 1 to {MAX_URL_SECONDS}.",
    ),
]


def _check_expiry(expires_in_seconds: int) -> None:
    if not 1 <= expires_in_seconds <= MAX_URL_SECONDS:
        raise BadUserInput(
            f"expiresInSeconds must be between 1 and {MAX_URL_SECONDS}, got {expires_in_seconds}"
        )


async def _presign(
    info: Info, instance: str, contact_id: str | None, location: str, expires_in: int
) -> str | None:
    bucket, _, key = location.partition("/")
    if not bucket or not key:
        return None
    url = await info.context.store.presigned_get(instance, bucket, key, expires_in)
    if contact_id is not None:
        info.context.audit.recording(instance, contact_id)
        # A URL expires and each issue is audited: the response is never cached.
        info.context.loaders.reads.note(f"recording:{instance}:{contact_id}", 0.0)
    return url


@shape("RecordingInfo")
@strawberry.type(name="RecordingInfo", description=doc("RecordingInfo"))
class RecordingInfo(RecordingInfoMembers):
    _contact_id: strawberry.Private[str | None] = None

    @strawberry.field(
        description=(
            "A presigned S3 GET URL of the recording (SigV4, made by the gateway: no call to "
            f"AWS), valid expiresInSeconds; null unless it is in S3 and available. "
            f"{RECORDINGS_NOTE}"
        ),
        permission_classes=[Recordings],
    )
    async def url(self, info: Info, expires_in_seconds: ExpiresIn = 300) -> str | None:
        _check_expiry(expires_in_seconds)
        location = self._record.get("Location")
        if self._record.get("StorageType") != "S3" or not location:
            return None
        if self._record.get("Status") not in (None, "AVAILABLE"):
            return None
        return await _presign(
            info, self._instance, self._contact_id, str(location), expires_in_seconds
        )


def recordings_of(
    records: list[Record] | None, instance: str, contact_id: str
) -> list[RecordingInfo] | None:
    """The contact's RecordingInfo nodes, each knowing its contact (for the audit line)."""
    if records is None:
        return None
    nodes: list[RecordingInfo] = []
    for record in records:
        node = RecordingInfo.of(record, Place(instance))
        if node is not None:
            node._contact_id = contact_id
            nodes.append(node)
    return nodes


def _playable(recording: Record) -> bool:
    location = str(recording.get("Location") or "")
    return (
        recording.get("StorageType") == "S3"
        and recording.get("Status") in (None, "AVAILABLE")
        and recording.get("MediaStreamType") in (None, "AUDIO")
        and bool(location)
        and not location.endswith(".json")
    )


async def contact_recording_url(info: Info, contact: Any, expires_in_seconds: int) -> str | None:
    _check_expiry(expires_in_seconds)
    instance = contact._instance
    contact_id = str(await contact.raw("Id"))
    recordings = await contact.raw("Recordings")
    if recordings is not None:
        for recording in recordings:
            if _playable(recording):
                return await _presign(
                    info, instance, contact_id, str(recording["Location"]), expires_in_seconds
                )
        return None
    if await contact.raw("Channel") != "VOICE":
        return None
    # No Recordings member: where the instance keeps call recordings, under the day of
    # the contact's end (Connect's layout: <prefix>/<yyyy>/<mm>/<dd>/<contactId>...).
    configs = await info.context.loaders[STORAGE].load((instance, CALL_RECORDINGS))
    location = recordings_location(configs)
    ended = await contact.raw("DisconnectTimestamp")
    if location is None or not ended:
        return None
    bucket, prefix = location
    day = _time(ended)
    assert day is not None
    search = f"{prefix}/{day.strftime('%Y/%m/%d')}/{contact_id}" if prefix else contact_id
    keys = await info.context.store.list_keys(instance, bucket, search)
    audio = sorted(key for key in keys if not key.endswith(".json"))
    if not audio:
        return None
    return await _presign(info, instance, contact_id, f"{bucket}/{audio[0]}", expires_in_seconds)


RECORDING_URL_DESCRIPTION = (
    "A presigned S3 GET URL of the contact's call recording (the audio of its Recordings, "
    "else found where the instance stores call recordings), valid expiresInSeconds; null "
    f"when it has none. {RECORDINGS_NOTE}"
)
