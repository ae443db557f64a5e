"""Websocket connections on /graphql (graphql-transport-ws): the connection's context, and
its authentication from `connection_init`'s payload, the way HTTP requests authenticate.

Refusals follow graphql-ws's conventions: 4401 without valid credentials, 4403 for a caller
who may not read contacts. Nothing runs before `connection_init` is acknowledged.
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.websockets import WebSocket, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError

from gateway.api.context import Context
from gateway.core.caller import CONTACTS_READ, Caller
from gateway.core.errors import GatewayError
from gateway.core.settings import Settings
from gateway.data.loaders import Loaders
from gateway.http.state import SERVICES, request_state, services_of

__all__ = [
    "ConnectionContext",
    "WebSocketAdapter",
    "authenticate",
    "connection_closed",
    "connection_context",
]

_PENDING = Caller("unauthenticated", frozenset())


class ConnectionContext(Context):
    """A websocket connection's context (one for all its operations). Not a dataclass of
    its own, so that strawberry can set `connection_params` on it."""

    connection_params: Any = None
    websocket: WebSocket

    def for_operation(self) -> Context:
        """This connection's context with loaders of one operation's own."""
        operation = copy.copy(self)
        object.__setattr__(operation, "loaders", Loaders.for_request(self.store))
        return operation


class WebSocketAdapter(ASGIWebSocketAdapter):
    async def close(self, code: int, reason: str) -> None:
        # A refusal closes with its own code first; strawberry's close after it is moot.
        if self.ws.application_state != WebSocketState.DISCONNECTED:
            await super().close(code, reason)


def connection_context(websocket: WebSocket, settings: Settings, request_id: str) -> Context:
    services = services_of(websocket)
    context = ConnectionContext(
        settings=settings,
        store=services.store,
        loaders=Loaders.for_request(services.store),
        request_id=request_id,
        caller=_PENDING,
        subscriptions=services.subscriptions,
    )
    context.websocket = websocket
    return context


async def authenticate(context: Context) -> None:
    """Resolves the connection's caller from `connection_init`'s payload, or closes the
    connection (4401, 4403) and raises ConnectionRejectionError."""
    assert isinstance(context, ConnectionContext)
    authenticator = services_of(context.websocket).authenticator
    try:
        caller = await authenticator.authenticate(*credentials(context.connection_params))
    except GatewayError as error:
        code = 4401 if error.code == "UNAUTHENTICATED" else 4500
        await context.websocket.close(code, error.message[:120])
        raise ConnectionRejectionError() from None
    if not caller.has(CONTACTS_READ):
        await context.websocket.close(4403, "Forbidden: contacts:read is required")
        raise ConnectionRejectionError()
    subscriptions = context.subscriptions
    if subscriptions is not None:
        if not subscriptions.open_connection(caller.id):
            await context.websocket.close(
                4429, "Too many connections for this caller (GATEWAY_MAX_WEBSOCKETS_PER_CALLER)"
            )
            raise ConnectionRejectionError()
        request_state(context.websocket).counted_caller = caller.id
    # Set once, while the protocol lets no operation run (before connection_ack).
    object.__setattr__(context, "caller", caller)


def connection_closed(websocket: WebSocket) -> None:
    """Releases the connection's place in its caller's count of websockets."""
    caller = request_state(websocket).counted_caller
    if caller is not None and SERVICES in websocket.scope.get("state", {}):
        services_of(websocket).subscriptions.close_connection(caller)


def credentials(params: object) -> tuple[str | None, str | None]:
    """(API key, bearer token) from a payload like {"X-API-Key": ...} or
    {"Authorization": "Bearer ..."}, names in any case."""
    if not isinstance(params, dict):
        return None, None
    named = {str(name).lower(): value for name, value in params.items()}
    api_key = named.get("x-api-key")
    scheme, _, token = str(named.get("authorization") or "").partition(" ")
    bearer = token.strip() or None if scheme.lower() == "bearer" else None
    return (api_key if isinstance(api_key, str) and api_key else None), bearer
