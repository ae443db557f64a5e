"""What a caller's scopes let it read and write, checked in the resolvers before any cache
read or upstream call: `contacts:read` (`contacts:write` for a mutation, with
`contacts:pii` when it writes personal data), and `instance:<id>` / `instance:*` for the
instance named.
A refusal is FORBIDDEN at the field; its siblings still answer."""

from __future__ import annotations

from gateway.api import inputs
from gateway.core.caller import CONTACTS_PII, CONTACTS_READ, CONTACTS_WRITE, Caller
from gateway.core.errors import ScopeRefused
from gateway.core.settings import Settings

__all__ = [
    "PERSONAL_CRITERIA",
    "check_criteria",
    "check_read",
    "check_write",
    "readable_instance",
]

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


def check_write(
    caller: Caller, instance: str, personal: list[str], scope: str = CONTACTS_WRITE
) -> None:
    """Refuses a write without its `scope` (contacts:write, evaluations:write) or the
    instance's, and one that sets personal data (`personal`: the input's fields) without
    `contacts:pii`."""
    if not caller.has(scope):
        raise ScopeRefused(f"this write needs the {scope} scope")
    if not caller.may_read_instance(instance):
        raise ScopeRefused(f"instance {instance!r} is not in this caller's scopes (instance:<id>)")
    if personal and not caller.has(CONTACTS_PII):
        names = ", ".join(inputs.camel(name) for name in personal)
        raise ScopeRefused(f"writing {names} needs the contacts:pii scope (personal data)")


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
