"""searchContacts: Connect's SearchContacts as a cursor connection of contacts.

Connect answers summaries (ContactSearchSummary); each node is a Contact holding its
summary, so a field the summary has costs nothing more and a field it lacks loads the
contact once (DescribeContact through the per-request loader).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.api import inputs
from gateway.api.contact import Contact
from gateway.api.context import Info
from gateway.api.cursors import Cursor, digest
from gateway.api.docs import doc, model
from gateway.api.generated import (
    Channel,
    ContactInitiationMethod,
    SearchContactsMatchType,
    SearchContactsTimeRangeType,
    SortableFieldName,
    SortOrder,
)
from gateway.api.members import Place
from gateway.errors import BadUserInput

__all__ = ["ContactConnection", "SearchCriteria", "SearchSort", "SearchTimeRange", "search"]

MAX_PAGE = 100  # Connect's MaxResults


@strawberry.input(description=doc("SearchContactsTimeRange"))
class SearchTimeRange:
    type: SearchContactsTimeRangeType
    start_time: datetime
    end_time: datetime


@strawberry.input(description=doc("NameCriteria"))
class NameCriteria:
    search_text: list[str]
    match_type: SearchContactsMatchType


@strawberry.input(description=doc("AgentHierarchyGroups"))
class HierarchyGroupCriteria:
    level1_ids: list[strawberry.ID] | None = None
    level2_ids: list[strawberry.ID] | None = None
    level3_ids: list[strawberry.ID] | None = None
    level4_ids: list[strawberry.ID] | None = None
    level5_ids: list[strawberry.ID] | None = None


@strawberry.input(description="A key and the values it may have.")
class KeyValuesCriterion:
    key: str
    values: list[str]


@strawberry.input(description="Criteria on attributes, combined by matchType.")
class AttributesCriteria:
    criteria: list[KeyValuesCriterion]
    match_type: SearchContactsMatchType | None = None


@strawberry.input(description=doc("TagCondition"))
class TagCondition:
    tag_key: str
    tag_value: str


@strawberry.input(description=doc("ControlPlaneTagFilter"))
class TagFilter:
    or_conditions: list[list[TagCondition]] | None = None
    and_conditions: list[TagCondition] | None = None
    tag_condition: TagCondition | None = None


@strawberry.input(description=doc("SearchCriteria"))
class SearchCriteria:
    channels: list[Channel] | None = None
    initiation_methods: list[ContactInitiationMethod] | None = None
    queue_ids: list[strawberry.ID] | None = None
    agent_ids: list[strawberry.ID] | None = None
    agent_hierarchy_groups: HierarchyGroupCriteria | None = None
    name: NameCriteria | None = None
    contact_attributes: AttributesCriteria | None = None
    segment_attributes: AttributesCriteria | None = None
    tags: TagFilter | None = None


@strawberry.input(description=doc("Sort"))
class SearchSort:
    field_name: SortableFieldName
    order: SortOrder


@strawberry.type(description="A contact in a page of search results.")
class ContactEdge:
    cursor: str
    node: Contact


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of contacts that match a search, and where it ends.")
class ContactConnection:
    edges: list[ContactEdge]
    page_info: PageInfo
    total_count: int | None = strawberry.field(
        description="How many contacts match the search in all (Connect's TotalCount)."
    )


First = Annotated[int, strawberry.argument(description=f"Page size, 1 to {MAX_PAGE}.")]


async def search(
    info: Info,
    time_range: SearchTimeRange,
    criteria: SearchCriteria | None = None,
    sort: SearchSort | None = None,
    first: First = 25,
    after: str | None = None,
    instance_id: strawberry.ID | None = None,
) -> ContactConnection:
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be 1 to {MAX_PAGE} (got {first})")
    instance = inputs.instance_id(instance_id, info.context.settings)
    params = _params(instance, time_range, criteria, sort)
    query = digest(params)
    cursor = Cursor.decode(after, query) if after else Cursor(None, first, 0, query)
    return await _collect(info, instance, params, cursor, first)


async def _collect(
    info: Info, instance: str, params: dict[str, Any], cursor: Cursor, first: int
) -> ContactConnection:
    # A search is about what is there now: no response holding one is reused.
    info.context.loaders.reads.note(f"search:{instance}:{cursor.search}", 0.0)
    edges: list[ContactEdge] = []
    token, skip, total, has_next = cursor.token, cursor.skip, None, False
    while True:
        paging = {"MaxResults": cursor.size} | ({"NextToken": token} if token else {})
        page = await info.context.store.search_contacts(params | paging)
        total, items, next_token = (
            page.get("TotalCount"),
            page.get("Contacts", []),
            page.get("NextToken"),
        )
        for index in range(skip, len(items)):
            if len(edges) == first:
                has_next = True
                break
            at_end = index + 1 == len(items) and next_token
            where = (
                Cursor(next_token, cursor.size, 0, cursor.search)
                if at_end
                else Cursor(token, cursor.size, index + 1, cursor.search)
            )
            edges.append(
                ContactEdge(cursor=where.encode(), node=_node(info, instance, items[index]))
            )
        if has_next or not next_token:
            break
        if len(edges) == first:
            has_next = True
            break
        token, skip = next_token, 0
    end = edges[-1].cursor if edges else None
    return ContactConnection(
        edges=edges, page_info=PageInfo(has_next_page=has_next, end_cursor=end), total_count=total
    )


def _node(info: Info, instance: str, summary: dict[str, Any]) -> Contact:
    loader = info.context.loaders.contact
    key = (instance, summary["Id"])
    place = Place(instance, model().shape_for("ContactSearchSummary"), lambda: loader.load(key))
    node = Contact.of(summary, place)
    assert node is not None
    return node


def _params(
    instance: str,
    time_range: SearchTimeRange,
    criteria: SearchCriteria | None,
    sort: SearchSort | None,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "InstanceId": instance,
        "TimeRange": {
            "Type": _value(time_range.type),
            "StartTime": time_range.start_time,
            "EndTime": time_range.end_time,
        },
    }
    if criteria is not None:
        params["SearchCriteria"] = _criteria(criteria)
    if sort is not None:
        params["Sort"] = {"FieldName": _value(sort.field_name), "Order": _value(sort.order)}
    return params


def _criteria(criteria: SearchCriteria) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if criteria.channels is not None:
        out["Channels"] = [_value(v) for v in criteria.channels]
    if criteria.initiation_methods is not None:
        out["InitiationMethods"] = [_value(v) for v in criteria.initiation_methods]
    if criteria.queue_ids is not None:
        out["QueueIds"] = [str(v) for v in criteria.queue_ids]
    if criteria.agent_ids is not None:
        out["AgentIds"] = [str(v) for v in criteria.agent_ids]
    if criteria.agent_hierarchy_groups is not None:
        groups = criteria.agent_hierarchy_groups
        levels = [
            groups.level1_ids,
            groups.level2_ids,
            groups.level3_ids,
            groups.level4_ids,
            groups.level5_ids,
        ]
        out["AgentHierarchyGroups"] = {
            f"L{n}Ids": [str(v) for v in ids] for n, ids in enumerate(levels, 1) if ids is not None
        }
    if criteria.name is not None:
        out["Name"] = {
            "SearchText": criteria.name.search_text,
            "MatchType": _value(criteria.name.match_type),
        }
    if criteria.contact_attributes is not None:
        out["SearchableContactAttributes"] = _attributes(criteria.contact_attributes)
    if criteria.segment_attributes is not None:
        out["SearchableSegmentAttributes"] = _attributes(criteria.segment_attributes)
    if criteria.tags is not None:
        out["ContactTags"] = _tags(criteria.tags)
    return out


def _attributes(criteria: AttributesCriteria) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Criteria": [{"Key": c.key, "Values": c.values} for c in criteria.criteria]
    }
    if criteria.match_type is not None:
        out["MatchType"] = _value(criteria.match_type)
    return out


def _tags(tags: TagFilter) -> dict[str, Any]:
    def condition(c: TagCondition) -> dict[str, str]:
        return {"TagKey": c.tag_key, "TagValue": c.tag_value}

    out: dict[str, Any] = {}
    if tags.or_conditions is not None:
        out["OrConditions"] = [[condition(c) for c in group] for group in tags.or_conditions]
    if tags.and_conditions is not None:
        out["AndConditions"] = [condition(c) for c in tags.and_conditions]
    if tags.tag_condition is not None:
        out["TagCondition"] = condition(tags.tag_condition)
    return out


def _value(value: Enum) -> str:
    if value.name == "UNRECOGNIZED":
        raise BadUserInput("UNRECOGNIZED stands for values newer than the gateway: not a criterion")
    return str(value.value)
