"""Writing an operation's output the way a rest-json service does, by walking its shape.

Body timestamps are epoch seconds (rest-json's default) unless a member names another
`timestampFormat`; header timestamps default to RFC 822. None members are left out, and so
are keys the shape does not have.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from botocore.model import Shape, StructureShape

__all__ = ["serialize_output", "to_wire"]


def serialize_output(
    shape: StructureShape | None, output: Mapping[str, Any]
) -> tuple[dict[str, str], bytes]:
    """The headers and JSON body for `output`, an instance of the operation's output shape."""
    if shape is None:
        return {}, b"{}"
    headers: dict[str, str] = {}
    body: dict[str, Any] = {}
    for name, member in shape.members.items():
        value = output.get(name)
        if value is None:
            continue
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "header":
            headers[wire] = _header(member, value)
        elif location == "headers":
            headers.update({f"{wire}{key}": str(item) for key, item in value.items()})
        elif location != "statusCode":
            body[wire] = to_wire(member, value)
    return headers, json.dumps(body, separators=(",", ":")).encode()


def to_wire(shape: Shape, value: Any) -> Any:
    """The JSON value for `value` as an instance of `shape`."""
    kind = shape.type_name
    if kind == "structure":
        members = shape.members  # type: ignore[attr-defined]
        return {
            members[name].serialization.get("name", name): to_wire(members[name], item)
            for name, item in value.items()
            if name in members and item is not None
        }
    if kind == "list":
        return [to_wire(shape.member, item) for item in value]  # type: ignore[attr-defined]
    if kind == "map":
        return {key: to_wire(shape.value, item) for key, item in value.items()}  # type: ignore[attr-defined]
    if kind == "timestamp":
        return _timestamp(value, shape.serialization.get("timestampFormat", "unixTimestamp"))
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode()
    return value


def _header(shape: Shape, value: Any) -> str:
    if shape.type_name == "timestamp":
        return str(_timestamp(value, shape.serialization.get("timestampFormat", "rfc822")))
    if shape.type_name == "boolean":
        return "true" if value else "false"
    if shape.type_name == "list":
        return ",".join(str(item) for item in value)
    return str(value)


def _timestamp(value: datetime, form: str) -> float | int | str:
    if form == "iso8601":
        return value.isoformat().replace("+00:00", "Z")
    if form == "rfc822":
        return format_datetime(value, usegmt=True)
    seconds = round(value.timestamp(), 3)
    return int(seconds) if seconds.is_integer() else seconds
