"""What a caller's scopes let it read, checked in the resolvers before any cache read or
upstream call: `contacts:read`, and `instance:<id>` / `instance:*` for the instance named.
A refusal is FORBIDDEN at the field; its siblings still answer."""

from __future__ import annotations

from gateway.api import inputs
from gateway.caller import CONTACTS_READ, Caller
from gateway.errors import ScopeRefused
from gateway.settings import Settings

__all__ = ["check_read", "readable_instance"]


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
