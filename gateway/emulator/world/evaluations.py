"""Contact evaluations: each instance's evaluation forms and the evaluations of its contacts,
which ListContactEvaluations and DescribeContactEvaluation answer.

The evaluations are those the contacts' `ContactEvaluations` name (seeded in
`gateway.emulator.world.analytics`), answered from their own RNG so that the rest of the dataset
stays as it was: each entry's FormId is set to one of the instance's two forms, and about
half of the evaluated contacts get one to three more evaluations (by other evaluators),
also added to their `ContactEvaluations`. An entry COMPLETE is SUBMITTED, IN_PROGRESS is a
DRAFT (with some questions unanswered), DELETED is neither listed nor described (404).
Scores follow the form: a question's percentage is its option's score over the best
option's; a section's the weighted mean of its answered questions'; the evaluation's the
weighted mean of its sections', or 0 with AutomaticFail when an automatic-fail option was
chosen.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gateway.core.records import Record
from gateway.emulator.world.directory import Directory
from gateway.emulator.world.ids import new_id
from gateway.emulator.world.timeline import ms

__all__ = [
    "EVALUATIONS_PAGE_SIZE",
    "Evaluations",
    "evaluation_summary",
    "scores_of",
    "seed_evaluations",
]


EVALUATIONS_PAGE_SIZE = 2
"""ListContactEvaluations' page size (it takes no MaxResults): small, so that clients'
paging is exercised."""

_STATUS = {"COMPLETE": "SUBMITTED", "IN_PROGRESS": "DRAFT"}
_YES_NO = (("yes", "Yes", 10), ("no", "No", 0))


def _single(
    ref: str,
    title: str,
    options: Sequence[tuple[str, str, int]],
    weight: float,
    *,
    fail: str | None = None,
    instructions: str | None = None,
) -> Record:
    return {
        "Question": {
            "Title": title,
            "Instructions": instructions,
            "RefId": ref,
            "NotApplicableEnabled": fail is None,
            "QuestionType": "SINGLESELECT",
            "QuestionTypeProperties": {
                "SingleSelect": {
                    "Options": [
                        {"RefId": f"{ref}-{key}", "Text": text, "Score": score}
                        | ({"AutomaticFail": True} if key == fail else {})
                        for key, text, score in options
                    ],
                    "DisplayAs": "RADIO",
                }
            },
            "Weight": weight,
        }
    }


def _numeric(ref: str, title: str, weight: float) -> Record:
    options = [
        {"MinValue": 1, "MaxValue": 2, "Score": 0},
        {"MinValue": 3, "MaxValue": 3, "Score": 5},
        {"MinValue": 4, "MaxValue": 5, "Score": 10},
    ]
    properties = {"Numeric": {"MinValue": 1, "MaxValue": 5, "Options": options}}
    return {
        "Question": {
            "Title": title,
            "RefId": ref,
            "NotApplicableEnabled": False,
            "QuestionType": "NUMERIC",
            "QuestionTypeProperties": properties,
            "Weight": weight,
        }
    }


def _text(ref: str, title: str) -> Record:
    return {"Question": {"Title": title, "RefId": ref, "QuestionType": "TEXT", "Weight": 0.0}}


def _section(ref: str, title: str, weight: float, items: list[Record]) -> Record:
    return {"Section": {"Title": title, "RefId": ref, "Weight": weight, "Items": items}}


_FORMS: tuple[tuple[str, str, list[Record]], ...] = (
    (
        "Customer Service Quality",
        "Greeting, verification and resolution on customer service contacts.",
        [
            _section(
                "greeting",
                "Greeting",
                40.0,
                [
                    _single(
                        "greet",
                        "Did the agent greet the customer and give their name?",
                        _YES_NO,
                        50.0,
                    ),
                    _single(
                        "verify",
                        "Did the agent verify the customer's identity?",
                        _YES_NO,
                        50.0,
                        fail="no",
                        instructions="Name and card on the account, before any change.",
                    ),
                ],
            ),
            _section(
                "resolution",
                "Resolution",
                60.0,
                [
                    _single(
                        "resolved",
                        "Was the issue resolved on this contact?",
                        (("yes", "Yes", 10), ("partly", "Partially", 5), ("no", "No", 0)),
                        60.0,
                    ),
                    _numeric("empathy", "How well did the agent show empathy (1-5)?", 40.0),
                    _text("coaching", "Coaching notes"),
                ],
            ),
        ],
    ),
    (
        "Sales Call Review",
        "Needs discovery and offer on sales and retention contacts.",
        [
            _section(
                "discovery",
                "Discovery",
                50.0,
                [
                    _single(
                        "needs", "Did the agent ask about the customer's needs?", _YES_NO, 100.0
                    ),
                ],
            ),
            _section(
                "offer",
                "Offer",
                50.0,
                [
                    _single("offer-made", "Did the agent make a relevant offer?", _YES_NO, 60.0),
                    _numeric("clarity", "How clear was the offer (1-5)?", 40.0),
                ],
            ),
        ],
    ),
)


@dataclass(frozen=True)
class Evaluations:
    """An instance's evaluation forms (by form ID) and evaluations (by evaluation ID)."""

    forms: Mapping[str, Record]
    evaluations: dict[str, Record]

    def of_contact(self, contact_id: str) -> list[Record]:
        found = [e for e in self.evaluations.values() if e["Metadata"]["ContactId"] == contact_id]
        return sorted(found, key=lambda evaluation: evaluation["CreatedTime"])


def seed_evaluations(
    rng: random.Random, arn: str, directory: Directory, records: Iterable[Record]
) -> Evaluations:
    """The instance's forms and its contacts' evaluations (see the module's docstring)."""
    forms = {}
    for version, (title, description, items) in enumerate(_FORMS, start=2):
        form_id = new_id(rng)
        forms[form_id] = {
            "EvaluationFormVersion": version,
            "EvaluationFormId": form_id,
            "EvaluationFormArn": f"{arn}/evaluation-form/{form_id}",
            "Title": title,
            "Description": description,
            "Items": items,
            "ScoringStrategy": {"Mode": "QUESTION_ONLY", "Status": "ENABLED"},
        }
    evaluations: dict[str, Record] = {}
    form_ids = list(forms)
    for record in records:
        entries = record.get("ContactEvaluations")
        if not entries:
            continue
        first = next(iter(entries.values()))
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            evaluation_id = new_id(rng)
            started = ms(first["StartTimestamp"] + timedelta(hours=rng.uniform(1, 30)))
            entries[evaluation_id] = {
                "FormId": "",
                "EvaluationArn": f"{arn}/contact-evaluation/{evaluation_id}",
                "Status": rng.choice(("COMPLETE", "COMPLETE", "IN_PROGRESS")),
                "StartTimestamp": started,
                "ExportLocation": f"s3://example-connect-evaluations/{evaluation_id}.json",
            }
            if entries[evaluation_id]["Status"] == "COMPLETE":
                end = started + timedelta(minutes=rng.uniform(5, 30))
                entries[evaluation_id]["EndTimestamp"] = ms(end)
        for evaluation_id, entry in entries.items():
            entry["FormId"] = rng.choice(form_ids)
            if entry["Status"] in _STATUS:
                agent_id = record.get("AgentInfo", {}).get("Id")
                evaluator = rng.choice([a for a in directory.agents[:5] if a.id != agent_id])
                form = forms[entry["FormId"]]
                evaluations[evaluation_id] = _evaluation(
                    rng, arn, record, evaluation_id, entry, form, f"{arn}/agent/{evaluator.id}"
                )
    return Evaluations(forms, evaluations)


def _evaluation(
    rng: random.Random,
    arn: str,
    record: Mapping[str, Any],
    evaluation_id: str,
    entry: Mapping[str, Any],
    form: Mapping[str, Any],
    evaluator: str,
) -> Record:
    status = _STATUS[entry["Status"]]
    answers: dict[str, Record] = {}
    notes: dict[str, Record] = {}
    for item in form["Items"]:
        section = item["Section"]
        for question_item in section["Items"]:
            question = question_item["Question"]
            if status == "DRAFT" and rng.random() < 0.4:
                continue
            answers[question["RefId"]] = {"Value": _answer(rng, question)}
        if rng.random() < 0.3:
            notes[section["RefId"]] = {"Value": rng.choice(_NOTES)}
    scores, overall = scores_of(form, answers)  # as a submitted evaluation is scored
    created: datetime = entry["StartTimestamp"]
    agent_id = record.get("AgentInfo", {}).get("Id")
    metadata: Record = {
        "ContactId": record["Id"],
        "EvaluatorArn": evaluator,
        "ContactAgentId": agent_id,
        "Score": overall if status == "SUBMITTED" else None,
    }
    if agent_id is not None:
        metadata["ContactParticipant"] = {
            "ContactParticipantRole": "AGENT",
            "ContactParticipantId": agent_id,
        }
    return {
        "EvaluationId": evaluation_id,
        "EvaluationArn": entry["EvaluationArn"],
        "Metadata": metadata,
        "Answers": answers,
        "Notes": notes,
        "Status": status,
        "Scores": scores if status == "SUBMITTED" else {},
        "CreatedTime": created,
        "LastModifiedTime": entry.get("EndTimestamp", created),
        "EvaluationType": "STANDARD",
        "FormId": form["EvaluationFormId"],
    }


_NOTES = (
    "Good rapport, clear next steps.",
    "Remember to confirm the customer's identity before any change.",
    "Long hold while checking the account; explain the wait.",
)


def _answer(rng: random.Random, question: Mapping[str, Any]) -> Record:
    """An answer to `question`, drawn from `rng`."""
    kind = question["QuestionType"]
    properties = question.get("QuestionTypeProperties", {})
    if kind == "TEXT":
        return {"StringValue": rng.choice(_NOTES)}
    if kind == "NUMERIC":
        return {"NumericValue": float(rng.choice((2, 3, 4, 4, 5, 5)))}
    if question.get("NotApplicableEnabled") and rng.random() < 0.1:
        return {"NotApplicable": True}
    options = properties["SingleSelect"]["Options"]
    option = rng.choices(options, weights=[6, 3, 1][: len(options)])[0]
    return {"StringValue": option["RefId"]}


def scores_of(form: Mapping[str, Any], answers: Mapping[str, Any]) -> tuple[Record, Record]:
    """The scores of a submitted evaluation's `answers` (RefId: {"Value": ...}) by the
    form, as the seeded ones are scored: each question's, each section's, and the whole's."""
    scores: dict[str, Record] = {}
    sections: list[tuple[float, Record]] = []
    failed = False
    for item in form["Items"]:
        section = item["Section"]
        weighted: list[tuple[float, float]] = []
        for question_item in section["Items"]:
            question = question_item["Question"]
            value = answers.get(question["RefId"], {}).get("Value", {})
            score, fail = _score(question, value)
            failed = failed or fail
            if score is not None:
                scores[question["RefId"]] = {"Percentage": score, "AutomaticFail": fail}
                weighted.append((question["Weight"], score))
            elif value.get("NotApplicable"):
                scores[question["RefId"]] = {"NotApplicable": True}
        scores[section["RefId"]] = _mean(weighted)
        sections.append((section["Weight"], scores[section["RefId"]]))
    overall = _mean([(w, s["Percentage"]) for w, s in sections if "Percentage" in s])
    return scores, {"Percentage": 0.0, "AutomaticFail": True} if failed else overall


def _score(question: Mapping[str, Any], value: Mapping[str, Any]) -> tuple[float | None, bool]:
    properties = question.get("QuestionTypeProperties", {})
    if question["QuestionType"] == "NUMERIC" and "NumericValue" in value:
        options = properties["Numeric"]["Options"]
        best = max(option["Score"] for option in options)
        number = value["NumericValue"]
        score = next((o["Score"] for o in options if o["MinValue"] <= number <= o["MaxValue"]), 0)
        return round(100.0 * score / best, 2), False
    if question["QuestionType"] == "SINGLESELECT" and "StringValue" in value:
        options = properties["SingleSelect"]["Options"]
        chosen = next((o for o in options if o["RefId"] == value["StringValue"]), None)
        if chosen is None:
            return None, False
        best = max(item["Score"] for item in options)
        return round(100.0 * chosen["Score"] / best, 2), bool(chosen.get("AutomaticFail"))
    return None, False


def _mean(weighted: Sequence[tuple[float, float]]) -> Record:
    total = sum(weight for weight, _ in weighted)
    if not weighted or total == 0:
        return {"NotApplicable": True}
    return {"Percentage": round(sum(w * s for w, s in weighted) / total, 2)}


def evaluation_summary(evaluation: Mapping[str, Any], form: Mapping[str, Any]) -> Record:
    """The EvaluationSummary ListContactEvaluations lists for `evaluation`."""
    metadata = evaluation["Metadata"]
    return {
        "EvaluationId": evaluation["EvaluationId"],
        "EvaluationArn": evaluation["EvaluationArn"],
        "EvaluationFormTitle": form["Title"],
        "EvaluationFormId": form["EvaluationFormId"],
        "Status": evaluation["Status"],
        "EvaluatorArn": metadata["EvaluatorArn"],
        "Score": metadata.get("Score"),
        "EvaluationType": evaluation["EvaluationType"],
        "CreatedTime": evaluation["CreatedTime"],
        "LastModifiedTime": evaluation["LastModifiedTime"],
        "ContactParticipant": metadata.get("ContactParticipant"),
    }
