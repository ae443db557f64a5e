"""The root Mutation: Connect's contact writes, each a field with one typed input and a
payload whose `contact` is the contact as it is after the write (docs/writes.md).

An input's fields are Connect's members in camelCase (`gateway.connect.wire.members` makes
the request of it; a map such as References or Attributes is a list of entries). Every
refusal comes before any call: a mutation over a websocket, a caller without
`contacts:write` or the instance's scope, a personal-data member without `contacts:pii`,
input Connect's model refuses. Then `Writer.write` (gateway/data/writes.py) calls Connect
and makes every replica drop what the write changed; this request's loaders forget what
they read, so the payload's contact is read again (one DescribeContact for all replicas).
Connect's refusals are BAD_USER_INPUT with its message, NOT_FOUND, or CONFLICT. GraphQL
runs a request's mutations in order, each nullable with its error at its own field: one
failing never stops the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry

from gateway.api import inputs
from gateway.api.contact import Contact, load_contact
from gateway.api.context import Info
from gateway.api.generated import ReferenceStatus, ReferenceType
from gateway.api.members import loads
from gateway.api.permissions import check_write
from gateway.api.quality import ContactEvaluation, contact_evaluations
from gateway.connect.model import doc, model
from gateway.connect.wire import map_key, member, members, not_sent, request_params
from gateway.core.caller import CONTACTS_WRITE, EVALUATIONS_WRITE
from gateway.core.errors import BadUserInput, NotFound
from gateway.data.kinds import ASSOCIATED, CONTACT, EVALUATIONS
from gateway.data.writes import WRITES, client_token

__all__ = ["ContactPayload", "EvaluationPayload", "Mutation"]

_PERSONAL = "personal_data"
_PERSONAL_NOTE = "Personal data: writing it needs the contacts:pii scope."


def _personal(**options: Any) -> Any:
    """An optional input field holding personal data (writing it needs contacts:pii)."""
    description = options.pop("description", None)
    text = f"{description} {_PERSONAL_NOTE}" if description else _PERSONAL_NOTE
    return strawberry.field(
        default=None, description=text, metadata={_PERSONAL: True, **options.pop("metadata", {})}
    )


_INSTANCE = "The Connect instance (ID or ARN); the gateway's default instance when omitted."
_TOKEN = (
    "Connect's ClientToken: the same token again answers the first call's contact and does "
    "nothing more. The gateway derives one per mutation when omitted."
)


@strawberry.input(description=doc("Reference"))
class ReferenceInput:
    name: str = strawberry.field(metadata=map_key(), description="The reference's name.")
    type: ReferenceType
    value: str | None = None
    status: ReferenceStatus | None = None
    arn: str | None = None


@strawberry.input(description="A contact attribute: a key and its value.")
class AttributeInput:
    key: str = strawberry.field(metadata=map_key())
    value: str


@strawberry.input(description="A tag: a key and its value.")
class TagInput:
    key: str = strawberry.field(metadata=map_key())
    value: str


@strawberry.input(description=doc("UpdateContactRequest"))
class UpdateContactInput:
    contact_id: strawberry.ID
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)
    name: str | None = _personal()
    description: str | None = _personal()
    references: list[ReferenceInput] | None = _personal(
        description="Added by name (a reference of the same name is replaced)."
    )


@strawberry.input(description=doc("UpdateContactAttributesRequest"))
class UpdateContactAttributesInput:
    contact_id: strawberry.ID = strawberry.field(
        description="Any contact of the chain: the attributes are the whole chain's.",
        metadata=member("InitialContactId"),  # the gateway finds the chain's initial one
    )
    attributes: list[AttributeInput] = strawberry.field(
        description=f"Merged into the chain's attributes. {_PERSONAL_NOTE}",
        metadata={_PERSONAL: True},
    )
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)


@strawberry.input(description=doc("TagContactRequest"))
class TagContactInput:
    contact_id: strawberry.ID
    tags: list[TagInput]
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)


@strawberry.input(description=doc("UntagContactRequest"))
class UntagContactInput:
    contact_id: strawberry.ID
    tag_keys: list[str]
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)


@strawberry.input(description=doc("AgentsCriteria"))
class AgentsCriteriaInput:
    agent_ids: list[strawberry.ID] | None = None


@strawberry.input(description=doc("MatchCriteria"))
class MatchCriteriaInput:
    agents_criteria: AgentsCriteriaInput | None = None


@strawberry.input(description=doc("Range"))
class ProficiencyRangeInput:
    min_proficiency_level: float | None = None
    max_proficiency_level: float | None = None


@strawberry.input(description=doc("AttributeCondition"))
class AttributeConditionInput:
    name: str | None = None
    value: str | None = None
    proficiency_level: float | None = None
    range: ProficiencyRangeInput | None = None
    match_criteria: MatchCriteriaInput | None = None
    comparison_operator: str | None = None


@strawberry.input(description=doc("Expression"))
class RoutingExpressionInput:
    attribute_condition: AttributeConditionInput | None = None
    and_expression: list[RoutingExpressionInput] | None = None
    or_expression: list[RoutingExpressionInput] | None = None
    not_attribute_condition: AttributeConditionInput | None = None


@strawberry.input(description=doc("RoutingCriteriaInputStepExpiry"))
class RoutingStepExpiryInput:
    duration_in_seconds: int | None = None


@strawberry.input(description=doc("RoutingCriteriaInputStep"))
class RoutingCriteriaStepInput:
    expiry: RoutingStepExpiryInput | None = None
    expression: RoutingExpressionInput | None = None


@strawberry.input(description=doc("RoutingCriteriaInput"))
class RoutingCriteriaInput:
    steps: list[RoutingCriteriaStepInput] | None = None


@strawberry.input(description=doc("UpdateContactRoutingDataRequest"))
class UpdateContactRoutingDataInput:
    contact_id: strawberry.ID
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)
    queue_priority: int | None = None
    queue_time_adjustment_seconds: int | None = None
    routing_criteria: RoutingCriteriaInput | None = None


@strawberry.input(description=doc("UpdateContactScheduleRequest"))
class UpdateContactScheduleInput:
    contact_id: strawberry.ID
    scheduled_time: datetime
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)


@strawberry.input(description=doc("StartTaskContactRequest"))
class StartTaskContactInput:
    name: str = strawberry.field(description=_PERSONAL_NOTE, metadata={_PERSONAL: True})
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)
    previous_contact_id: strawberry.ID | None = None
    related_contact_id: strawberry.ID | None = None
    contact_flow_id: strawberry.ID | None = None
    task_template_id: strawberry.ID | None = None
    quick_connect_id: strawberry.ID | None = None
    description: str | None = _personal()
    references: list[ReferenceInput] | None = _personal()
    attributes: list[AttributeInput] | None = _personal()
    scheduled_time: datetime | None = None
    client_token: str | None = strawberry.field(default=None, description=_TOKEN)


@strawberry.input(description=doc("TransferContactRequest"))
class TransferContactInput:
    contact_id: strawberry.ID
    contact_flow_id: strawberry.ID
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)
    queue_id: strawberry.ID | None = None
    user_id: strawberry.ID | None = None
    client_token: str | None = strawberry.field(default=None, description=_TOKEN)


@strawberry.input(description=doc("DisconnectReason"))
class DisconnectReasonInput:
    code: str


@strawberry.input(description=doc("StopContactRequest"))
class StopContactInput:
    contact_id: strawberry.ID
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)
    disconnect_reason: DisconnectReasonInput | None = None


@strawberry.input(description=doc("PauseContactRequest"))
class PauseContactInput:
    contact_id: strawberry.ID
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)
    contact_flow_id: strawberry.ID | None = None


@strawberry.input(description=doc("ResumeContactRequest"))
class ResumeContactInput:
    contact_id: strawberry.ID
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)
    contact_flow_id: strawberry.ID | None = None


@strawberry.input(description=doc("EvaluationAnswerData"))
class EvaluationAnswerValue:
    string_value: str | None = None
    numeric_value: float | None = None
    string_values: list[str] | None = None
    not_applicable: bool | None = None


@strawberry.input(description="An answer: the question's refId and its value.")
class EvaluationAnswerInput:
    ref_id: str = strawberry.field(metadata=map_key())
    value: EvaluationAnswerValue


@strawberry.input(description="A note: the question's or section's refId and its text.")
class EvaluationNoteInput:
    ref_id: str = strawberry.field(metadata=map_key())
    value: str


_EVALUATED = "The contact evaluated: its evaluations are read again after the write."


@strawberry.input(description=doc("StartContactEvaluationRequest"))
class StartContactEvaluationInput:
    contact_id: strawberry.ID
    evaluation_form_id: strawberry.ID
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)
    client_token: str | None = strawberry.field(default=None, description=_TOKEN)


@strawberry.input(description=doc("UpdateContactEvaluationRequest"))
class UpdateContactEvaluationInput:
    evaluation_id: strawberry.ID
    contact_id: strawberry.ID = strawberry.field(description=_EVALUATED, metadata=not_sent())
    instance_id: strawberry.ID | None = strawberry.field(default=None, description=_INSTANCE)
    answers: list[EvaluationAnswerInput] | None = None
    notes: list[EvaluationNoteInput] | None = None


@strawberry.input(description=doc("SubmitContactEvaluationRequest"))
class SubmitContactEvaluationInput(UpdateContactEvaluationInput):
    """The same members as UpdateContactEvaluation's (the last answers and notes)."""


INPUTS: Mapping[str, type] = {
    "UpdateContact": UpdateContactInput,
    "UpdateContactAttributes": UpdateContactAttributesInput,
    "TagContact": TagContactInput,
    "UntagContact": UntagContactInput,
    "UpdateContactRoutingData": UpdateContactRoutingDataInput,
    "UpdateContactSchedule": UpdateContactScheduleInput,
    "StartTaskContact": StartTaskContactInput,
    "TransferContact": TransferContactInput,
    "StopContact": StopContactInput,
    "PauseContact": PauseContactInput,
    "ResumeContact": ResumeContactInput,
    "StartContactEvaluation": StartContactEvaluationInput,
    "UpdateContactEvaluation": UpdateContactEvaluationInput,
    "SubmitContactEvaluation": SubmitContactEvaluationInput,
}
"""Each write's input; tests/connect/test_wire.py checks each against its request shape."""


@strawberry.type(description="What a contact write answers: the contact after the write.")
class ContactPayload:
    instance: strawberry.Private[str]
    contact_id: strawberry.Private[str]

    @strawberry.field(
        description="The contact as it is after the write (read again: one DescribeContact).",
        metadata=loads(CONTACT),
    )
    async def contact(self, info: Info) -> Contact | None:
        return await load_contact(info, self.instance, self.contact_id)


@strawberry.type(description="What an evaluation write answers: the evaluation after it.")
class EvaluationPayload:
    instance: strawberry.Private[str]
    contact_id: strawberry.Private[str]
    evaluation_id: strawberry.Private[str]

    @strawberry.field(
        description="The evaluation as it is after the write (the contact's evaluations, "
        "read again: one ListContactEvaluations).",
        metadata=loads(EVALUATIONS),
    )
    async def evaluation(self, info: Info) -> ContactEvaluation | None:
        for evaluation in await contact_evaluations(info, self.instance, self.contact_id):
            if evaluation.evaluation_id() == self.evaluation_id:
                return evaluation
        raise NotFound(f"evaluation {self.evaluation_id!r} of contact {self.contact_id!r}")


async def _write_evaluation(info: Info, operation: str, given: Any) -> EvaluationPayload:
    instance, named, answer = await _written_by(info, operation, given, EVALUATIONS_WRITE)
    evaluation = str(answer.get("EvaluationId") or given.evaluation_id)
    return EvaluationPayload(instance=instance, contact_id=named[0], evaluation_id=evaluation)


async def _write(info: Info, operation: str, given: Any) -> ContactPayload:
    instance, named, answer = await _written_by(info, operation, given, CONTACTS_WRITE)
    made = answer.get("ContactId")
    return ContactPayload(instance=instance, contact_id=made or named[0])


async def _written_by(
    info: Info, operation: str, given: Any, scope: str
) -> tuple[str, list[str], dict[str, Any]]:
    """The mutation `operation` with input `given`: refusals first, then the write."""
    context = info.context
    if context.writer is None:
        raise BadUserInput("mutations take POST with a JSON body (not GET, not a websocket)")
    instance = inputs.instance_id(given.instance_id, context.settings)
    personal = [
        name for name, field in given.__dataclass_fields__.items()
        if field.metadata.get(_PERSONAL) and getattr(given, name) is not None
    ]  # fmt: skip
    check_write(context.caller, instance, personal, scope)
    contact = getattr(given, "contact_id", None)
    named = [inputs.contact_id(str(contact))] if contact is not None else []
    for link in ("previous_contact_id", "related_contact_id"):
        if getattr(given, link, None) is not None:
            named.append(inputs.contact_id(str(getattr(given, link)), inputs.camel(link)))
    shape = model().operation_model(operation).input_shape
    params = members(given, shape)
    params.pop("InstanceId", None)
    write = WRITES[operation]
    if write.token:
        params["ClientToken"] = client_token(
            params.get("ClientToken"), context.request_id, _place(info)
        )
    request_params(operation, {"InstanceId": instance, **params})  # before any call
    if operation == "UpdateContactAttributes":
        # The chain's attributes are kept under its initial contact.
        params["InitialContactId"] = await _initial(info, instance, named[0])
        named.append(params["InitialContactId"])
    elif ASSOCIATED in write.changes:
        # A tree is kept under its chain's initial contact: a new task or transfer, or a
        # contact ending, changes the tree of each contact it names.
        named += [await _initial(info, instance, contact) for contact in named]
    context.audit.wrote(instance, named[0] if named else "-", operation, _written(params))
    answer = await context.writer.write(write, instance, named, params)
    made = answer.get("ContactId")
    if made:
        context.audit.wrote(instance, made, operation, ())
    context.loaders.clear()  # the payload reads what the write left
    return instance, named, answer


async def _initial(info: Info, instance: str, contact_id: str) -> str:
    """The initial contact of the contact's chain (itself if it starts one)."""
    record = await load_contact(info, instance, contact_id)
    return str(await record.raw("InitialContactId") or contact_id)


def _written(params: Mapping[str, Any]) -> list[str]:
    """The members a write sets, never their values (for the audit line)."""
    ids = {"ContactId", "InitialContactId", "ClientToken"}
    return sorted(name for name in params if name not in ids)


def _place(info: Info) -> str:
    """The mutation's place in its request: its response key (alias), unique there."""
    return str(info.path.key)


def _field(operation: str, description: str) -> Any:
    """The mutation of `operation`: an evaluation write (it changes a contact's
    evaluations) answers an EvaluationPayload, any other a ContactPayload."""
    if EVALUATIONS in WRITES[operation].changes:

        async def resolve(info: Info, input: Any) -> EvaluationPayload | None:
            return await _write_evaluation(info, operation, input)

    else:

        async def resolve(info: Info, input: Any) -> ContactPayload | None:  # type: ignore[misc]
            return await _write(info, operation, input)

    resolve.__annotations__["input"] = INPUTS[operation]
    return strawberry.mutation(resolver=resolve, description=f"{description} ({operation}).")


@strawberry.type
class Mutation:
    update_contact: ContactPayload | None = _field(
        "UpdateContact", "Sets a contact's name, description or references"
    )
    update_contact_attributes: ContactPayload | None = _field(
        "UpdateContactAttributes",
        "Merges attributes into a contact's chain (any contact of it may be named)",
    )
    tag_contact: ContactPayload | None = _field("TagContact", "Adds tags to a contact")
    untag_contact: ContactPayload | None = _field("UntagContact", "Removes tags from a contact")
    update_contact_routing_data: ContactPayload | None = _field(
        "UpdateContactRoutingData", "Changes a queued contact's priority or time in queue"
    )
    update_contact_schedule: ContactPayload | None = _field(
        "UpdateContactSchedule", "Moves a scheduled task that has not started"
    )
    start_task_contact: ContactPayload | None = _field(
        "StartTaskContact",
        "Creates a task, linked to a contact by previousContactId or relatedContactId; "
        "its payload's contact is the new task",
    )
    transfer_contact: ContactPayload | None = _field(
        "TransferContact",
        "Transfers a task or email to a queue or agent; the payload's contact is the new one",
    )
    stop_contact: ContactPayload | None = _field("StopContact", "Ends a contact")
    pause_contact: ContactPayload | None = _field("PauseContact", "Pauses a task or email")
    resume_contact: ContactPayload | None = _field("ResumeContact", "Resumes a paused contact")
    start_contact_evaluation: EvaluationPayload | None = _field(
        "StartContactEvaluation", "Starts a draft evaluation of a contact on a form"
    )
    update_contact_evaluation: EvaluationPayload | None = _field(
        "UpdateContactEvaluation", "Saves answers and notes of a draft evaluation"
    )
    submit_contact_evaluation: EvaluationPayload | None = _field(
        "SubmitContactEvaluation", "Submits an evaluation: scored, no longer a draft"
    )
