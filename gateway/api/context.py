"""The per-request context: fresh DataLoaders for each request, the settings, the request id,
the caller (who, which scopes) and the request's audit record."""

from __future__ import annotations

from dataclasses import dataclass, field

from strawberry.types import Info as StrawberryInfo

from gateway.audit import Audit
from gateway.caller import EVERYONE, Caller
from gateway.loaders import Loaders
from gateway.settings import Settings
from gateway.store import EntityStore
from gateway.subscriptions import Subscriptions

__all__ = ["Context", "Info"]


@dataclass(frozen=True)
class Context:
    settings: Settings
    store: EntityStore
    loaders: Loaders
    request_id: str
    caller: Caller = EVERYONE
    audit: Audit = field(default_factory=Audit)
    subscriptions: Subscriptions | None = None  # websocket connections only


Info = StrawberryInfo[Context, None]
