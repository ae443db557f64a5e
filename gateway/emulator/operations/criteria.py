"""SearchContacts' SearchCriteria: whether one contact matches them.

Every criterion given must match (an empty list is no criterion). Within one, a list of
values matches any of them. Where a criterion has a MatchType, it combines the parts:
MATCH_ALL (the default), MATCH_ANY, MATCH_NONE; MATCH_EXACT combines like MATCH_ALL, and
compares whole texts rather than contained ones. Texts match case-insensitively, attribute
values exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from gateway.emulator.protocol.errors import ConnectError
from gateway.emulator.world.contacts import Record
from gateway.emulator.world.dataset import DEMO_REGION, Instance

__all__ = ["contact_timestamp", "in_range", "matches"]

Check = Callable[[Any, Record, Instance], bool]

_TASK_LIFETIME = timedelta(days=7)
_UUID = re.compile(r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}")


def matches(criteria: Mapping[str, Any], record: Record, instance: Instance) -> bool:
    """Whether `record` matches every criterion in `criteria` (a SearchCriteria)."""
    for name, value in criteria.items():
        check = _CHECKS.get(name)
        if check is None:
            message = f"The emulator does not support SearchCriteria.{name}"
            raise ConnectError("InvalidRequestException", message)
        if not check(value, record, instance):
            return False
    return True


def contact_timestamp(record: Record, kind: str) -> datetime | None:
    """The contact's timestamp of `kind` (a time range type or sort field), if it has one."""
    found: Any
    if kind == "CONNECTED_TO_AGENT_TIMESTAMP":
        found = record.get("AgentInfo", {}).get("ConnectedToAgentTimestamp")
    elif kind == "ENQUEUE_TIMESTAMP":
        found = record.get("QueueInfo", {}).get("EnqueueTimestamp")
    elif kind == "EXPIRY_TIMESTAMP":
        found = _expiry(record)
    else:
        member = {"INITIATION": "Initiation", "SCHEDULED": "Scheduled", "DISCONNECT": "Disconnect"}
        found = record.get(f"{member[kind.removesuffix('_TIMESTAMP')]}Timestamp")
    return found if isinstance(found, datetime) else None


def in_range(time_range: Mapping[str, Any], record: Record) -> bool:
    """Whether the contact's timestamp of the range's Type is within it, ends included."""
    moment = contact_timestamp(record, time_range["Type"])
    return moment is not None and time_range["StartTime"] <= moment <= time_range["EndTime"]


def _expiry(record: Record) -> datetime | None:
    """When a task expires: after its ContactExpiry duration, else Connect's default 7 days."""
    if record["Channel"] != "TASK":
        return None
    expiry = record.get("SegmentAttributes", {}).get("connect:ContactExpiry", {})
    minutes = expiry.get("ValueMap", {}).get("ExpiryDuration", {}).get("ValueInteger")
    lifetime = _TASK_LIFETIME if minutes is None else timedelta(minutes=minutes)
    start: datetime = record["InitiationTimestamp"]
    return start + lifetime


def _combine(match_type: str | None, results: Iterable[bool]) -> bool:
    if match_type == "MATCH_ANY":
        return any(results)
    if match_type == "MATCH_NONE":
        return not any(results)
    return all(results)


def _texts(search: Iterable[str], candidates: Iterable[str], match_type: str) -> bool:
    said = [candidate.casefold() for candidate in candidates]
    wanted = [text.casefold() for text in search]
    if match_type == "MATCH_EXACT":
        return any(text in said for text in wanted)
    return _combine(match_type, (any(text in line for line in said) for text in wanted))


def _one_of(member: str) -> Check:
    return lambda values, record, _: not values or record.get(member) in values


def _queue(values: list[str], record: Record, _: Instance) -> bool:
    return not values or record.get("QueueInfo", {}).get("Id") in values


def _agent(values: list[str], record: Record, _: Instance) -> bool:
    return not values or record.get("AgentInfo", {}).get("Id") in values


def _hierarchy(levels: Mapping[str, list[str]], record: Record, _: Instance) -> bool:
    groups = record.get("AgentInfo", {}).get("HierarchyGroups", {})
    for key, wanted in levels.items():
        arn = groups.get(f"Level{key[1]}", {}).get("Arn", "")
        if wanted and arn.rsplit("/", 1)[-1] not in wanted:
            return False
    return True


def _name(criteria: Mapping[str, Any], record: Record, _: Instance) -> bool:
    return _texts(criteria["SearchText"], [record.get("Name", "")], criteria["MatchType"])


def _contact_attributes(criteria: Mapping[str, Any], record: Record, _: Instance) -> bool:
    attributes = record.get("Attributes", {})
    found = (attributes.get(c["Key"]) in c["Values"] for c in criteria["Criteria"])
    return _combine(criteria.get("MatchType"), found)


def _segment_attributes(criteria: Mapping[str, Any], record: Record, _: Instance) -> bool:
    segment = record.get("SegmentAttributes", {})
    found = (_segment_text(segment.get(c["Key"], {})) in c["Values"] for c in criteria["Criteria"])
    return _combine(criteria.get("MatchType"), found)


def _segment_text(value: Mapping[str, Any]) -> str | None:
    for member in ("ValueString", "ValueArn"):
        if member in value:
            return str(value[member])
    return str(value["ValueInteger"]) if "ValueInteger" in value else None


def _tags(tag_filter: Mapping[str, Any], record: Record, _: Instance) -> bool:
    tags = record.get("Tags", {})

    def holds(condition: Mapping[str, str]) -> bool:
        key, value = condition.get("TagKey"), condition.get("TagValue")
        return key in tags and (value is None or tags[key] == value)

    found = []
    if "OrConditions" in tag_filter:
        found.append(any(all(map(holds, group)) for group in tag_filter["OrConditions"]))
    if "AndConditions" in tag_filter:
        found.append(all(map(holds, tag_filter["AndConditions"])))
    if "TagCondition" in tag_filter:
        found.append(holds(tag_filter["TagCondition"]))
    return all(found)


def _routing(criteria: Mapping[str, Any], record: Record, _: Instance) -> bool:
    """Preferred agents: those the contact's routing steps ask for (not those they exclude)."""
    steps = record.get("RoutingCriteria", {}).get("Steps", [])
    preferred = {agent for step in steps for agent in _asked_for(step.get("Expression", {}))}
    for step in criteria.get("Steps", []):
        wanted = step.get("AgentCriteria")
        if wanted is None:
            continue
        ids = set(wanted.get("AgentIds", []))
        match_type = wanted.get("MatchType", "MATCH_ALL")
        if match_type == "MATCH_EXACT":
            found = ids == preferred
        else:
            found = _combine(match_type, (agent in preferred for agent in ids))
        if not found:
            return False
    return True


def _asked_for(expression: Mapping[str, Any]) -> list[str]:
    condition = expression.get("AttributeCondition", {})
    agents = list(condition.get("MatchCriteria", {}).get("AgentsCriteria", {}).get("AgentIds", []))
    for inner in (*expression.get("AndExpression", []), *expression.get("OrExpression", [])):
        agents += _asked_for(inner)
    return agents


def _additional_time(criteria: Mapping[str, Any], record: Record, _: Instance) -> bool:
    def holds(criterion: Mapping[str, Any]) -> bool:
        found = []
        if "TimeRange" in criterion:
            found.append(in_range(criterion["TimeRange"], record))
        condition = criterion.get("TimestampCondition")
        if condition is not None:
            found.append(contact_timestamp(record, condition["Type"]) is None)
        return all(found)

    return _combine(criteria["MatchType"], map(holds, criteria["Criteria"]))


def _regions(regions: list[str], record: Record, _: Instance) -> bool:
    active = record.get("GlobalResiliencyMetadata", {}).get("ActiveRegion", DEMO_REGION)
    return not regions or active in regions


def _analysis(analysis: Mapping[str, Any], record: Record, instance: Instance) -> bool:
    transcript = instance.transcripts.get(record["Id"])
    wanted = analysis.get("Transcript")
    if wanted is None:
        return True
    if transcript is None:
        return False
    found = (
        _texts(c["SearchText"], transcript.get(c["ParticipantRole"], ()), c["MatchType"])
        for c in wanted["Criteria"]
    )
    return _combine(wanted.get("MatchType"), found)


def _ai_agents(criteria: Mapping[str, Any], record: Record, _: Instance) -> bool:
    agents = record.get("WisdomInfo", {}).get("AiAgents", [])
    return all(
        any(_ai_agent_holds(wanted, agent) for agent in agents) for wanted in criteria["Criteria"]
    )


def _ai_agent_holds(wanted: Mapping[str, Any], agent: Mapping[str, Any]) -> bool:
    agent_id, _, version = str(agent.get("AiAgentVersionId", "")).partition(":")
    if "Id" in wanted:
        ids = _UUID.findall(wanted["Id"])
        if not ids or ids[-1] != agent_id:
            return False
    if "VersionNumber" in wanted and str(wanted["VersionNumber"]) != version:
        return False
    return all(
        wanted[key] == agent.get(key) for key in ("AiAgentEscalated", "AiUseCase") if key in wanted
    )


_CHECKS: Mapping[str, Check] = {
    "Name": _name,
    "AgentIds": _agent,
    "AgentHierarchyGroups": _hierarchy,
    "Channels": _one_of("Channel"),
    "ContactAnalysis": _analysis,
    "InitiationMethods": _one_of("InitiationMethod"),
    "QueueIds": _queue,
    "RoutingCriteria": _routing,
    "AdditionalTimeRange": _additional_time,
    "SearchableContactAttributes": _contact_attributes,
    "SearchableSegmentAttributes": _segment_attributes,
    "ActiveRegions": _regions,
    "ContactTags": _tags,
    "AiAgents": _ai_agents,
}
