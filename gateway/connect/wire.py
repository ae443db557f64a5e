"""Connect's wire format where the schema needs it: page sizes, the search parameters
Connect would refuse, a search page's members, and the associated-contact summary.

The resolvers in gateway/api/ speak these names only through this module, so that
botocore and Connect's member names stay in gateway/connect/.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


def _maximums(value: Any, shape: Any, where: str) -> None:
    """The model's maximums, which botocore leaves to the service to enforce."""
    most = shape.metadata.get("max")
    if isinstance(value, (str, list)) and most is not None and len(value) > most:
        raise BadUserInput(f"Connect would refuse this search: {where} is longer than {most}")
    if isinstance(value, int) and most is not None and value > most:
        raise BadUserInput(f"Connect would refuse this search: {where} is more than {most}")
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                _maximums(value[name], member, f"{where}.{name}".lstrip("."))
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            _maximums(item, shape.member, f"{where}[{index}]")


def _utc(moment: datetime) -> datetime:
    """A moment without a zone is taken as UTC (as the DateTime scalar documents)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
