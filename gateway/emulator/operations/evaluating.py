"""The contact evaluation writes a quality tool makes, as Connect carries them out:

- StartContactEvaluation: a DRAFT evaluation of the contact on one of the instance's forms
  (unknown form or contact: ResourceNotFoundException), listed in the contact's
  ContactEvaluations as IN_PROGRESS; a ClientToken answers its first call's answer again.
- UpdateContactEvaluation: answers and notes merged into a DRAFT (a submitted one: 409
  ResourceConflictException); an answer or note must name a question or section of the
  form (InvalidParameterException).
- SubmitContactEvaluation: the same merge, then SUBMITTED with its scores by the form (as
  the seeded evaluations are scored), the contact's entry COMPLETE.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from gateway.emulator.operations.lookups import contact_of, instance_of
from gateway.emulator.operations.writes import once
from gateway.emulator.protocol.errors import ConnectError
from gateway.emulator.protocol.state import EmulatorState
from gateway.emulator.world.contacts import Record
from gateway.emulator.world.dataset import Instance
from gateway.emulator.world.evaluations import scores_of
from gateway.emulator.world.ids import new_id

__all__ = ["EVALUATING"]


def start_contact_evaluation(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)

    def start() -> dict[str, Any]:
        record = contact_of(instance, params["ContactId"])
        form = instance.evaluations.forms.get(params["EvaluationFormId"])
        if form is None:
            raise ConnectError("ResourceNotFoundException", "Evaluation form not found")
        now = state.clock.now()
        evaluation_id = new_id(state.rng)
        arn = f"{instance.arn}/contact-evaluation/{evaluation_id}"
        agent = record.get("AgentInfo", {}).get("Id")
        instance.evaluations.evaluations[evaluation_id] = {
            "EvaluationId": evaluation_id, "EvaluationArn": arn,
            "Metadata": {
                "ContactId": record["Id"], "ContactAgentId": agent, "Score": None,
                "EvaluatorArn": f"arn:aws:iam::{instance.account}:role/quality-tool",
            },
            "Answers": {}, "Notes": {}, "Status": "DRAFT", "Scores": {},
            "CreatedTime": now, "LastModifiedTime": now, "EvaluationType": "STANDARD",
            "FormId": form["EvaluationFormId"],
        }  # fmt: skip
        entries = record.setdefault("ContactEvaluations", {})
        entries[evaluation_id] = {
            "FormId": form["EvaluationFormId"], "EvaluationArn": arn,
            "Status": "IN_PROGRESS", "StartTimestamp": now,
        }  # fmt: skip
        return {"EvaluationId": evaluation_id, "EvaluationArn": arn}

    return once(instance, "StartContactEvaluation", params, start)


def update_contact_evaluation(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    evaluation = _draft(instance, params)
    _merge(instance, evaluation, params)
    evaluation["LastModifiedTime"] = _later(state, evaluation)
    return {
        "EvaluationId": evaluation["EvaluationId"],
        "EvaluationArn": evaluation["EvaluationArn"],
    }


def submit_contact_evaluation(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    evaluation = _draft(instance, params)
    _merge(instance, evaluation, params)
    now = _later(state, evaluation)
    form = instance.evaluations.forms[evaluation["FormId"]]
    scores, overall = scores_of(form, evaluation["Answers"])
    evaluation |= {"Status": "SUBMITTED", "Scores": scores, "LastModifiedTime": now}
    evaluation["Metadata"]["Score"] = overall
    record = instance.contacts.get(evaluation["Metadata"]["ContactId"])
    if record is not None:
        entry = record.setdefault("ContactEvaluations", {}).get(evaluation["EvaluationId"], {})
        entry |= {"Status": "COMPLETE", "EndTimestamp": now}
    return {
        "EvaluationId": evaluation["EvaluationId"],
        "EvaluationArn": evaluation["EvaluationArn"],
    }


def _later(state: EmulatorState, evaluation: Record) -> datetime:
    """Now, and at least a millisecond after the evaluation's last change (the clock may
    stand still): each version has a LastModifiedTime of its own, as in Connect."""
    last: datetime = evaluation["LastModifiedTime"]
    return max(state.clock.now(), last + timedelta(milliseconds=1))


def _draft(instance: Instance, params: Mapping[str, Any]) -> Record:
    evaluation = instance.evaluations.evaluations.get(params["EvaluationId"])
    if evaluation is None:
        raise ConnectError("ResourceNotFoundException", "Evaluation not found")
    if evaluation["Status"] != "DRAFT":
        raise ConnectError("ResourceConflictException", "The evaluation is already submitted")
    return evaluation


def _merge(instance: Instance, evaluation: Record, params: Mapping[str, Any]) -> None:
    form = instance.evaluations.forms[evaluation["FormId"]]
    sections = [item["Section"] for item in form["Items"]]
    questions = {q["Question"]["RefId"] for section in sections for q in section["Items"]}
    refs = questions | {section["RefId"] for section in sections}
    for member, allowed in (("Answers", questions), ("Notes", refs)):
        for ref in params.get(member) or {}:
            if ref not in allowed:
                raise ConnectError(
                    "InvalidParameterException", f"{member}: {ref!r} is not an item of the form"
                )
    evaluation["Answers"] |= params.get("Answers") or {}
    evaluation["Notes"] |= params.get("Notes") or {}


EVALUATING = {
    "StartContactEvaluation": start_contact_evaluation,
    "UpdateContactEvaluation": update_contact_evaluation,
    "SubmitContactEvaluation": submit_contact_evaluation,
}
