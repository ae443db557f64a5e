"""Connect's other contact writes, as Connect carries them out.

- TagContact / UntagContact: a contact's Tags (at most 50; keys 1-128 characters, not
  starting with `aws:`), any contact, ended or not.
- UpdateContactRoutingData: QueuePriority, QueueTimeAdjustmentSeconds, RoutingCriteria of a
  contact waiting in a queue; elsewhere 409 ResourceConflictException.
- UpdateContactSchedule: the ScheduledTime of a scheduled task that has not started
  (elsewhere 400 InvalidRequestException), in the future and within 6 days.
- StartTaskContact: a new TASK, INITIATED now (or queued at its ScheduledTime), linked by
  PreviousContactId (it joins that contact's chain and shares its attributes; at most 12
  tasks per previous contact: ServiceQuotaExceededException) or RelatedContactId (its
  attributes are copied), with exactly one of ContactFlowId, QuickConnectId, TaskTemplateId.
- TransferContact: an active TASK or EMAIL to a queue or an agent: a new contact
  (InitiationMethod TRANSFER, the old one its previous contact) while the old one ends.
- StopContact: ends an active contact (DISCONNECTED; an ended or unknown one:
  ContactNotFoundException).
- PauseContact / ResumeContact: an active TASK or EMAIL; pausing a paused contact or
  resuming one that is not: 409 ConflictException. A paused contact stands still.

A ClientToken (StartTaskContact, TransferContact) makes a call idempotent: the same token
again answers what its first call answered (the same contact ID) and does nothing more;
the same token for another operation is 409 IdempotencyException.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from gateway.emulator.operations.lookups import contact_of, instance_of
from gateway.emulator.operations.updates import references_of, stamp
from gateway.emulator.protocol.errors import ConnectError
from gateway.emulator.protocol.state import EmulatorState
from gateway.emulator.world.arrivals import new_contact
from gateway.emulator.world.attributes import chain_key
from gateway.emulator.world.contacts import Record
from gateway.emulator.world.dataset import Instance
from gateway.emulator.world.events import DISCONNECTED, INITIATED
from gateway.emulator.world.lifecycle import paused

__all__ = ["WRITES", "once"]

_MAX_TAGS = 50
_MAX_TASKS_PER_PREVIOUS = 12
_LONGEST_SCHEDULE = timedelta(days=6)
_PAUSABLE = ("TASK", "EMAIL")


def tag_contact(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    record = contact_of(instance, params["ContactId"])
    tags = {**record.get("Tags", {}), **params["Tags"]}
    for key in params["Tags"]:
        if key.lower().startswith("aws:"):
            raise ConnectError("InvalidParameterException", f"Tag key '{key}' is reserved")
    if len(tags) > _MAX_TAGS:
        raise ConnectError("InvalidParameterException", f"A contact has at most {_MAX_TAGS} tags")
    record["Tags"] = tags
    stamp(state, record)
    return {}


def untag_contact(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    record = contact_of(instance, params["ContactId"])
    kept = {k: v for k, v in record.get("Tags", {}).items() if k not in params["TagKeys"]}
    if kept:
        record["Tags"] = kept
    else:
        record.pop("Tags", None)
    stamp(state, record)
    return {}


def update_contact_routing_data(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    record = contact_of(instance, params["ContactId"])
    if not _waiting(record):
        raise ConnectError("ResourceConflictException", "The contact is not waiting in a queue")
    for member in ("QueuePriority", "QueueTimeAdjustmentSeconds"):
        if params.get(member) is not None:
            record[member] = params[member]
    now = stamp(state, record)
    if params.get("RoutingCriteria") is not None:
        record["RoutingCriteria"] = _routing_criteria(params["RoutingCriteria"], now)
    return {}


def _routing_criteria(given: Mapping[str, Any], now: datetime) -> Record:
    """RoutingCriteria as DescribeContact answers it for the input: the steps in order,
    the first active from now (its expiry counted from now), the others inactive."""
    steps = []
    for index, step in enumerate(given.get("Steps", [])):
        made: Record = {"Expression": step.get("Expression", {})}
        made["Status"] = "ACTIVE" if index == 0 else "INACTIVE"
        duration = step.get("Expiry", {}).get("DurationInSeconds")
        if duration is not None:
            made["Expiry"] = {"DurationInSeconds": duration}
            if index == 0:
                made["Expiry"]["ExpiryTimestamp"] = now + timedelta(seconds=duration)
        steps.append(made)
    return {"Steps": steps, "ActivationTimestamp": now, "Index": 0}


def update_contact_schedule(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    record = contact_of(instance, params["ContactId"])
    now = state.clock.now()
    scheduled = record.get("ScheduledTimestamp")
    if record["Channel"] != "TASK" or scheduled is None or scheduled <= now or _queued(record):
        raise ConnectError(
            "InvalidRequestException",
            "Only a scheduled task that has not started can be rescheduled",
        )
    _check_schedule(params["ScheduledTime"], now)
    record["ScheduledTimestamp"] = params["ScheduledTime"]
    stamp(state, record)
    return {}


def start_task_contact(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    return once(instance, "StartTaskContact", params, lambda: _start_task(state, instance, params))


def _start_task(
    state: EmulatorState, instance: Instance, params: Mapping[str, Any]
) -> dict[str, Any]:
    flows = [n for n in ("ContactFlowId", "QuickConnectId", "TaskTemplateId") if params.get(n)]
    if len(flows) != 1:
        raise ConnectError(
            "InvalidRequestException",
            "Specify exactly one of ContactFlowId, QuickConnectId and TaskTemplateId",
        )
    previous_id, related_id = params.get("PreviousContactId"), params.get("RelatedContactId")
    if previous_id and related_id:
        raise ConnectError(
            "InvalidRequestException", "Specify PreviousContactId or RelatedContactId, not both"
        )
    now = state.clock.now()
    if params.get("ScheduledTime") is not None:
        _check_schedule(params["ScheduledTime"], now)
    references = references_of(params.get("References", {}))
    record = new_contact(state.rng, instance, "TASK", "API", now)
    contact_id = record["Id"]
    record |= {"Name": params["Name"], "QueueInfo": {"Id": instance.directory.queues[0].id}}
    attributes = dict(params.get("Attributes", {}))
    if previous_id:
        previous = contact_of(instance, previous_id)
        linked = [
            c for c in instance.contacts.values() if c.get("PreviousContactId") == previous_id
        ]
        if sum(c["Channel"] == "TASK" for c in linked) >= _MAX_TASKS_PER_PREVIOUS:
            raise ConnectError(
                "ServiceQuotaExceededException",
                f"There are already {_MAX_TASKS_PER_PREVIOUS} tasks with this PreviousContactId",
            )
        record["PreviousContactId"] = previous_id
        record["InitialContactId"] = chain_key(previous)
        key = chain_key(previous)
        attributes = {**instance.attributes.get(key, {}), **attributes}
        instance.attributes[key] = attributes
        for other in instance.contacts.values():
            if chain_key(other) == key:
                other["Attributes"] = dict(attributes)
    elif related_id:
        related = contact_of(instance, related_id)
        record["RelatedContactId"] = related_id
        attributes = {**instance.attributes.get(chain_key(related), {}), **attributes}
    if not previous_id:
        instance.attributes[contact_id] = attributes
    record["Attributes"] = dict(attributes)
    for name in ("Description", "SegmentAttributes"):
        if params.get(name):
            record[name] = params[name]
    if params.get("ScheduledTime") is not None:
        record["ScheduledTimestamp"] = params["ScheduledTime"]
    if params.get("TaskTemplateId"):
        template = params["TaskTemplateId"]
        record["TaskTemplateInfo"] = {
            "Id": template, "Arn": f"{instance.arn}/task-template/{template}", "Name": template
        }  # fmt: skip
    instance.contacts[contact_id] = record
    if references:
        instance.references[contact_id] = references
    state.announce(instance, record, INITIATED, now)
    state.lifecycle.plan(instance, record)
    return {"ContactId": contact_id}


def transfer_contact(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    return once(instance, "TransferContact", params, lambda: _transfer(state, instance, params))


def _transfer(
    state: EmulatorState, instance: Instance, params: Mapping[str, Any]
) -> dict[str, Any]:
    record = contact_of(instance, params["ContactId"])
    if record["Channel"] not in _PAUSABLE:
        raise ConnectError(
            "InvalidRequestException", "Only TASK and EMAIL contacts can be transferred"
        )
    if "DisconnectTimestamp" in record:
        raise ConnectError("InvalidRequestException", "The contact has ended")
    queue, user = params.get("QueueId"), params.get("UserId")
    if bool(queue) == bool(user):
        raise ConnectError("InvalidRequestException", "Specify one of QueueId and UserId")
    if queue and not any(q.id == queue for q in instance.directory.queues):
        raise ConnectError("ResourceNotFoundException", "Queue not found")
    if user and not any(a.id == user for a in instance.directory.agents):
        raise ConnectError("ResourceNotFoundException", "User not found")
    now = state.clock.now()
    moved = new_contact(state.rng, instance, record["Channel"], "TRANSFER", now)
    contact_id = moved["Id"]
    moved |= {
        "PreviousContactId": record["Id"],
        "InitialContactId": chain_key(record),
        "QueueInfo": {"Id": queue or instance.directory.queues[0].id},
    }
    for member in ("Name", "Description", "Attributes", "CustomerEndpoint"):
        if member in record:
            moved[member] = record[member]
    record["DisconnectTimestamp"] = now
    record["DisconnectReason"] = "TRANSFERRED"
    stamp(state, record)
    instance.contacts[contact_id] = moved
    state.announce(instance, record, DISCONNECTED, now)
    state.announce(instance, moved, INITIATED, now)
    state.lifecycle.plan(instance, record)
    state.lifecycle.plan(instance, moved)
    return {"ContactId": contact_id, "ContactArn": moved["Arn"]}


def stop_contact(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    record = instance.contacts.get(params["ContactId"])
    if record is None or "DisconnectTimestamp" in record:
        raise ConnectError(
            "ContactNotFoundException", "The contact is not active or does not exist"
        )
    now = stamp(state, record)
    record["DisconnectTimestamp"] = now
    record["DisconnectReason"] = "API"
    info = record.get("AgentInfo") or {}
    if "ConnectedToAgentTimestamp" in info:
        info["AfterContactWorkStartTimestamp"] = now
    state.announce(instance, record, DISCONNECTED, now)
    state.lifecycle.plan(instance, record)
    return {}


def pause_contact(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    record = _pausable(instance, params)
    if paused(record):
        raise ConnectError("ConflictException", "The contact is already paused")
    now = stamp(state, record)
    record["LastPausedTimestamp"] = now
    record["TotalPauseCount"] = record.get("TotalPauseCount", 0) + 1
    return {}


def resume_contact(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    record = _pausable(instance, params)
    if not paused(record):
        raise ConnectError("ConflictException", "The contact is not paused")
    now = stamp(state, record)
    pause = now - record["LastPausedTimestamp"]
    record["LastResumedTimestamp"] = now
    total = record.get("TotalPauseDurationInSeconds", 0) + int(pause.total_seconds())
    record["TotalPauseDurationInSeconds"] = total
    state.lifecycle.plan(instance, record)
    return {}


def _pausable(instance: Instance, params: Mapping[str, Any]) -> Record:
    record = contact_of(instance, params["ContactId"])
    if record["Channel"] not in _PAUSABLE:
        raise ConnectError("InvalidRequestException", "Only TASK and EMAIL contacts can be paused")
    if "DisconnectTimestamp" in record:
        raise ConnectError("InvalidRequestException", "The contact has ended")
    return record


def once(
    instance: Instance,
    operation: str,
    params: Mapping[str, Any],
    do: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """`do()`, once per ClientToken: the same token again answers the first call's answer."""
    token = params.get("ClientToken")
    if token is None:
        return do()
    done = instance.client_tokens.get(token)
    if done is not None:
        if done[0] != operation:
            raise ConnectError(
                "IdempotencyException", "The ClientToken was used for another request"
            )
        return dict(done[1])
    answer = do()
    instance.client_tokens[token] = (operation, answer)
    return answer


def _waiting(record: Mapping[str, Any]) -> bool:
    return (
        "DisconnectTimestamp" not in record
        and _queued(record)
        and "ConnectedToAgentTimestamp" not in record.get("AgentInfo", {})
    )


def _queued(record: Mapping[str, Any]) -> bool:
    return "EnqueueTimestamp" in record.get("QueueInfo", {})


def _check_schedule(at: datetime, now: datetime) -> None:
    if not now < at <= now + _LONGEST_SCHEDULE:
        raise ConnectError(
            "InvalidParameterException", "ScheduledTime must be in the future and within 6 days"
        )


WRITES: Mapping[str, Callable[[EmulatorState, Mapping[str, Any]], dict[str, Any]]] = {
    "TagContact": tag_contact,
    "UntagContact": untag_contact,
    "UpdateContactRoutingData": update_contact_routing_data,
    "UpdateContactSchedule": update_contact_schedule,
    "StartTaskContact": start_task_contact,
    "TransferContact": transfer_contact,
    "StopContact": stop_contact,
    "PauseContact": pause_contact,
    "ResumeContact": resume_contact,
}
