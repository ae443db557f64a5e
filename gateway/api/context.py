"""The per-request context: fresh DataLoaders for each request, the settings, the request id,
and the caller (who, which scopes)."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.types import Info as StrawberryInfo

from gateway.caller import EVERYONE, Caller
from gateway.loaders import Loaders
from gateway.settings import Settings
from gateway.store import EntityStore

__all__ = ["Context", "Info"]


@dataclass(frozen=True)
class Context:
    settings: Settings
    store: EntityStore
    loaders: Loaders
    request_id: str
    caller: Caller = EVERYONE


Info = StrawberryInfo[Context, None]
