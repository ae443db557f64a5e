"""What a client sends to /graphql, checked before anything reads it: JSON that parses into
an object of bounded nesting, and members of the types GraphQL over HTTP says."""

from __future__ import annotations

import json
from typing import Any

from gateway.core.errors import BadUserInput

__all__ = ["MAX_JSON_DEPTH", "check_members", "decode_object"]

MAX_JSON_DEPTH = 64
"""No GraphQL input of this schema nests deeper; beyond it, JSON is an attack on recursion."""


def decode_object(data: str | bytes) -> dict[str, Any]:
    """A JSON object (the body, or GET's variables or extensions), or BadUserInput."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise BadUserInput(f"JSON nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError:  # also bytes that are not UTF-8
        raise BadUserInput("Unable to parse request body as JSON") from None
    if not isinstance(value, dict):
        raise BadUserInput("Expected a JSON object (batched queries are not supported)")
    if _depth(value) > MAX_JSON_DEPTH:
        raise BadUserInput(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
    return value


def check_members(
    query: object, variables: object, operation_name: object, extensions: object
) -> None:
    """GraphQL over HTTP's types for the request's members; BadUserInput otherwise."""
    for name, given, kind, label in (
        ("query", query, str, "a string"),
        ("variables", variables, dict, "an object"),
        ("operationName", operation_name, str, "a string"),
        ("extensions", extensions, dict, "an object"),
    ):
        if given is not None and not isinstance(given, kind):
            raise BadUserInput(f"{name} must be {label} or null")


def _depth(value: object) -> int:
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return depth
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest
