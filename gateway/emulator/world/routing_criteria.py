"""Routing criteria: the proficiency steps a queued contact goes through to find an agent.

A contact gets one of a few realistic shapes: language then skill steps, one attribute
widened to a proficiency range, trainees excluded, or an agent asked for (callbacks) or
excluded (tasks transferred on).
Each step but the last expired, and the last one joined the contact with its agent.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from gateway.core.records import Record
from gateway.emulator.world.agents import Agent
from gateway.emulator.world.timeline import ms

__all__ = ["excluding_agent", "preferred_agent", "routing_criteria"]


def routing_criteria(rng: random.Random, enqueue: datetime) -> Record:
    """Criteria activated when the contact entered its queue at `enqueue`."""
    shape = rng.choice((_language_then_skills, _widening_range, _no_trainees))
    return _criteria(shape(rng), enqueue)


def preferred_agent(agent: Agent, start: datetime) -> Record:
    """A callback's criteria: the agent the customer asked for."""
    condition = {"AttributeCondition": _agents(agent)}
    return _criteria([condition], ms(start + timedelta(seconds=5)), expiry=120)


def excluding_agent(agent: Agent, start: datetime) -> Record:
    """A transfer's criteria: anyone but the agent who handed the contact on."""
    condition = {"NotAttributeCondition": _agents(agent)}
    return _criteria([condition], ms(start + timedelta(seconds=2)))


def _criteria(expressions: list[Record], activated: datetime, expiry: int = 30) -> Record:
    steps: list[Record] = []
    moment = activated
    for index, expression in enumerate(expressions):
        step: Record = {"Expression": expression}
        if index < len(expressions) - 1:
            moment = ms(moment + timedelta(seconds=expiry))
            step["Expiry"] = {"DurationInSeconds": expiry, "ExpiryTimestamp": moment}
            step["Status"] = "EXPIRED"
        else:
            step["Status"] = "JOINED"
        steps.append(step)
    return {"Steps": steps, "ActivationTimestamp": activated, "Index": len(steps) - 1}


def _language_then_skills(rng: random.Random) -> list[Record]:
    language = _condition("Language", rng.choice(("Spanish", "French")), 4.0)
    either = [
        {"AttributeCondition": _condition("Skill", "Billing", 3.0)},
        {"AttributeCondition": _ranged("Skill", "Retention", 2.0, 5.0)},
    ]
    return [{"AndExpression": [{"AttributeCondition": language}]}, {"OrExpression": either}]


def _widening_range(rng: random.Random) -> list[Record]:
    technology = rng.choice(("Fiber", "Mobile", "Broadband"))
    return [
        {"AttributeCondition": _condition("Technology", technology, 4.0)},
        {"AttributeCondition": _ranged("Technology", technology, 1.0, 5.0)},
    ]


def _no_trainees(rng: random.Random) -> list[Record]:
    return [
        {"NotAttributeCondition": _condition("Skill", "Trainee", 1.0)},
        {"NotAttributeCondition": _ranged("Seniority", "Probation", 1.0, rng.choice((2.0, 3.0)))},
    ]


def _agents(agent: Agent) -> Record:
    return {
        "MatchCriteria": {"AgentsCriteria": {"AgentIds": [agent.id]}},
        "ComparisonOperator": "Match",
    }


def _condition(name: str, value: str, level: float) -> Record:
    return {
        "Name": name,
        "Value": value,
        "ProficiencyLevel": level,
        "ComparisonOperator": "NumberGreaterOrEqualTo",
    }


def _ranged(name: str, value: str, low: float, high: float) -> Record:
    return {
        "Name": name,
        "Value": value,
        "Range": {"MinProficiencyLevel": low, "MaxProficiencyLevel": high},
        "ComparisonOperator": "Range",
    }
