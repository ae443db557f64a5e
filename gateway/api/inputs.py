"""Checks on arguments, made before any upstream call (Connect's own limits, the allow-list)."""

from __future__ import annotations

from gateway.core.errors import BadUserInput
from gateway.core.settings import Settings, instance_id_of

__all__ = ["MAX_CONTACT_IDS", "contact_id", "instance_id"]

MAX_CONTACT_IDS = 100
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
    if instance not in settings.instance_ids:
        raise BadUserInput(f"instance {instance!r} is not one this gateway may query")
    return instance


def camel(name: str) -> str:
    """A Python field name as the schema spells it (`previous_contact_id`: previousContactId)."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)
