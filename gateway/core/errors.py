"""The gateway's errors: one tree, each class carrying the GraphQL `extensions.code`.

    GatewayError
     ├── NotFound              NOT_FOUND             the entity does not exist (field is null)
     ├── BadUserInput          BAD_USER_INPUT        rejected before any upstream call
     ├── Unauthenticated       UNAUTHENTICATED       no, invalid or expired credentials (HTTP 401)
     ├── Forbidden             FORBIDDEN             the caller's scopes, or Connect, refuse it
     ├── UpstreamThrottled     UPSTREAM_THROTTLED    Connect's quota held, retries used up
     └── UpstreamUnavailable   UPSTREAM_UNAVAILABLE  Connect failed, timed out or is unreachable

Anything else that escapes a resolver is a bug: it is answered as a masked
INTERNAL_SERVER_ERROR and logged with the request id. botocore's errors become these
only in `gateway.connect.errors`.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "INTERNAL_SERVER_ERROR",
    "BadUserInput",
    "Conflict",
    "Forbidden",
    "GatewayError",
    "NotFound",
    "ScopeRefused",
    "Unauthenticated",
    "UpstreamThrottled",
    "UpstreamUnavailable",
]

INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class GatewayError(Exception):
    """An expected failure, safe to show to the client as it is."""

    code: ClassVar[str] = INTERNAL_SERVER_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(GatewayError):
    code = "NOT_FOUND"


class BadUserInput(GatewayError):
    code = "BAD_USER_INPUT"


class Unauthenticated(GatewayError):
    code = "UNAUTHENTICATED"


class Forbidden(GatewayError):
    code = "FORBIDDEN"


class ScopeRefused(Forbidden):
    """The caller's scopes do not cover it: the same answer every time for the same scopes
    (unlike Connect refusing the gateway's credentials), so a cached response may keep it."""


class Conflict(GatewayError):
    """Connect refused a write for the contact's state (not waiting in a queue, already
    paused) or a ClientToken used for another request: the input may be right another time."""

    code = "CONFLICT"


class UpstreamThrottled(GatewayError):
    code = "UPSTREAM_THROTTLED"


class UpstreamUnavailable(GatewayError):
    code = "UPSTREAM_UNAVAILABLE"
