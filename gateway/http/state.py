"""The edge's typed wiring: the app's services, built once by its lifespan (the composition
root, gateway/http/app.py), and what one request learns on its way through the edge. Every
handler reads them through `services_of` and `request_state`, never a `request.state` bag.

Starlette hands the lifespan's state to every request and websocket (a shallow copy of it
in `scope["state"]`): the services are one entry of it, the request's own state another,
made on first use, and the caller a third (set by AuthenticationMiddleware).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import Scope

from gateway.core.caller import NOBODY, Caller
from gateway.data.cache import Cache
from gateway.data.invalidation import Invalidations
from gateway.data.loaders import Loaders
from gateway.data.responses import ResponseCache
from gateway.data.store import EntityStore
from gateway.data.subscriptions import Subscriptions
from gateway.data.writes import Writer
from gateway.http.auth.authenticator import Authenticator
from gateway.observability.audit import Audit

__all__ = [
    "SERVICES",
    "RequestState",
    "Services",
    "caller_of",
    "request_state",
    "scope_state",
    "services_of",
]

SERVICES = "gateway.services"
_REQUEST = "gateway.request"


@dataclass(frozen=True)
class Services:
    """What the app builds once and every request uses."""

    store: EntityStore  # entities, and their write side (merge, drops)
    cache: Cache
    responses: ResponseCache | None  # None: GATEWAY_RESPONSE_CACHE=off
    invalidations: Invalidations
    authenticator: Authenticator
    subscriptions: Subscriptions
    writer: Writer  # Connect's writes, each announced to every replica


@dataclass
class RequestState:
    """What one request (or websocket) learns on its way through the edge."""

    loaders: Loaders | None = None  # once its context is made
    audit: Audit | None = None
    operation: Any = None  # the GraphQL request data, once parsed
    operation_label: str | None = None  # its name for metrics (bounded)
    reusable: bool = False  # its answer may go to the response cache
    no_cache_refused: bool = False  # it asked for fresh data past the caller's allowance
    request_error: bool = False  # GraphQL over HTTP's "request error": no execution
    counted_caller: str | None = None  # a websocket's place in its caller's count
    response_key: str | None = None  # its response cache key, once computed
    looked_up: bool = False  # the hit path looked it up (and missed)


def services_of(connection: HTTPConnection) -> Services:
    services: Services = connection.scope["state"][SERVICES]
    return services


def request_state(connection: HTTPConnection) -> RequestState:
    return scope_state(connection.scope)


def scope_state(scope: Scope) -> RequestState:
    """The request's state, for middleware that holds the ASGI scope."""
    state: RequestState = scope.setdefault("state", {}).setdefault(_REQUEST, RequestState())
    return state


def caller_of(connection: HTTPConnection) -> Caller:
    """Who is asking, as AuthenticationMiddleware resolved it; nobody when it did not."""
    caller: Caller = connection.scope.get("state", {}).get("caller", NOBODY)
    return caller
