"""searchContacts: Connect's SearchContacts as a cursor connection of contacts.

Connect answers summaries (ContactSearchSummary); each node is a Contact holding its
summary, so a field the summary has costs nothing more and a field it lacks loads the
contact once (DescribeContact through the per-request loader). The arguments become a
`gateway.data.search.Search`, whose pages the store shares between all callers for
GATEWAY_TTL_SEARCH_SECONDS (a page is never fetched fresh on Cache-Control: no-cache:
searches spend Connect's smallest quota).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

import strawberry

from gateway.api.contact import Contact, load_contact
from gateway.api.context import Info
from gateway.api.cursors import Cursor, cursor_key
from gateway.api.generated import (
    Channel,
    ContactInitiationMethod,
    SearchContactsMatchType,
    SearchContactsTimeRangeType,
    SortableFieldName,
    SortOrder,
)
from gateway.api.members import Place
from gateway.api.permissions import PERSONAL_CRITERIA, check_criteria, readable_instance
from gateway.connect import wire
from gateway.connect.model import doc, model
from gateway.connect.wire import MAX_RESULTS, SearchPage, member, members
from gateway.core.errors import BadUserInput
from gateway.data.loaders import Stale
from gateway.data.search import FETCHED, Page, Search, TimeRange

__all__ = ["ContactConnection", "SearchCriteria", "SearchSort", "SearchTimeRange", "search"]


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
    level1_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, metadata=member("L1Ids")
    )
    level2_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, metadata=member("L2Ids")
    )
    level3_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, metadata=member("L3Ids")
    )
    level4_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, metadata=member("L4Ids")
    )
    level5_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, metadata=member("L5Ids")
    )


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


def _personal(name: str) -> str:
    return f"Personal data: {PERSONAL_CRITERIA[name]}; needs the contacts:pii scope."


@strawberry.input(description=doc("SearchCriteria"))
class SearchCriteria:
    channels: list[Channel] | None = None
    initiation_methods: list[ContactInitiationMethod] | None = None
    queue_ids: list[strawberry.ID] | None = None
    agent_ids: list[strawberry.ID] | None = None
    agent_hierarchy_groups: HierarchyGroupCriteria | None = None
    name: NameCriteria | None = strawberry.field(default=None, description=_personal("name"))
    contact_attributes: AttributesCriteria | None = strawberry.field(
        default=None,
        description=_personal("contactAttributes"),
        metadata=member("SearchableContactAttributes"),
    )
    segment_attributes: AttributesCriteria | None = strawberry.field(
        default=None,
        description=_personal("segmentAttributes"),
        metadata=member("SearchableSegmentAttributes"),
    )
    tags: TagFilter | None = strawberry.field(default=None, metadata=member("ContactTags"))


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


_CRITERIA_NAMES = {
    "name": "name",
    "contactAttributes": "contact_attributes",
    "segmentAttributes": "segment_attributes",
}

First = Annotated[int, strawberry.argument(description=f"Page size, 1 to {MAX_RESULTS}.")]


async def search(
    info: Info,
    time_range: SearchTimeRange,
    criteria: SearchCriteria | None = None,
    sort: SearchSort | None = None,
    first: First = 25,
    after: str | None = None,
    instance_id: strawberry.ID | None = None,
) -> ContactConnection | None:
    # Nullable, so that a refused or failed search is null with its error at this field
    # alone, not the whole of `data`, and a sibling root field still answers.
    if not 1 <= first <= MAX_RESULTS:
        raise BadUserInput(f"first must be 1 to {MAX_RESULTS} (got {first})")
    instance = readable_instance(instance_id, info.context.settings, info.context.caller)
    if criteria is not None:
        used = [name for name, value in _CRITERIA_NAMES.items() if getattr(criteria, value)]
        check_criteria(info.context.caller, used)
    asked = _search(instance, time_range, criteria, sort)
    wire.search_params(asked.params())
    query = asked.digest()
    if after is not None:
        cursor = Cursor.decode(after, query, cursor_key(info.context.settings))
        searched = asked.within(*cursor.window) if cursor.window else asked
        recent = False
    else:
        cursor = Cursor(None, first, 0, query)
        searched = asked
        recent = asked.ends_now(
            info.context.store.clock.now(), info.context.settings.ttl_search_seconds
        )
    return await _collect(info, searched, cursor, first, recent)


async def _collect(
    info: Info, searched: Search, cursor: Cursor, first: int, recent: bool
) -> ContactConnection:
    # Each edge's cursor, summary and its page's fetch time: the nodes are made together.
    edges: list[tuple[str, dict[str, Any], float | None]] = []
    token, skip, total, has_next = cursor.token, cursor.skip, None, False
    while True:
        page = await _page(info, Page(searched, cursor.size, token, recent and token is None))
        found = SearchPage.of(page)
        if cursor.window is None:
            # Later pages go on with the range this one was searched over.
            cursor = replace(cursor, window=(found.since, found.until))
            searched = searched.within(found.since, found.until)
        total, items, next_token = found.total, found.contacts, found.next_token
        for index in range(skip, len(items)):
            if len(edges) == first:
                has_next = True
                break
            at_end = index + 1 == len(items) and next_token
            where = (
                replace(cursor, token=next_token, skip=0)
                if at_end
                else replace(cursor, token=token, skip=index + 1)
            )
            cursor_text = where.encode(cursor_key(info.context.settings))
            edges.append((cursor_text, items[index], page.get(FETCHED)))
        if has_next or not next_token:
            break
        if len(edges) == first:
            has_next = True
            break
        token, skip = next_token, 0
    # Together, so that the contacts changed since their page was searched load in one
    # batch of the loaders, not one after another.
    instance = searched.instance_id
    nodes = await asyncio.gather(*(_node(info, instance, s, at) for _, s, at in edges))
    made = [ContactEdge(cursor=edge[0], node=node) for edge, node in zip(edges, nodes, strict=True)]
    end = made[-1].cursor if made else None
    return ContactConnection(
        edges=made, page_info=PageInfo(has_next_page=has_next, end_cursor=end), total_count=total
    )


async def _page(info: Info, page: Page) -> dict[str, Any]:
    """The page from the store: shared by every caller asking for it within its TTL."""
    kind, instance, page_id = page.kind, page.search.instance_id, page.id
    fetched = await info.context.store.get(kind, instance, page_id)
    loaders = info.context.loaders
    # The page is shared below; a whole response holding one is not reused (the response
    # cache would keep it past the moment a dashboard asks for "now").
    loaders.reads.note(kind.tag(instance, page_id), 0.0)
    if fetched.stale_age is not None:
        loaders.stale.append(Stale(kind.name, instance, page_id, fetched.stale_age))
    value: dict[str, Any] = fetched.value
    return value


async def _node(
    info: Info, instance: str, summary: dict[str, Any], fetched: float | None
) -> Contact:
    if fetched is None or info.context.store.changed_since(instance, summary["Id"], fetched):
        # Changed since the page was searched (a write, an event): its summary is older
        # than the contact; the contact as the store has it (merged writes: no call).
        return await load_contact(info, instance, summary["Id"])
    loader = info.context.loaders.complete_contact
    key = (instance, summary["Id"])
    place = Place(instance, model().shape_for("ContactSearchSummary"), lambda: loader.load(key))
    node = Contact.of(summary, place)
    assert node is not None
    info.context.audit.read(instance, summary["Id"])
    return node


def _search(
    instance: str,
    time_range: SearchTimeRange,
    criteria: SearchCriteria | None,
    sort: SearchSort | None,
) -> Search:
    connect = model().operation_model("SearchContacts").input_shape.members
    window = members(time_range, connect["TimeRange"])
    order = None if sort is None else members(sort, connect["Sort"])
    return Search(
        instance,
        TimeRange(window["Type"], window["StartTime"], window["EndTime"]),
        None if criteria is None else members(criteria, connect["SearchCriteria"]),
        None if order is None else (order["FieldName"], order["Order"]),
    )
