"""The per-request context: fresh DataLoaders for each request, the settings, the request id,
the caller (who, which scopes) and the request's audit record."""

from __future__ import annotations

from dataclasses import dataclass, field

from strawberry.types import Info as StrawberryInfo

from gateway.core.caller import EVERYONE, Caller
from gateway.core.settings import Settings
from gateway.data.loaders import Loaders
from gateway.data.store import EntityStore
from gateway.data.subscriptions import Subscriptions
from gateway.data.writes import Writer
from gateway.observability.audit import Audit

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
    writer: Writer | None = None  # POST only: mutations never run over GET or websockets


Info = StrawberryInfo[Context, None]
