"""Who is asking: the caller, resolved once per request (by the authentication middleware)
into a small object that every layer below only reads.

Scopes: `contacts:read` (any contact data), `contacts:pii` (personal data fields),
`contacts:recordings` (playable recording URLs),
`instance:<instance ID>` or `instance:*` (which instances a caller may name), and
`events:write` (the events endpoint), `metrics:read` (`/metrics`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

__all__ = [
    "CONTACTS_PII",
    "CONTACTS_READ",
    "CONTACTS_RECORDINGS",
    "CONTACTS_WRITE",
    "EVALUATIONS_WRITE",
    "EVENTS_WRITE",
    "EVERYONE",
    "INSTANCE_ANY",
    "METRICS_READ",
    "NOBODY",
    "SCOPES",
    "Caller",
    "is_scope_token",
]

CONTACTS_READ = "contacts:read"
CONTACTS_PII = "contacts:pii"
CONTACTS_RECORDINGS = "contacts:recordings"
CONTACTS_WRITE = "contacts:write"
EVALUATIONS_WRITE = "evaluations:write"
EVENTS_WRITE = "events:write"
INSTANCE_ANY = "instance:*"
METRICS_READ = "metrics:read"
SCOPES = frozenset({
    CONTACTS_READ, CONTACTS_PII, CONTACTS_RECORDINGS, CONTACTS_WRITE, EVALUATIONS_WRITE,
    EVENTS_WRITE, INSTANCE_ANY, METRICS_READ,
})  # fmt: skip
"""Every scope but `instance:<id>`, which names one instance."""


_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,256}")


def is_scope_token(value: object) -> bool:
    """Whether `value` is one scope token (RFC 6749 3.3: printable ASCII, no space, quote
    or backslash): what a credential may grant. Anything else is ignored, never split."""
    return isinstance(value, str) and _SCOPE_TOKEN.fullmatch(value) is not None


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: `id` is an API key's id or a token's `sub`."""

    id: str
    scopes: frozenset[str]
    scope_key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A canonical encoding of the sorted set (JSON: each scope quoted and escaped), so
        # that no two scope sets share a key, whatever characters a scope holds.
        canonical = json.dumps(sorted(self.scopes), ensure_ascii=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        object.__setattr__(self, "scope_key", digest)

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def may_read_instance(self, instance_id: str) -> bool:
        return INSTANCE_ANY in self.scopes or f"instance:{instance_id}" in self.scopes


# GATEWAY_AUTH=none (demo mode, or behind an authenticating proxy): every scope.
EVERYONE = Caller("anonymous", SCOPES)

# Authentication required, no credentials sent: what a public page (health, GraphiQL) sees.
NOBODY = Caller("-", frozenset())
