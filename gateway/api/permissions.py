"""What a caller's scopes let it read, checked in the resolvers before any cache read or
upstream call: `contacts:read`, and `instance:<id>` / `instance:*` for the instance named.
A refusal is FORBIDDEN at the field; its siblings still answer."""

from __future__ import annotations

from gateway.api import inputs
from gateway.core.caller import CONTACTS_PII, CONTACTS_READ, Caller
from gateway.core.errors import ScopeRefused
from gateway.core.settings import Settings

__all__ = ["PERSONAL_CRITERIA", "check_criteria", "check_read", "readable_instance"]

PERSONAL_CRITERIA = {
    "name": "matches the free text of contacts' names and descriptions",
    "contactAttributes": "matches values flows set about the customer",
    "segmentAttributes": "matches values flows and integrations set about the customer",
}
"""Search criteria on personal data, by GraphQL name: they need `contacts:pii`, or a count
of matches would answer questions about the customer that the fields themselves refuse."""


def check_read(caller: Caller, instance: str) -> None:
    if not caller.has(CONTACTS_READ):
        raise ScopeRefused("reading contacts needs the contacts:read scope")
    if not caller.may_read_instance(instance):
        raise ScopeRefused(f"instance {instance!r} is not in this caller's scopes (instance:<id>)")


def readable_instance(value: str | None, settings: Settings, caller: Caller) -> str:
    """The instance to ask (inputs.instance_id), once the caller may read it."""
    instance = inputs.instance_id(value, settings)
    check_read(caller, instance)
    return instance


def check_criteria(caller: Caller, used: list[str]) -> None:
    """Refuses search criteria on personal data (`used`: GraphQL names) without
    `contacts:pii`."""
    personal = [name for name in used if name in PERSONAL_CRITERIA]
    if personal and not caller.has(CONTACTS_PII):
        raise ScopeRefused(
            f"searching by {', '.join(personal)} needs the contacts:pii scope "
            "(they match personal data)"
        )
