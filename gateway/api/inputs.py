"""Checks on arguments, made before any upstream call (Connect's own limits, the allow-list)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.validate import ParamValidator

from gateway.api.docs import model
from gateway.core.errors import BadUserInput
from gateway.core.settings import Settings, instance_id_of

__all__ = ["LONGEST_SEARCH", "MAX_CONTACT_IDS", "contact_id", "instance_id", "search_params"]

MAX_CONTACT_IDS = 100
LONGEST_SEARCH = timedelta(weeks=8)
"""The longest time range Connect's contact search takes."""
_CONTACT_ID_MAX = 256  # Connect's ContactId: length 1 to 256


def contact_id(value: str, argument: str = "contactId") -> str:
    if not 1 <= len(value) <= _CONTACT_ID_MAX:
        raise BadUserInput(
            f"{argument} must be 1 to {_CONTACT_ID_MAX} characters long (got {len(value)})"
        )
    if not value.isprintable():
        raise BadUserInput(f"{argument} must not contain control characters")
    return value


def instance_id(value: str | None, settings: Settings) -> str:
    """The instance to ask: the argument (an ID or ARN) if allowed, else the default."""
    if value is None:
        if settings.default_instance is None:
            raise BadUserInput("instanceId is required: the gateway has no default instance")
        return settings.default_instance
    try:
        instance = instance_id_of(value)
    except ValueError:
        raise BadUserInput("instanceId must be a Connect instance ID or instance ARN") from None
    if instance not in settings.instances:
        raise BadUserInput(f"instance {instance!r} is not one this gateway may query")
    return instance


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
