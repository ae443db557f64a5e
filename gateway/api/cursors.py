"""Opaque cursors for connections over Connect's token-paged searches.

A cursor says where an edge sits: the NextToken that fetched its page (None for the
first page), the page size, and how many of that page's items come before the next
edge. Connect's tokens are only good for the same search, so a cursor also carries a
digest of the search and is refused for another, and the time range the first page was
searched over (a range ending now is searched as of the moment its shared first page was
fetched, see `gateway.search`): later pages search that range, whatever times the request
that brings the cursor gives, so that a dashboard asking for "the last hour" can page
through it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.errors import BadUserInput

__all__ = ["Cursor", "digest"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def digest(search: dict[str, Any]) -> str:
    """A short digest of a search's parameters (without its paging)."""
    text = json.dumps(search, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Cursor:
    token: str | None
    size: int
    skip: int
    search: str
    window: tuple[datetime, datetime] | None = None

    def encode(self) -> str:
        data: dict[str, Any] = {"t": self.token, "n": self.size, "s": self.skip, "q": self.search}
        if self.window is not None:
            data["r"] = [(moment - _EPOCH) // _MICROSECOND for moment in self.window]
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()

    @classmethod
    def decode(cls, text: str, search: str) -> Cursor:
        try:
            data = json.loads(base64.urlsafe_b64decode(text.encode()))
            window = data.get("r")
            cursor = cls(
                token=data["t"],
                size=int(data["n"]),
                skip=int(data["s"]),
                search=str(data["q"]),
                window=None if window is None else _window(window),
            )
        except (ValueError, KeyError, TypeError, OverflowError, binascii.Error):
            raise BadUserInput("after is not a cursor this gateway gave out") from None
        if cursor.search != search:
            raise BadUserInput("after is a cursor of another search")
        if not (1 <= cursor.size <= 100 and 0 <= cursor.skip <= cursor.size):
            raise BadUserInput("after is not a cursor this gateway gave out")
        return cursor


def _window(micros: list[int]) -> tuple[datetime, datetime]:
    start, end = (_EPOCH + int(value) * _MICROSECOND for value in micros)
    if start > end:
        raise ValueError("a window ends before it starts")
    return start, end
