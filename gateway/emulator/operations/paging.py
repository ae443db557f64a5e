"""Paging: opaque NextTokens that say where a listing stopped and which request it was for.

A token is base64url JSON: the offset of the next item and a digest of the request's
query (everything but the page size and the token), so a token used with another query is
refused with 400 InvalidParameterException, as is one that does not decode. An offset is a
stable position while the listing does not change; a contact that arrives or changes
between pages may shift it by one, as results can in Connect.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from gateway.emulator.protocol.errors import ConnectError

__all__ = ["page"]

T = TypeVar("T")


def page(
    items: Sequence[T], size: int, token: str | None, query: Mapping[str, Any]
) -> tuple[list[T], str | None]:
    """The page of `items` that `token` (None: the first) starts, and the next page's token."""
    digest = _digest(query)
    start = 0 if token is None else _offset(token, digest, len(items))
    end = start + size
    following = _token(end, digest) if end < len(items) else None
    return list(items[start:end]), following


def _token(offset: int, digest: str) -> str:
    raw = json.dumps({"o": offset, "q": digest}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _offset(token: str, digest: str, total: int) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset, issued_for = data["o"], data["q"]
    except (binascii.Error, UnicodeError, ValueError, TypeError, KeyError):
        raise ConnectError("InvalidParameterException", "The NextToken is not valid.") from None
    if issued_for != digest:
        raise ConnectError(
            "InvalidParameterException", "The NextToken was issued for a different request."
        )
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 < offset < total:
        raise ConnectError("InvalidParameterException", "The NextToken is not valid.")
    return offset


def _digest(query: Mapping[str, Any]) -> str:
    text = json.dumps(query, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot digest {type(value).__name__}")
