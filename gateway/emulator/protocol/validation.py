"""Checking a value against a botocore shape: the constraints Connect enforces on input.

Input validation checks required members, types, string and collection lengths and numeric
ranges. Enums are not checked on input: Connect accepts values it does not list in some
places, and a newer service than this botocore would too. The stricter rules (enums,
patterns, no unknown members) exist for checking the demo dataset against output shapes.
Messages follow AWS's "Value ... at '...' failed to satisfy constraint" style.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from botocore.model import OperationModel, Shape

from gateway.emulator.protocol.errors import ConnectError

__all__ = ["Rules", "check", "invalid_input_code", "problems"]

_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (float, int),
    "double": (float, int),
    "boolean": (bool,),
    "timestamp": (datetime,),
    "blob": (bytes, bytearray),
    "structure": (dict,),
    "list": (list,),
    "map": (dict,),
}


@dataclass(frozen=True)
class Rules:
    """Which of the model's optional constraints to enforce."""

    enums: bool = False
    patterns: bool = False


def check(
    shape: Shape,
    value: Mapping[str, Any],
    rules: Rules = Rules(),
    code: str = "InvalidParameterException",
) -> None:
    """Raise the error `code` naming every member of `value` that breaks `shape`."""
    found = problems(shape, value, "", rules)
    if found:
        count = f"{len(found)} validation error{'s' if len(found) > 1 else ''} detected"
        raise ConnectError(code, f"{count}: {'; '.join(found)}")


def invalid_input_code(operation: OperationModel) -> str:
    """The error an operation answers invalid input with: InvalidParameterException where
    the model declares it for the operation, else InvalidRequestException (which all do)."""
    declared = {error.name for error in operation.error_shapes}
    if "InvalidParameterException" in declared or "InvalidRequestException" not in declared:
        return "InvalidParameterException"
    return "InvalidRequestException"


def problems(shape: Shape, value: Any, path: str, rules: Rules = Rules()) -> list[str]:
    """Every way `value` breaks `shape`, each a message naming the member by its path."""
    if not _has_type(shape, value):
        return [_fail(value, path, f"Member must be of type {shape.type_name}")]
    if shape.type_name == "structure":
        return _structure(shape, value, path, rules)
    if shape.type_name == "list":
        found = _length(shape, value, path, "have length")
        for index, item in enumerate(value):
            found += problems(shape.member, item, f"{path}[{index}]", rules)  # type: ignore[attr-defined]
        return found
    if shape.type_name == "map":
        found = _length(shape, value, path, "have length")
        for key, item in value.items():
            found += problems(shape.key, key, f"{path}.key", rules)  # type: ignore[attr-defined]
            found += problems(shape.value, item, f"{path}[{key}]", rules)  # type: ignore[attr-defined]
        return found
    if shape.type_name == "string":
        return _string(shape, value, path, rules)
    if shape.type_name == "timestamp" and value.tzinfo is None:
        return [_fail(value, path, "Member must be a timezone-aware timestamp")]
    return _range(shape, value, path)


def _has_type(shape: Shape, value: Any) -> bool:
    allowed = _TYPES.get(shape.type_name, (object,))
    if isinstance(value, bool) and bool not in allowed:
        return False
    return isinstance(value, allowed)


def _structure(shape: Shape, value: Mapping[str, Any], path: str, rules: Rules) -> list[str]:
    members: Mapping[str, Shape] = shape.members  # type: ignore[attr-defined]
    prefix = f"{path}." if path else ""
    found = [
        _fail(None, f"{prefix}{name}", "Member must not be null")
        for name in shape.required_members
        if value.get(name) is None
    ]
    present = {name: item for name, item in value.items() if item is not None}
    for name, item in present.items():
        if name not in members:
            found.append(_fail(item, f"{prefix}{name}", "Member is not in the shape"))
        else:
            found += problems(members[name], item, f"{prefix}{name}", rules)
    if shape.metadata.get("union") and len(present) != 1:
        found.append(_fail(None, path, "Member must have exactly one member set"))
    return found


def _string(shape: Shape, value: str, path: str, rules: Rules) -> list[str]:
    found = _length(shape, value, path, "have length")
    enum = shape.metadata.get("enum")
    if rules.enums and enum and value not in enum:
        found.append(_fail(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
    pattern = _compiled(shape.metadata.get("pattern")) if rules.patterns else None
    if pattern is not None and pattern.search(value) is None:
        found.append(
            _fail(value, path, f"Member must satisfy regular expression pattern: {pattern.pattern}")
        )
    return found


def _length(shape: Shape, value: Any, path: str, what: str) -> list[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and len(value) < low:
        return [_fail(value, path, f"Member must {what} greater than or equal to {low}")]
    if high is not None and len(value) > high:
        return [_fail(value, path, f"Member must {what} less than or equal to {high}")]
    return []


def _range(shape: Shape, value: Any, path: str) -> list[str]:
    if shape.type_name not in ("integer", "long", "float", "double"):
        return []
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        return [_fail(value, path, f"Member must have value greater than or equal to {low}")]
    if high is not None and value > high:
        return [_fail(value, path, f"Member must have value less than or equal to {high}")]
    return []


def _fail(value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{_shorten(value)}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def _shorten(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 64 else f"{text[:61]}..."


@cache
def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    """The pattern as Python understands it; None for Java-only syntax such as \\p{L}."""
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None
