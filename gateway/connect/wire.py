"""Connect's wire format where the schema needs it: an input of the schema as Connect's
members, page sizes, the search parameters Connect would refuse, a search page's members,
and the associated-contact summary.

The resolvers in gateway/api/ speak these names only through this module, so that
botocore and Connect's member names stay in gateway/connect/.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import cache
from typing import Any

from botocore.model import StructureShape
from botocore.validate import ParamValidator

from gateway.connect.model import Shape, model
from gateway.core.errors import BadUserInput

__all__ = [
    "LONGEST_SEARCH",
    "MAX_RESULTS",
    "SUMMARY_MEMBERS",
    "SearchPage",
    "contact_of_summary",
    "map_key",
    "member",
    "member_names",
    "members",
    "not_sent",
    "request_params",
    "search_params",
    "summary_shape",
]

MAX_RESULTS = 100
"""Connect's largest page (MaxResults) of SearchContacts and ListAssociatedContacts: the
largest `first` of a search, and the tree size the cost model assumes."""

LONGEST_SEARCH = timedelta(weeks=8)
"""The longest time range Connect's contact search takes."""

SUMMARY_MEMBERS = {
    "ContactId": "Id",
    "ContactArn": "Arn",
    "InitiationTimestamp": "InitiationTimestamp",
    "DisconnectTimestamp": "DisconnectTimestamp",
    "InitialContactId": "InitialContactId",
    "PreviousContactId": "PreviousContactId",
    "RelatedContactId": "RelatedContactId",
    "InitiationMethod": "InitiationMethod",
    "Channel": "Channel",
}
"""AssociatedContactSummary's members and the Contact members they are."""


def contact_of_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """An AssociatedContactSummary as a (partial) Contact record."""
    return {SUMMARY_MEMBERS[k]: v for k, v in summary.items() if k in SUMMARY_MEMBERS}


_MEMBER = "connect_member"
_KEY = "connect_map_key"
_NOT_SENT = "connect_not_sent"


def member(name: str) -> Mapping[str, str]:
    """A field's metadata naming the Connect member it is, where that is not the field's
    name in PascalCase (`level1_ids` is `L1Ids`): `strawberry.field(metadata=member(...))`."""
    return {_MEMBER: name}


def map_key() -> Mapping[str, bool]:
    """A field's metadata saying it is the key of a map entry: GraphQL has no maps, so a
    map of Connect's (References, Attributes, Tags) is a list of entries, each its key
    and, beside it, the value (a structure's members, or one field for a plain value)."""
    return {_KEY: True}


def not_sent() -> Mapping[str, bool]:
    """A field's metadata saying it is the gateway's, not Connect's: never sent (the
    contact an evaluation belongs to, whose cached evaluations a write makes wrong)."""
    return {_NOT_SENT: True}


def members(value: Any, shape: Any) -> Any:
    """`value`, an input of the schema, as Connect's members of `shape`: each field set
    (not None) is the member of its name in PascalCase, or the one its metadata names; an
    enum is its value, a list its items, a list of entries a map. The input's types are
    defined once, in the schema, and this is the only translation
    (tests/connect/test_wire.py walks every input against its shape)."""
    if shape.type_name == "map" and isinstance(value, list):
        return dict(_entry(item, shape.value) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if item is None or _unset(item) or field.metadata.get(_KEY):
                continue
            if field.metadata.get(_NOT_SENT):
                continue
            name = field.metadata.get(_MEMBER) or _pascal(field.name)
            out[name] = members(item, shape.members[name])
        return out
    if isinstance(value, list):
        return [members(item, shape.member) for item in value]
    if isinstance(value, Enum):
        if value.name == "UNRECOGNIZED":
            raise BadUserInput(
                "UNRECOGNIZED stands for values newer than the gateway: not one to send"
            )
        return value.value
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # a time without a zone is UTC, as DateTime says
    return value


def _entry(item: Any, shape: Any) -> tuple[str, Any]:
    fields = dataclasses.fields(item)
    key = next(field for field in fields if field.metadata.get(_KEY))
    if shape.type_name == "structure":
        return getattr(item, key.name), members(item, shape)
    (value,) = (field for field in fields if field is not key)
    return getattr(item, key.name), members(getattr(item, value.name), shape)


def member_names(input_type: type, shape: Any) -> dict[str, Any]:
    """Each field of an input type and the member of `shape` it maps onto (KeyError for
    one `shape` lacks); a map entry's key maps onto the map's key, a plain value onto the
    map's value."""
    if shape.type_name == "map":
        fields = dataclasses.fields(input_type)
        if shape.value.type_name != "structure":
            return {f.name: shape.key if f.metadata.get(_KEY) else shape.value for f in fields}
        names = member_names(input_type, shape.value)
        return names | {f.name: shape.key for f in fields if f.metadata.get(_KEY)}
    names = {}
    for field in dataclasses.fields(input_type):
        if field.metadata.get(_KEY) or field.metadata.get(_NOT_SENT):
            continue
        name = field.metadata.get(_MEMBER) or _pascal(field.name)
        names[field.name] = shape.members[name]
    return names


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _unset(value: Any) -> bool:
    return type(value).__name__ == "UnsetType"  # strawberry.UNSET, without importing Strawberry


@cache
def summary_shape() -> Shape:
    """AssociatedContactSummary with the names of Contact's members (ContactId is Id), so
    that a node knows which members it holds."""
    contact = model().shape_for("Contact")
    members = {name: {"shape": contact.members[name].name} for name in SUMMARY_MEMBERS.values()}
    shape_model = {"type": "structure", "members": members}
    return StructureShape("AssociatedContactSummary", shape_model, model()._shape_resolver)


@dataclass(frozen=True)
class SearchPage:
    """One SearchContacts page as the store keeps it, with the range it was searched over."""

    since: datetime
    until: datetime
    total: int | None
    contacts: list[dict[str, Any]]
    next_token: str | None

    @classmethod
    def of(cls, page: dict[str, Any]) -> SearchPage:
        since, until = (datetime.fromisoformat(moment) for moment in page["SearchedRange"])
        return cls(
            since, until, page.get("TotalCount"), page.get("Contacts", []), page.get("NextToken")
        )


def request_params(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """`params` of `operation`, refused (BadUserInput) where Connect would refuse them by
    its model: types, required members, minimums and maximums."""
    shape = model().operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise BadUserInput(f"Connect would refuse this {operation}: {report.generate_report()}")
    _maximums(params, shape, "", operation)
    return params


def search_params(params: dict[str, Any]) -> dict[str, Any]:
    """SearchContacts' parameters, refused (BadUserInput) where Connect would refuse them:
    a time range ending before it starts or longer than Connect searches (8 weeks), and
    whatever breaks the model's constraints (list lengths, string lengths, ranges)."""
    time_range = params["TimeRange"]
    start, end = _utc(time_range["StartTime"]), _utc(time_range["EndTime"])
    if end < start:
        raise BadUserInput("timeRange.endTime must not be before timeRange.startTime")
    if end - start > LONGEST_SEARCH:
        days = (end - start) / timedelta(days=1)
        raise BadUserInput(
            f"timeRange spans {days:g} days: Connect searches at most 8 weeks (56 days) at a time"
        )
    time_range |= {"StartTime": start, "EndTime": end}
    shape = model().operation_model("SearchContacts").input_shape
    report = ParamValidator().validate(params, shape)  # types, required members, minimums
    if report.has_errors():
        raise BadUserInput(f"Connect would refuse this search: {report.generate_report()}")
    _maximums(params, shape, "")
    return params


def _maximums(value: Any, shape: Any, where: str, what: str = "search") -> None:
    """The model's maximums, which botocore leaves to the service to enforce."""
    most = shape.metadata.get("max")
    if isinstance(value, (str, list, dict)) and most is not None and len(value) > most:
        raise BadUserInput(f"Connect would refuse this {what}: {where} is longer than {most}")
    if isinstance(value, int) and most is not None and value > most:
        raise BadUserInput(f"Connect would refuse this {what}: {where} is more than {most}")
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                _maximums(value[name], member, f"{where}.{name}".lstrip("."), what)
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            _maximums(item, shape.member, f"{where}[{index}]", what)
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            _maximums(key, shape.key, f"{where}.{key}".lstrip("."), what)
            _maximums(item, shape.value, f"{where}.{key}".lstrip("."), what)


def _utc(moment: datetime) -> datetime:
    """A moment without a zone is taken as UTC (as the DateTime scalar documents)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
