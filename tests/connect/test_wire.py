"""An input of the schema as Connect's members: every field of every input that
`gateway.connect.wire.members` translates (the search's, each mutation's) names a member of
its Connect shape, and a fully set input is a request botocore's validator accepts."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest
from botocore.validate import ParamValidator
from strawberry import ID
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition

from gateway.api.generated import Channel, ReferenceType, SearchContactsMatchType
from gateway.api.mutation import INPUTS as WRITE_INPUTS
from gateway.api.mutation import AttributeInput, ReferenceInput, StartTaskContactInput
from gateway.api.search import (
    AttributesCriteria,
    HierarchyGroupCriteria,
    KeyValuesCriterion,
    NameCriteria,
    SearchCriteria,
    SearchSort,
    SearchTimeRange,
    TagCondition,
    TagFilter,
)
from gateway.connect.model import model
from gateway.connect.wire import member_names, members, not_sent
from gateway.core.errors import BadUserInput

INPUTS = [
    (SearchCriteria, "SearchCriteria"),
    (SearchTimeRange, "SearchContactsTimeRange"),
    (SearchSort, "Sort"),
    *((input_type, f"{operation}Request") for operation, input_type in WRITE_INPUTS.items()),
]
"""Each input translated by `members`, and the Connect shape it is."""


def _inner(annotation: Any) -> Any:
    while isinstance(annotation, (StrawberryOptional, StrawberryList)):
        annotation = annotation.of_type
    return annotation


def _walk(input_type: type, shape: Any, where: str, seen: set[type] | None = None) -> list[str]:
    """Every field of `input_type` and of the inputs it holds, as the member it maps onto
    (KeyError: a field whose member Connect does not have); a recursive input once."""
    seen = set() if seen is None else seen
    if input_type in seen:
        return []
    seen.add(input_type)
    checked = []
    targets = member_names(input_type, shape)
    gateways = {
        f.name for f in dataclasses.fields(input_type) if not_sent().items() <= f.metadata.items()
    }
    for field in input_type.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if field.python_name in gateways:
            continue  # the gateway's own, never sent
        target = targets[field.python_name]
        checked.append(f"{where}.{field.python_name}")
        inner = _inner(field.type)
        if has_object_definition(inner):
            while target.type_name == "list":
                target = target.member
            checked += _walk(inner, target, f"{where}.{field.python_name}", seen)
    return checked


@pytest.mark.parametrize(("input_type", "shape"), INPUTS, ids=[shape for _, shape in INPUTS])
def test_every_field_is_a_member_of_its_shape(input_type: type, shape: str) -> None:
    assert _walk(input_type, model().shape_for(shape), shape)


def test_a_full_search_is_a_request_connect_accepts() -> None:
    condition = TagCondition(tag_key="team", tag_value="blue")
    criteria = SearchCriteria(
        channels=[Channel.VOICE, Channel.CHAT],
        queue_ids=[ID("q1")],
        agent_hierarchy_groups=HierarchyGroupCriteria(level1_ids=[ID("h1")], level5_ids=[ID("h5")]),
        name=NameCriteria(search_text=["refund"], match_type=SearchContactsMatchType.MATCH_ANY),
        contact_attributes=AttributesCriteria(
            criteria=[KeyValuesCriterion(key="tier", values=["gold"])]
        ),
        tags=TagFilter(or_conditions=[[condition]], tag_condition=condition),
    )
    translated = members(criteria, model().shape_for("SearchCriteria"))
    assert translated == {
        "Channels": ["VOICE", "CHAT"],
        "QueueIds": ["q1"],
        "AgentHierarchyGroups": {"L1Ids": ["h1"], "L5Ids": ["h5"]},
        "Name": {"SearchText": ["refund"], "MatchType": "MATCH_ANY"},
        "SearchableContactAttributes": {"Criteria": [{"Key": "tier", "Values": ["gold"]}]},
        "ContactTags": {
            "OrConditions": [[{"TagKey": "team", "TagValue": "blue"}]],
            "TagCondition": {"TagKey": "team", "TagValue": "blue"},
        },
    }
    request = {
        "InstanceId": "i",
        "TimeRange": {
            "Type": "INITIATION_TIMESTAMP",
            "StartTime": datetime(2026, 1, 1),
            "EndTime": datetime(2026, 1, 2),
        },
        "SearchCriteria": translated,
    }
    shape = model().operation_model("SearchContacts").input_shape
    assert not ParamValidator().validate(request, shape).has_errors()


def test_an_unrecognized_value_is_bad_input() -> None:
    criteria = SearchCriteria(channels=[Channel.UNRECOGNIZED])
    with pytest.raises(BadUserInput, match="UNRECOGNIZED"):
        members(criteria, model().shape_for("SearchCriteria"))


def test_a_time_without_a_zone_is_utc() -> None:
    window = SearchTimeRange(
        type="INITIATION_TIMESTAMP",  # type: ignore[arg-type]
        start_time=datetime(2026, 1, 1),
        end_time=datetime(2026, 1, 2),
    )
    translated = members(window, model().shape_for("SearchContactsTimeRange"))
    assert translated["StartTime"].utcoffset().total_seconds() == 0


def test_a_list_of_entries_is_a_map() -> None:
    given = StartTaskContactInput(
        name="Call back",
        attributes=[AttributeInput(key="disposition", value="callback")],
        references=[ReferenceInput(name="case", type=ReferenceType.URL, value="https://crm/1")],
    )
    translated = members(given, model().shape_for("StartTaskContactRequest"))
    assert translated == {
        "Name": "Call back",
        "Attributes": {"disposition": "callback"},
        "References": {"case": {"Type": "URL", "Value": "https://crm/1"}},
    }
