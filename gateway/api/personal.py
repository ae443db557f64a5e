"""Personal data fields: which ones is decided in gateway/api/personal_data.py (the generator
marks them); here is what marks them. Without the `contacts:pii` scope such a field is null
with FORBIDDEN at its path, and its siblings answer. The check reads only the caller, so it
costs nothing upstream and holds for cached data too (the cache keeps whole records; what
a caller sees is decided per request)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from gateway.core.caller import CONTACTS_PII
from gateway.core.errors import ScopeRefused

__all__ = ["PERSONAL_NOTE", "PersonalData"]

PERSONAL_NOTE = "Personal data: needs the contacts:pii scope."


class PersonalData(BasePermission):
    message = "this field is personal data: reading it needs the contacts:pii scope"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return self.allows(info.context)

    @staticmethod
    def allows(context: Any) -> bool:
        """True when the request's caller may read personal data."""
        return bool(context.caller.has(CONTACTS_PII))

    def on_unauthorized(self) -> None:
        raise ScopeRefused(self.message)
