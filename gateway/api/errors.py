"""GraphQL errors as clients see them: every error carries `extensions.code`; unexpected
ones are masked (the detail goes to the log only, under the request id)."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from gateway.core.errors import INTERNAL_SERVER_ERROR, BadUserInput, GatewayError

__all__ = ["MASKED_MESSAGE", "code_errors", "error_code", "format_error", "log_unexpected"]

log = logging.getLogger("gateway.errors")

MASKED_MESSAGE = "Internal server error"


def error_code(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, GatewayError):
        return original.code
    if original is None or isinstance(original, GraphQLError):
        # Syntax, validation (depth, aliases, unknown fields) and variable errors.
        return BadUserInput.code
    return INTERNAL_SERVER_ERROR


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    code = error_code(error)
    extensions = dict(formatted.get("extensions") or {})
    extensions["code"] = code
    if code == INTERNAL_SERVER_ERROR:
        formatted["message"] = MASKED_MESSAGE
        extensions["requestId"] = request_id
    formatted["extensions"] = extensions
    return formatted


def code_errors(errors: list[GraphQLError]) -> None:
    """Gives the errors their code (and masks unexpected ones) in place, for transports
    that send `error.formatted` as it is (subscriptions over websockets)."""
    for error in errors:
        code = error_code(error)
        error.extensions = {**(error.extensions or {}), "code": code}
        if code == INTERNAL_SERVER_ERROR:
            error.message = MASKED_MESSAGE


def log_unexpected(errors: list[GraphQLError]) -> None:
    for error in errors:
        if error_code(error) == INTERNAL_SERVER_ERROR:
            log.error(
                "unexpected error at %s: %s", error.path, error, exc_info=error.original_error
            )
