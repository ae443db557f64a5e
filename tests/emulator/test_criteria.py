"""SearchContacts' criteria, one by one, through real boto3: each search finds exactly the
demo contacts that a plain reading of their records says it should."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from gateway.emulator.world.channels import ai_agent_id
from gateway.emulator.world.dataset import NOW
from tests.emulator.searching import DEMO, Record, search_all, timestamp, window

Case = tuple[dict[str, Any], Callable[[Record], bool]]

AGENTS = DEMO.directory.agents
QUEUES = {queue.name: queue.id for queue in DEMO.directory.queues}
DEEP = next(agent for agent in AGENTS if len(agent.hierarchy_arns) == 5)
SELF_SERVICE = ai_agent_id(DEMO.arn, "SelfService")
ASSISTANT = ai_agent_id(DEMO.arn, "AgentAssistance")
WISDOM = "arn:aws:wisdom:us-east-1:111122223333"


def group_id(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


def level(record: Record, number: int) -> str | None:
    arn = (
        record.get("AgentInfo", {}).get("HierarchyGroups", {}).get(f"Level{number}", {}).get("Arn")
    )
    return group_id(arn) if arn else None


def name(record: Record) -> str:
    return str(record.get("Name", "")).lower()


def attribute(record: Record, key: str) -> str | None:
    return record.get("Attributes", {}).get(key)


def tag(record: Record, key: str) -> str | None:
    return record.get("Tags", {}).get(key)


def preferred(record: Record) -> set[str]:
    steps = record.get("RoutingCriteria", {}).get("Steps", [])
    conditions = [step["Expression"].get("AttributeCondition", {}) for step in steps]
    return {
        a
        for c in conditions
        for a in c.get("MatchCriteria", {}).get("AgentsCriteria", {}).get("AgentIds", [])
    }


def said(record: Record, role: str) -> str:
    return " ".join(DEMO.transcripts.get(record["Id"], {}).get(role, ())).lower()


def ai_agents(record: Record) -> list[Record]:
    agents: list[Record] = record.get("WisdomInfo", {}).get("AiAgents", [])
    return agents


CALLBACK_AGENT = next(agent for r in DEMO.contacts.values() for agent in preferred(r))

CASES: dict[str, Case] = {
    "channels": ({"Channels": ["CHAT", "EMAIL"]}, lambda r: r["Channel"] in ("CHAT", "EMAIL")),
    "initiation methods": (
        {"InitiationMethods": ["TRANSFER", "CALLBACK"]},
        lambda r: r["InitiationMethod"] in ("TRANSFER", "CALLBACK"),
    ),
    "queues": (
        {"QueueIds": [QUEUES["Billing"], QUEUES["Sales"]]},
        lambda r: r.get("QueueInfo", {}).get("Id") in (QUEUES["Billing"], QUEUES["Sales"]),
    ),
    "agents": (
        {"AgentIds": [AGENTS[0].id, AGENTS[1].id]},
        lambda r: r.get("AgentInfo", {}).get("Id") in (AGENTS[0].id, AGENTS[1].id),
    ),
    "hierarchy level 4": (
        {"AgentHierarchyGroups": {"L4Ids": [group_id(DEEP.hierarchy_arns[3])]}},
        lambda r: level(r, 4) == group_id(DEEP.hierarchy_arns[3]),
    ),
    "hierarchy levels 1 and 5": (
        {
            "AgentHierarchyGroups": {
                "L1Ids": [group_id(DEEP.hierarchy_arns[0])],
                "L5Ids": [group_id(DEEP.hierarchy_arns[4])],
            }
        },
        lambda r: level(r, 5) == group_id(DEEP.hierarchy_arns[4]),
    ),
    "name, any": (
        {"Name": {"SearchText": ["Invoice", "router"], "MatchType": "MATCH_ANY"}},
        lambda r: "invoice" in name(r) or "router" in name(r),
    ),
    "name, all": (
        {"Name": {"SearchText": ["re:", "INVOICE"], "MatchType": "MATCH_ALL"}},
        lambda r: "re:" in name(r) and "invoice" in name(r),
    ),
    "name, exact": (
        {"Name": {"SearchText": ["replace damaged router"], "MatchType": "MATCH_EXACT"}},
        lambda r: name(r) == "replace damaged router",
    ),
    "name, none": (
        {"Name": {"SearchText": ["invoice"], "MatchType": "MATCH_NONE"}},
        lambda r: "invoice" not in name(r),
    ),
    "contact attributes, all": (
        {
            "SearchableContactAttributes": {
                "Criteria": [
                    {"Key": "customerTier", "Values": ["gold", "platinum"]},
                    {"Key": "language", "Values": ["en-US"]},
                ],
                "MatchType": "MATCH_ALL",
            }
        },
        lambda r: (
            attribute(r, "customerTier") in ("gold", "platinum")
            and attribute(r, "language") == "en-US"
        ),
    ),
    "contact attributes, any": (
        {
            "SearchableContactAttributes": {
                "Criteria": [
                    {"Key": "intent", "Values": ["billing"]},
                    {"Key": "customerTier", "Values": ["platinum"]},
                ],
                "MatchType": "MATCH_ANY",
            }
        },
        lambda r: attribute(r, "intent") == "billing" or attribute(r, "customerTier") == "platinum",
    ),
    "segment attributes": (
        {
            "SearchableSegmentAttributes": {
                "Criteria": [{"Key": "connect:Subtype", "Values": ["connect:Chat", "connect:SMS"]}]
            }
        },
        lambda r: (
            r.get("SegmentAttributes", {}).get("connect:Subtype", {}).get("ValueString")
            in ("connect:Chat", "connect:SMS")
        ),
    ),
    "tag condition": (
        {"ContactTags": {"TagCondition": {"TagKey": "Department", "TagValue": "sales"}}},
        lambda r: tag(r, "Department") == "sales",
    ),
    "tag and-conditions": (
        {
            "ContactTags": {
                "AndConditions": [
                    {"TagKey": "Department", "TagValue": "care"},
                    {"TagKey": "CostCenter", "TagValue": "cc-4410"},
                ]
            }
        },
        lambda r: tag(r, "Department") == "care" and tag(r, "CostCenter") == "cc-4410",
    ),
    "tag or-conditions": (
        {
            "ContactTags": {
                "OrConditions": [
                    [{"TagKey": "Department", "TagValue": "care"}, {"TagKey": "CostCenter"}],
                    [{"TagKey": "Department", "TagValue": "nobody"}],
                ]
            }
        },
        lambda r: tag(r, "Department") == "care",
    ),
    "routing criteria": (
        {
            "RoutingCriteria": {
                "Steps": [
                    {"AgentCriteria": {"AgentIds": [CALLBACK_AGENT], "MatchType": "MATCH_ANY"}}
                ]
            }
        },
        lambda r: CALLBACK_AGENT in preferred(r),
    ),
    "still active": (
        {
            "AdditionalTimeRange": {
                "Criteria": [
                    {
                        "TimestampCondition": {
                            "Type": "DISCONNECT_TIMESTAMP",
                            "ConditionType": "NOT_EXISTS",
                        }
                    }
                ],
                "MatchType": "MATCH_ALL",
            }
        },
        lambda r: "DisconnectTimestamp" not in r,
    ),
    "additional time ranges, any": (
        {
            "AdditionalTimeRange": {
                "Criteria": [
                    {
                        "TimeRange": window(
                            "CONNECTED_TO_AGENT_TIMESTAMP", NOW - timedelta(hours=20), NOW
                        )
                    },
                    {
                        "TimestampCondition": {
                            "Type": "ENQUEUE_TIMESTAMP",
                            "ConditionType": "NOT_EXISTS",
                        }
                    },
                ],
                "MatchType": "MATCH_ANY",
            }
        },
        lambda r: (
            (
                (moment := timestamp(r, "CONNECTED_TO_AGENT_TIMESTAMP")) is not None
                and moment >= NOW - timedelta(hours=20)
            )
            or timestamp(r, "ENQUEUE_TIMESTAMP") is None
        ),
    ),
    "active region elsewhere": (
        {"ActiveRegions": ["us-west-2"]},
        lambda r: r.get("GlobalResiliencyMetadata", {}).get("ActiveRegion") == "us-west-2",
    ),
    "transcript, any": (
        {
            "ContactAnalysis": {
                "Transcript": {
                    "Criteria": [
                        {
                            "ParticipantRole": "CUSTOMER",
                            "SearchText": ["charged twice", "faster plan"],
                            "MatchType": "MATCH_ANY",
                        }
                    ]
                }
            }
        },
        lambda r: "charged twice" in said(r, "CUSTOMER") or "faster plan" in said(r, "CUSTOMER"),
    ),
    "transcript, all criteria": (
        {
            "ContactAnalysis": {
                "Transcript": {
                    "Criteria": [
                        {
                            "ParticipantRole": "CUSTOMER",
                            "SearchText": ["log in"],
                            "MatchType": "MATCH_ALL",
                        },
                        {
                            "ParticipantRole": "AGENT",
                            "SearchText": ["spam"],
                            "MatchType": "MATCH_ANY",
                        },
                    ],
                    "MatchType": "MATCH_ALL",
                }
            }
        },
        lambda r: "log in" in said(r, "CUSTOMER") and "spam" in said(r, "AGENT"),
    ),
    "escalated AI agent": (
        {"AiAgents": {"Criteria": [{"Id": SELF_SERVICE, "AiAgentEscalated": True}]}},
        lambda r: any(
            a["AiAgentVersionId"].startswith(SELF_SERVICE) and a["AiAgentEscalated"]
            for a in ai_agents(r)
        ),
    ),
    "AI agent by ARN and version": (
        {
            "AiAgents": {
                "Criteria": [
                    {
                        "Id": f"{WISDOM}:ai-agent/{SELF_SERVICE}/{ASSISTANT}",
                        "VersionNumber": 3,
                        "AiUseCase": "AgentAssistance",
                    }
                ]
            }
        },
        lambda r: any(a["AiAgentVersionId"] == f"{ASSISTANT}:3" for a in ai_agents(r)),
    ),
    "several criteria together": (
        {
            "Channels": ["VOICE"],
            "QueueIds": [QUEUES["TechSupport"]],
            "SearchableContactAttributes": {
                "Criteria": [{"Key": "authenticated", "Values": ["true"]}]
            },
        },
        lambda r: (
            r["Channel"] == "VOICE"
            and r.get("QueueInfo", {}).get("Id") == QUEUES["TechSupport"]
            and attribute(r, "authenticated") == "true"
        ),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_criterion(connect: Any, case: str) -> None:
    criteria, wanted = CASES[case]
    expected = {cid for cid, record in DEMO.contacts.items() if wanted(record)}
    assert 0 < len(expected) < len(DEMO.contacts), "the case must select some, not all"
    found, total = search_all(connect, SearchCriteria=criteria)
    assert {contact["Id"] for contact in found} == expected
    assert total == len(found)


def test_regions_of_contacts_outside_global_resiliency(connect: Any) -> None:
    found, total = search_all(connect, SearchCriteria={"ActiveRegions": ["us-east-1"]})
    elsewhere = sum(
        r.get("GlobalResiliencyMetadata", {}).get("ActiveRegion") == "us-west-2"
        for r in DEMO.contacts.values()
    )
    assert total == len(found) == len(DEMO.contacts) - elsewhere


def test_empty_lists_do_not_filter(connect: Any) -> None:
    _, total = search_all(connect, SearchCriteria={"Channels": [], "AgentIds": []})
    assert total == len(DEMO.contacts)
