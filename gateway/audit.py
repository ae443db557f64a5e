"""The audit trail: one line per GraphQL request on logger `gateway.audit`, saying who
(an API key's id or a token's `sub`) read what (operation, instances, contact IDs).

Identifiers only: no personal values, no variables, no credentials.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Audit"]

log = logging.getLogger("gateway.audit")


@dataclass
class Audit:
    caller: str = "-"
    instances: set[str] = field(default_factory=set)
    contacts: dict[str, None] = field(default_factory=dict)  # ordered, unique

    @classmethod
    def of_tags(cls, caller: str, tags: Iterable[str]) -> Audit:
        """The reads a cached response holds (its tags, `"<kind>:<instanceId>:<id>"`)."""
        audit = cls(caller)
        for tag in sorted(tags):
            kind, _, rest = tag.partition(":")
            instance, _, entity = rest.partition(":")
            if kind == "contact" and entity:
                audit.read(instance, entity)
        return audit

    def read(self, instance: str, contact_id: str) -> None:
        self.instances.add(instance)
        self.contacts[contact_id] = None

    def write(self, operation: str | None, errors: int) -> None:
        log.info(
            "caller=%s operation=%s instances=%s contacts=%s errors=%d",
            self.caller,
            operation or "-",
            ",".join(sorted(self.instances)) or "-",
            ",".join(self.contacts) or "-",
            errors,
        )
