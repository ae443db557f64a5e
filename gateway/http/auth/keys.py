"""API keys: the operator's file of key digests (`GATEWAY_API_KEYS_FILE`), and new keys.

    {"keys": [{"id": "dashboard", "sha256": "<hex SHA-256 of the key>", "scopes": [...]}]}

Keys are never stored in clear: a presented key is hashed and its digest compared with
every entry in constant time, so neither the file nor the timing of an answer gives a key
away.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.core.caller import SCOPES, Caller

__all__ = ["ApiKeys", "check_scopes", "new_key"]

_ID = re.compile(r"^[A-Za-z0-9._@:-]{1,128}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_INSTANCE = re.compile(r"^instance:[A-Za-z0-9-]{1,100}$")
_PREFIX = "cgg_"


@dataclass(frozen=True)
class _Entry:
    digest: bytes
    caller: Caller


class ApiKeys:
    def __init__(self, entries: Iterable[_Entry]) -> None:
        self._entries = tuple(entries)
        self._by_digest = {entry.digest: entry.caller for entry in self._entries}

    def __len__(self) -> int:
        return len(self._entries)

    @classmethod
    def load(cls, path: Path) -> ApiKeys:
        """The keys of the file at `path`; ValueError saying what is wrong with it."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ValueError(f"cannot read {str(path)!r}: {error.strerror}") from None
        except ValueError as error:
            raise ValueError(f"{str(path)!r} is not JSON: {error}") from None
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise ValueError(f'{str(path)!r} must be {{"keys": [{{"id", "sha256", "scopes"}}]}}')
        entries = [_entry(item, n) for n, item in enumerate(keys)]
        for what, values in (
            ("id", [e.caller.id for e in entries]),
            ("sha256", [e.digest.hex() for e in entries]),
        ):
            if len(set(values)) != len(values):
                raise ValueError(f"{str(path)!r}: two keys have the same {what}")
        return cls(entries)

    def caller(self, key: str) -> Caller | None:
        """The caller whose key this is, or None: one hash and one lookup, whatever the
        number of keys (a lookup by SHA-256 digest tells a timing observer nothing of the
        keys: it cannot steer the digest of what it sends)."""
        return self._by_digest.get(hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest())


def new_key(key_id: str, scopes: Iterable[str]) -> tuple[str, dict[str, Any]]:
    """A new random key, and its entry for the keys file (which holds only its digest)."""
    if not _ID.match(key_id):
        raise ValueError(f"{key_id!r}: an id is 1 to 128 letters, digits or ._@:-")
    scopes = check_scopes(scopes)
    key = _PREFIX + secrets.token_urlsafe(32)
    digest = hashlib.sha256(key.encode()).hexdigest()
    return key, {"id": key_id, "sha256": digest, "scopes": sorted(scopes)}


def check_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes, or ValueError naming one this gateway does not know (a typo would
    otherwise silently grant less, or be taken for an instance)."""
    scopes = frozenset(scopes)
    for scope in scopes:
        if scope not in SCOPES and not _INSTANCE.match(scope):
            known = ", ".join(sorted(SCOPES))
            raise ValueError(f"unknown scope {scope!r} (known: {known}, instance:<id>)")
    return scopes


def _entry(item: object, n: int) -> _Entry:
    if not isinstance(item, dict):
        raise ValueError(f"keys[{n}] must be an object with id, sha256 and scopes")
    key_id, digest, scopes = item.get("id"), item.get("sha256"), item.get("scopes")
    if not isinstance(key_id, str) or not _ID.match(key_id):
        raise ValueError(f"keys[{n}].id must be 1 to 128 letters, digits or ._@:-")
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise ValueError(f"keys[{n}].sha256 must be 64 lowercase hex digits (never the key)")
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ValueError(f"keys[{n}].scopes must be a list of scopes")
    try:
        checked = check_scopes(scopes)
    except ValueError as error:
        raise ValueError(f"keys[{n}]: {error}") from None
    return _Entry(bytes.fromhex(digest), Caller(f"key:{key_id}", checked))
