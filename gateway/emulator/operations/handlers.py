"""The Connect (and Contact Lens) operations the emulator implements, one handler each.

A handler takes the emulator's state and the bound, validated input members and returns
the operation's output as a dict shaped like its output shape, or raises ConnectError; the
reading ones need only the dataset. To implement another operation, write its handler and
add it to HANDLERS; routing, validation, serialization, stats, throttling and faults come
for free.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from gateway.emulator.operations.evaluating import EVALUATING
from gateway.emulator.operations.lens import list_segments_v2, list_voice_segments
from gateway.emulator.operations.lookups import contact_of, instance_of
from gateway.emulator.operations.paging import page
from gateway.emulator.operations.search import search_contacts
from gateway.emulator.operations.storage import list_instance_storage_configs
from gateway.emulator.operations.trees import associated_summary, contact_tree
from gateway.emulator.operations.updates import update_contact, update_contact_attributes
from gateway.emulator.operations.writes import WRITES
from gateway.emulator.protocol.errors import ConnectError
from gateway.emulator.protocol.state import EmulatorState
from gateway.emulator.world.attributes import chain_key
from gateway.emulator.world.dataset import Dataset
from gateway.emulator.world.evaluations import EVALUATIONS_PAGE_SIZE, evaluation_summary
from gateway.emulator.world.references import REFERENCE_MEMBERS

__all__ = ["ASSOCIATED_PAGE_SIZE", "HANDLERS", "REFERENCES_PAGE_SIZE", "Handler"]

Handler = Callable[[EmulatorState, Mapping[str, Any]], dict[str, Any]]
Reader = Callable[[Dataset, Mapping[str, Any]], dict[str, Any]]

REFERENCES_PAGE_SIZE = 3
"""ListContactReferences' page size: small, so that clients' paging is exercised."""

ASSOCIATED_PAGE_SIZE = 25
"""ListAssociatedContacts' page size when MaxResults is not given (the SDKs document 25)."""


def describe_contact(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"Contact": contact_of(instance_of(dataset, params), params["ContactId"])}


def describe_user(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    agent = instance_of(dataset, params).agent(params["UserId"])
    if agent is None:
        raise ConnectError("ResourceNotFoundException", "User not found")
    return {"User": agent.user}


def describe_queue(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    queue = instance_of(dataset, params).queue(params["QueueId"])
    if queue is None:
        raise ConnectError("ResourceNotFoundException", "Queue not found")
    return {"Queue": queue.record}


def get_contact_attributes(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes of the contact's chain, whichever of its contacts is named."""
    instance = instance_of(dataset, params)
    record = contact_of(instance, params["InitialContactId"])
    return {"Attributes": dict(instance.attributes.get(chain_key(record), {}))}


def list_contact_references(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    types = params["ReferenceTypes"]
    members = _reference_members(types)
    instance = instance_of(dataset, params)
    record = contact_of(instance, params["ContactId"])
    found = [
        summary
        for summary in instance.references.get(record["Id"], [])
        if next(iter(summary)) in members
    ]
    query = {"InstanceId": instance.id, "ContactId": record["Id"], "Types": sorted(set(types))}
    items, token = page(found, REFERENCES_PAGE_SIZE, params.get("NextToken"), query)
    return {"ReferenceSummaryList": items, "NextToken": token}


def list_associated_contacts(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    """The contact's whole tree (itself included) in initiation order, a page at a time."""
    instance = instance_of(dataset, params)
    record = contact_of(instance, params["ContactId"])
    tree = [associated_summary(other) for other in contact_tree(instance, record)]
    query = {"InstanceId": instance.id, "ContactId": record["Id"]}
    size = params.get("MaxResults") or ASSOCIATED_PAGE_SIZE
    items, token = page(tree, size, params.get("NextToken"), query)
    return {"ContactSummaryList": items, "NextToken": token}


def list_contact_evaluations(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    """The contact's evaluations, oldest first, EVALUATIONS_PAGE_SIZE a page."""
    instance = instance_of(dataset, params)
    record = contact_of(instance, params["ContactId"])
    store = instance.evaluations
    summaries = [
        evaluation_summary(evaluation, store.forms[evaluation["FormId"]])
        for evaluation in store.of_contact(record["Id"])
    ]
    query = {"InstanceId": instance.id, "ContactId": record["Id"]}
    items, token = page(summaries, EVALUATIONS_PAGE_SIZE, params.get("NextToken"), query)
    return {"EvaluationSummaryList": items, "NextToken": token}


def describe_contact_evaluation(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(dataset, params)
    evaluation = instance.evaluations.evaluations.get(params["EvaluationId"])
    if evaluation is None:
        raise ConnectError("ResourceNotFoundException", "Evaluation not found")
    form = instance.evaluations.forms[evaluation["FormId"]]
    body = {key: value for key, value in evaluation.items() if key != "FormId"}
    return {"Evaluation": body, "EvaluationForm": form}


def _reference_members(types: Sequence[str]) -> set[str]:
    unknown = [kind for kind in types if kind not in REFERENCE_MEMBERS]
    if unknown:
        allowed = ", ".join(REFERENCE_MEMBERS)
        message = (
            f"Value '{unknown[0]}' at 'referenceTypes' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{allowed}]"
        )
        raise ConnectError("InvalidParameterException", message)
    return {REFERENCE_MEMBERS[kind] for kind in types}


def get_task_template(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    """The template a task of the instance was made from (its TaskTemplateInfo names it):
    its name, and the form every demo task shows (a name, required, and a description)."""
    instance = instance_of(dataset, params)
    suffix = f"/task-template/{params['TaskTemplateId']}"
    for record in instance.contacts.values():
        info = record.get("TaskTemplateInfo") or {}
        if str(info.get("Arn", "")).endswith(suffix):
            made = record["InitiationTimestamp"] - timedelta(days=30)
            return {
                "InstanceId": instance.id, "Id": params["TaskTemplateId"], "Arn": info["Arn"],
                "Name": info["Name"], "Description": f"The form of {info['Name']} tasks",
                "Status": "ACTIVE", "CreatedTime": made, "LastModifiedTime": made,
                "Fields": [
                    {"Id": {"Name": "Name"}, "Type": "NAME"},
                    {"Id": {"Name": "Description"}, "Type": "DESCRIPTION"},
                ],
                "Constraints": {"RequiredFields": [{"Id": {"Name": "Name"}}]},
                "Defaults": {"DefaultFieldValues": []},
            }  # fmt: skip
    raise ConnectError("ResourceNotFoundException", "Task template not found")


def describe_hours_of_operation(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    """The hours a queue of the instance names (its HoursOfOperationId): weekdays 8 to 18
    in the instance's time zone, Saturdays too for a queue of more than 100 contacts."""
    instance = instance_of(dataset, params)
    hours_id = params["HoursOfOperationId"]
    for queue in instance.directory.queues:
        if queue.record.get("HoursOfOperationId") == hours_id:
            days = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
            if queue.record["MaxContacts"] > 100:
                days.append("SATURDAY")
            slot = {"StartTime": {"Hours": 8, "Minutes": 0}, "EndTime": {"Hours": 18, "Minutes": 0}}
            return {
                "HoursOfOperation": {
                    "HoursOfOperationId": hours_id,
                    "HoursOfOperationArn": f"{instance.arn}/operating-hours/{hours_id}",
                    "Name": f"{queue.name} hours", "TimeZone": "America/New_York",
                    "Description": f"When {queue.name} takes contacts",
                    "Config": [{"Day": day, **slot} for day in days],
                    "Tags": {}, "LastModifiedTime": queue.record["LastModifiedTime"],
                    "LastModifiedRegion": queue.record["LastModifiedRegion"],
                }
            }  # fmt: skip
    raise ConnectError("ResourceNotFoundException", "Hours of operation not found")


def _reading(reader: Reader) -> Handler:
    return lambda state, params: reader(state.dataset, params)


HANDLERS: Mapping[str, Handler] = {
    "DescribeContact": _reading(describe_contact),
    "DescribeUser": _reading(describe_user),
    "DescribeQueue": _reading(describe_queue),
    "GetTaskTemplate": _reading(get_task_template),
    "DescribeHoursOfOperation": _reading(describe_hours_of_operation),
    "GetContactAttributes": _reading(get_contact_attributes),
    "ListContactReferences": _reading(list_contact_references),
    "ListAssociatedContacts": _reading(list_associated_contacts),
    "SearchContacts": _reading(search_contacts),
    "ListContactEvaluations": _reading(list_contact_evaluations),
    "DescribeContactEvaluation": _reading(describe_contact_evaluation),
    "ListInstanceStorageConfigs": _reading(list_instance_storage_configs),
    "ListRealtimeContactAnalysisSegmentsV2": list_segments_v2,
    "ListRealtimeContactAnalysisSegments": list_voice_segments,
    "UpdateContact": update_contact,
    "UpdateContactAttributes": update_contact_attributes,
    **WRITES,
    **EVALUATING,
}
