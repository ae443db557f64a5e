"""Binding an HTTP request to an operation's input members, by each member's location.

URI labels, query-string parameters and headers arrive as text and are converted to the
member's type; body members come from the JSON document. Values that will not convert are
kept as they came, so validation reports them against the member that rejects them.
Unknown body members are ignored, as lenient JSON deserializers do.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.model import OperationModel, Shape, StructureShape

from gateway.emulator.protocol.errors import ConnectError

__all__ = ["bind", "from_json", "from_text"]

_TEXT_LOCATIONS = ("uri", "querystring", "header", "headers", "statusCode")


def bind(
    operation: OperationModel,
    labels: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> dict[str, Any]:
    """The operation's input as a dict of member name to value; absent members are left out."""
    shape = operation.input_shape
    if shape is None:
        return {}
    params = _bind_text(shape, labels, query, headers)
    params.update(_bind_body(shape, body))
    return params


def _bind_text(
    shape: StructureShape,
    labels: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    named_query = {
        member.serialization.get("name", name)
        for name, member in shape.members.items()
        if member.serialization.get("location") == "querystring" and member.type_name != "map"
    }
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        value: Any = None
        if location == "uri" and wire in labels:
            value = from_text(member, labels[wire])
        elif location == "querystring":
            value = _query_value(member, wire, query, named_query)
        elif location == "header" and wire in headers:
            value = from_text(member, headers[wire])
        elif location == "headers":
            prefix = wire.lower()
            found = {
                k[len(prefix) :]: v for k, v in headers.items() if k.lower().startswith(prefix)
            }
            value = found or None
        if value is not None:
            params[name] = value
    return params


def _query_value(
    member: Shape, wire: str, query: Sequence[tuple[str, str]], named: set[str]
) -> Any:
    if member.type_name == "map":
        found = {key: value for key, value in query if key not in named}
        return found or None
    values = [value for key, value in query if key == wire]
    if not values:
        return None
    if member.type_name == "list":
        return [from_text(member.member, value) for value in values]  # type: ignore[attr-defined]
    return from_text(member, values[0])


def _bind_body(shape: StructureShape, body: bytes) -> dict[str, Any]:
    payload = shape.serialization.get("payload")
    members = {
        name: member
        for name, member in shape.members.items()
        if member.serialization.get("location") not in _TEXT_LOCATIONS
    }
    if payload is not None and shape.members[payload].type_name != "structure":
        return {payload: body} if body else {}
    if not members:
        return {}
    document = _parse_document(shape, members, body)
    if payload is not None:
        return {payload: from_json(shape.members[payload], document)}
    decoded = from_json(shape, document)
    return {name: value for name, value in decoded.items() if name in members}


def _parse_document(
    shape: StructureShape, members: Mapping[str, Shape], body: bytes
) -> dict[str, Any]:
    if not body.strip():
        if any(name in members for name in shape.required_members):
            raise ConnectError("InvalidRequestException", "The request body is missing")
        return {}
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise ConnectError(
            "InvalidRequestException", f"The request body is not valid JSON: {error}"
        ) from None
    if not isinstance(document, dict):
        raise ConnectError("InvalidRequestException", "The request body must be a JSON object")
    return document


def from_json(shape: Shape, value: Any) -> Any:
    """A JSON value converted to the Python value for `shape`, or unchanged if it won't fit."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members  # type: ignore[attr-defined]
        wire = {member.serialization.get("name", name): name for name, member in members.items()}
        return {
            wire[key]: from_json(members[wire[key]], item)
            for key, item in value.items()
            if key in wire and item is not None
        }
    if kind == "list" and isinstance(value, list):
        return [from_json(shape.member, item) for item in value]  # type: ignore[attr-defined]
    if kind == "map" and isinstance(value, dict):
        return {key: from_json(shape.value, item) for key, item in value.items()}  # type: ignore[attr-defined]
    if kind == "timestamp":
        return _timestamp(value)
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            return value
    return value


def from_text(shape: Shape, text: str) -> Any:
    """A URI label, query value or header converted to the Python value for `shape`."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), text)
    if kind == "timestamp":
        return _timestamp(text)
    if kind == "list":
        return [from_text(shape.member, item.strip()) for item in text.split(",")]  # type: ignore[attr-defined]
    return text


def _timestamp(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value
