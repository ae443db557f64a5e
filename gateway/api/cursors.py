"""Opaque cursors for connections over Connect's token-paged searches.

A cursor says where an edge sits: the NextToken that fetched its page (None for the
first page), the page size, and how many of that page's items come before the next
edge. Connect's tokens are only good for the same search, so a cursor also carries a
digest of the search and is refused for another, and the time range the first page was
searched over (a range ending now is searched as of the moment its shared first page was
fetched, see `gateway.data.search`): later pages search that range, whatever times the request
that brings the cursor gives, so that a dashboard asking for "the last hour" can page
through it. A cursor is signed (HMAC-SHA256 with GATEWAY_CURSOR_SECRET, else a key made
per process): one the gateway did not give out is refused before it reaches Connect.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.connect.wire import MAX_RESULTS
from gateway.core.errors import BadUserInput
from gateway.core.settings import Settings

__all__ = ["Cursor", "cursor_key", "digest", "warn_if_per_process"]

log = logging.getLogger(__name__)

_PROCESS_KEY = secrets.token_bytes(32)
_FORGED = "after is not a cursor this gateway gave out"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def cursor_key(settings: Settings) -> bytes:
    """The key cursors are signed with: the configured secret, else this process's own."""
    secret = settings.cursor_secret
    return _PROCESS_KEY if secret is None else secret.encode()


def warn_if_per_process(settings: Settings) -> None:
    """Say so when cursors are signed with a per-process key where another process (a
    worker, a replica sharing Redis) may be asked for the next page."""
    if settings.cursor_secret is None and (
        settings.workers > 1 or settings.cache_url != "memory://"
    ):
        log.warning(
            "GATEWAY_CURSOR_SECRET is not set: search cursors are signed with a key of this "
            "process and are refused by other workers and replicas; set the same secret on all"
        )


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

    def encode(self, key: bytes) -> str:
        data: dict[str, Any] = {"t": self.token, "n": self.size, "s": self.skip, "q": self.search}
        if self.window is not None:
            data["r"] = [(moment - _EPOCH) // _MICROSECOND for moment in self.window]
        payload = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
        return f"{payload}.{_sign(payload, key)}"

    @classmethod
    def decode(cls, text: str, search: str, key: bytes) -> Cursor:
        payload, _, signature = text.partition(".")
        if not hmac.compare_digest(signature.encode(), _sign(payload, key).encode()):
            raise BadUserInput(_FORGED)
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            window = data.get("r")
            cursor = cls(
                token=data["t"],
                size=int(data["n"]),
                skip=int(data["s"]),
                search=str(data["q"]),
                window=None if window is None else _window(window),
            )
        except (ValueError, KeyError, TypeError, OverflowError, binascii.Error):
            raise BadUserInput(_FORGED) from None
        if cursor.search != search:
            raise BadUserInput("after is a cursor of another search")
        if not (1 <= cursor.size <= MAX_RESULTS and 0 <= cursor.skip <= cursor.size):
            raise BadUserInput(_FORGED)
        return cursor


def _window(micros: list[int]) -> tuple[datetime, datetime]:
    start, end = (_EPOCH + int(value) * _MICROSECOND for value in micros)
    if start > end:
        raise ValueError("a window ends before it starts")
    return start, end


def _sign(payload: str, key: bytes) -> str:
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")
