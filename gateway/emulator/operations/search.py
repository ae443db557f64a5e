"""SearchContacts: one instance's contacts in a time range, filtered, sorted and paged.

The request is checked as Connect checks it, enums included (InvalidParameterException): a
time range must not end before it starts nor span more than 8 weeks (Connect's contact
search limit), and an AI agent's VersionNumber needs its Id. Contacts then match when the
TimeRange's timestamp is within it, ends included, and the SearchCriteria hold (see
`gateway.emulator.operations.criteria`). Sort defaults to INITIATION_TIMESTAMP, DESCENDING (newest
first); contacts without the sort field come last in either order, and ties go by contact
ID, so that pages are stable. MaxResults defaults to 100. Each contact is answered as a
ContactSearchSummary holding only the members that shape has, taken from the contact's
record (its AiAgentInfo from the record's WisdomInfo.AiAgents).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from typing import Any

from botocore.model import Shape

from gateway.emulator.operations.criteria import contact_timestamp, in_range, matches
from gateway.emulator.operations.lookups import instance_of
from gateway.emulator.operations.paging import page
from gateway.emulator.protocol.errors import ConnectError
from gateway.emulator.protocol.model import connect_model
from gateway.emulator.protocol.validation import Rules, check
from gateway.emulator.world.contacts import Record
from gateway.emulator.world.dataset import Dataset, Instance

__all__ = ["DEFAULT_SORT", "LONGEST_TIME_RANGE", "search_contacts"]

LONGEST_TIME_RANGE = timedelta(weeks=8)
DEFAULT_SORT: Mapping[str, str] = {"FieldName": "INITIATION_TIMESTAMP", "Order": "DESCENDING"}
_DEFAULT_PAGE = 100


def search_contacts(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    _check_request(params)
    instance = instance_of(dataset, params)
    criteria = params.get("SearchCriteria", {})
    sort = params.get("Sort", DEFAULT_SORT)
    found = _sorted(_matching(instance, params["TimeRange"], criteria), sort)
    query = {
        "InstanceId": instance.id,
        "TimeRange": params["TimeRange"],
        "SearchCriteria": criteria,
        "Sort": sort,
    }
    size = params.get("MaxResults", _DEFAULT_PAGE)
    items, token = page(found, size, params.get("NextToken"), query)
    return {
        "Contacts": [_summary(record) for record in items],
        "TotalCount": len(found),
        "NextToken": token,
    }


def _check_request(params: Mapping[str, Any]) -> None:
    check(_input_shape(), params, Rules(enums=True))
    _check_range(params["TimeRange"], "TimeRange")
    criteria = params.get("SearchCriteria", {})
    additional = criteria.get("AdditionalTimeRange", {}).get("Criteria", [])
    for index, criterion in enumerate(additional):
        if "TimeRange" in criterion:
            where = f"SearchCriteria.AdditionalTimeRange.Criteria[{index}].TimeRange"
            _check_range(criterion["TimeRange"], where)
    for index, agent in enumerate(criteria.get("AiAgents", {}).get("Criteria", [])):
        if "VersionNumber" in agent and "Id" not in agent:
            where = f"SearchCriteria.AiAgents.Criteria[{index}]"
            raise ConnectError(
                "InvalidParameterException", f"{where}.Id is required with VersionNumber"
            )


def _check_range(time_range: Mapping[str, Any], where: str) -> None:
    start, end = time_range["StartTime"], time_range["EndTime"]
    if end < start:
        message = f"{where}.EndTime must not be before {where}.StartTime"
        raise ConnectError("InvalidParameterException", message)
    if end - start > LONGEST_TIME_RANGE:
        message = f"{where} must not span more than 8 weeks"
        raise ConnectError("InvalidParameterException", message)


def _matching(
    instance: Instance, time_range: Mapping[str, Any], criteria: Mapping[str, Any]
) -> list[Record]:
    return [
        record
        for record in instance.contacts.values()
        if in_range(time_range, record) and matches(criteria, record, instance)
    ]


def _sorted(records: list[Record], sort: Mapping[str, str]) -> list[Record]:
    field, descending = sort["FieldName"], sort["Order"] == "DESCENDING"
    by_id = sorted(records, key=lambda record: str(record["Id"]))
    keyed = [(_sort_key(record, field), record) for record in by_id]
    present = [(key, record) for key, record in keyed if key is not None]
    ordered = sorted(present, key=lambda item: item[0], reverse=descending)
    return [record for _, record in ordered] + [record for key, record in keyed if key is None]


def _sort_key(record: Record, field: str) -> Any:
    if field == "CHANNEL":
        return record["Channel"]
    if field == "INITIATION_METHOD":
        return record["InitiationMethod"]
    return contact_timestamp(record, field)


def _summary(record: Record) -> Record:
    source = dict(record)
    agents = record.get("WisdomInfo", {}).get("AiAgents")
    if agents:
        source["AiAgentInfo"] = agents
    summary: Record = _project(_summary_shape(), source)
    return summary


def _project(shape: Shape, value: Any) -> Any:
    """`value` keeping only what `shape` has; structures and maps left empty are dropped."""
    if shape.type_name == "structure":
        members: Mapping[str, Shape] = shape.members  # type: ignore[attr-defined]
        projected = {
            name: _project(members[name], item)
            for name, item in value.items()
            if name in members and item is not None
        }
        return {name: item for name, item in projected.items() if item != {}}
    if shape.type_name == "list":
        return [_project(shape.member, item) for item in value]  # type: ignore[attr-defined]
    if shape.type_name == "map":
        projected = {key: _project(shape.value, item) for key, item in value.items()}  # type: ignore[attr-defined]
        return {key: item for key, item in projected.items() if item != {}}
    return value


@cache
def _input_shape() -> Shape:
    shape = connect_model().operation_model("SearchContacts").input_shape
    assert shape is not None
    return shape


@cache
def _summary_shape() -> Shape:
    return connect_model().shape_for("ContactSearchSummary")
