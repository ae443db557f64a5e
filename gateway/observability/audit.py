"""The audit trail: one line per GraphQL request on logger `gateway.audit`, saying who
(an API key's id or a token's `sub`) read what (operation, instances, contact IDs).

Identifiers only: no personal values, no variables, no credentials.

    caller=sub:agent-7 operation=Who instances=<id>,<id> contacts=<id>,<id> errors=0

A request that was given recording URLs (`contacts:recordings`) says whose, last:
`... errors=0 recordings=<id>,<id>`.

Fields are separated by one space, a name from its value by the first `=`, the items of a
list by `,`; `-` stands for none. A value (each list item on its own) is percent-encoded
(as in a URL, UTF-8) wherever it holds a space, `"`, `%`, `,`, `=`, `\\` or any character
outside printable ASCII, so `sub: "evil caller=admin"` is logged as
`caller=sub:evil%20caller%3Dadmin`: no caller can forge a field, an item or a line, and
`urllib.parse.unquote` reads a value back. Plain identifiers read as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

__all__ = ["Audit", "refused"]

log = logging.getLogger("gateway.audit")

_KEPT = "".join(chr(code) for code in range(0x21, 0x7F) if chr(code) not in '"%,=\\')


def _encode(value: str) -> str:
    """`value` as an audit line holds it (see the module's docstring)."""
    # surrogatepass: a token's `sub` can hold a lone surrogate (JSON's "\ud800").
    return quote(value, safe=_KEPT, errors="surrogatepass")


def refused(method: str, path: str, reason: str) -> None:
    """The line for a request refused before any route ran: `refused GET /path: reason`,
    the method and path encoded, the reason (the gateway's words, spaces and all) last."""
    log.info("refused %s %s: %s", _encode(method), _encode(path), reason)


@dataclass
class Audit:
    caller: str = "-"
    instances: set[str] = field(default_factory=set)
    contacts: dict[str, None] = field(default_factory=dict)  # ordered, unique
    recordings: dict[str, None] = field(default_factory=dict)  # contacts given a recording URL
    writes: list[str] = field(default_factory=list)  # "<operation>:<contact>:<members>"

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

    def recording(self, instance: str, contact_id: str) -> None:
        """A URL of the contact's recording was issued."""
        self.read(instance, contact_id)
        self.recordings[contact_id] = None

    def wrote(self, instance: str, contact_id: str, operation: str, members: Iterable[str]) -> None:
        """A write to Connect: its operation, the contact, which members (never values)."""
        self.instances.add(instance)
        self.writes.append(":".join((operation, contact_id, "+".join(members) or "-")))

    def write(self, operation: str | None, errors: int) -> None:
        if not log.isEnabledFor(logging.INFO):
            return  # the line's fields are not even encoded
        recordings = ""
        if self.recordings:
            recordings = " recordings=" + ",".join(_encode(c) for c in self.recordings)
        if self.writes:
            recordings += " writes=" + ",".join(_encode(w) for w in self.writes)
        log.info(
            "caller=%s operation=%s instances=%s contacts=%s errors=%d%s",
            _encode(self.caller),
            _encode(operation or "-"),
            ",".join(_encode(i) for i in sorted(self.instances)) or "-",
            ",".join(_encode(c) for c in self.contacts) or "-",
            errors,
            recordings,
        )
