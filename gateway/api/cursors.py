"""Opaque cursors for connections over Connect's token-paged searches.

A cursor says where an edge sits: the NextToken that fetched its page (None for the
first page), the page size, and how many of that page's items come before the next
edge. Connect's tokens are only good for the same search, so a cursor also carries a
digest of the search and is refused for another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from gateway.errors import BadUserInput

__all__ = ["Cursor", "digest"]


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

    def encode(self) -> str:
        data = {"t": self.token, "n": self.size, "s": self.skip, "q": self.search}
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()

    @classmethod
    def decode(cls, text: str, search: str) -> Cursor:
        try:
            data = json.loads(base64.urlsafe_b64decode(text.encode()))
            cursor = cls(
                token=data["t"], size=int(data["n"]), skip=int(data["s"]), search=str(data["q"])
            )
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise BadUserInput("after is not a cursor this gateway gave out") from None
        if cursor.search != search:
            raise BadUserInput("after is a cursor of another search")
        if not (1 <= cursor.size <= 100 and 0 <= cursor.skip <= cursor.size):
            raise BadUserInput("after is not a cursor this gateway gave out")
        return cursor
