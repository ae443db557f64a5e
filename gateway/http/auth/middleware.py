"""The authentication middleware: every HTTP request's caller, resolved once, before any
route runs (so before any cache read or upstream call).

Requests with credentials are authenticated, or refused with 401. Without credentials only
public requests pass (health checks, static assets, the GraphiQL page, which holds no
data), as NOBODY; any other route, including routes added later, needs a caller.
Websockets authenticate in their `connection_init` payload, with `scope["state"]
["authenticator"]` (the lifespan state) the same way.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.core.caller import EVERYONE, NOBODY, Caller
from gateway.core.errors import GatewayError, Unauthenticated
from gateway.http.auth.authenticator import Authenticator
from gateway.http.errors import gateway_error_response
from gateway.observability.audit import refused

__all__ = ["AuthenticationMiddleware", "credentials", "credentials_of"]


# The journey page holds no data: its script asks /graphql with the credentials typed in.
_PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/journey"})
_PUBLIC_PREFIXES = ("/static/",)


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp, authenticator: Authenticator, graphiql: bool) -> None:
        self.app = app
        self.authenticator = authenticator
        self.graphiql = graphiql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        api_key, bearer = credentials(headers)
        caller: Caller
        if api_key is None and bearer is None and self._public(scope, headers):
            caller = NOBODY if self.authenticator.required else EVERYONE
        else:
            try:
                caller = await self.authenticator.authenticate(api_key, bearer)
            except GatewayError as error:
                refused(scope["method"], scope["path"], error.message)
                sent = api_key is not None or bearer is not None
                await _refusal(error, sent)(scope, receive, send)
                return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)

    def _public(self, scope: Scope, headers: Headers) -> bool:
        path: str = scope["path"]
        if path in _PUBLIC_PATHS or path.startswith(_PUBLIC_PREFIXES):
            return True
        # The page strawberry renders for this request (its should_render_graphql_ide).
        return (
            self.graphiql
            and path == "/graphql"
            and scope["method"] == "GET"
            and b"query=" not in scope.get("query_string", b"")
            and any(kind in headers.get("accept", "") for kind in ("text/html", "*/*"))
        )


def credentials(headers: Headers) -> tuple[str | None, str | None]:
    """(the X-API-Key value, the Authorization bearer token), each None when absent."""
    return credentials_of(headers.get("x-api-key"), headers.get("authorization"))


def credentials_of(api_key: str | None, authorization: str | None) -> tuple[str | None, str | None]:
    """`credentials` from the two headers' values (None: not sent)."""
    scheme, _, token = (authorization or "").partition(" ")
    bearer = token.strip() or None if scheme.lower() == "bearer" else None
    return api_key or None, bearer


def _refusal(error: GatewayError, sent: bool) -> JSONResponse:
    headers = {"cache-control": "no-store"}
    if isinstance(error, Unauthenticated):
        # RFC 6750: no error code when no credentials came at all.
        headers["www-authenticate"] = 'Bearer error="invalid_token"' if sent else "Bearer"
        return gateway_error_response(error, 401, headers)
    return gateway_error_response(error, 503, headers)
