"""POST /graphql's own lane, the first middleware of the app: the response cache's hit path,
and for a miss the shortest way to the view.

For `POST /graphql` (the requests desktops poll with), as soon as the caller and its scopes
are known: the headers read in one pass, the caller authenticated (a known API key, or a
token remembered since it verified), the body read once, the key computed once
(`data.responses.request_key`'s parts). On a hit the stored answer goes as it was sent the
first time: its headers (media type, `Vary`, `Cache-Control: no-store`), the request id,
Starlette's CORS headers, and the gzipped copy stored beside it when the client accepts
gzip; the request's counters, its latency and its audit line are written as for an
executed answer. No GraphQL parsing, no Strawberry view, no context, loaders or deadline.

A miss (or any POST when the response cache is off, or one with `Cache-Control:
no-cache`) goes straight to the view, its key handed on in the request's state so that the
view keeps the answer under it, and its answer through what the rest of the stack would
add: Starlette's gzip responders, its CORS answer, the request id. The other middleware
have nothing left to do for it (the body is read and bounded, the caller authenticated).

Anything else takes the whole stack untouched (the body replayed when it was read): other
paths and methods, a body without a Content-Length or over GATEWAY_MAX_BODY_BYTES, no
credentials or refused ones (the authentication middleware refuses them, with its audit
line), and every request while tracing is on (the lane is not installed then).
"""

from __future__ import annotations

import functools
import logging
import time

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.core.caller import EVERYONE, Caller
from gateway.core.errors import GatewayError
from gateway.core.settings import Settings
from gateway.data.responses import GZIP_MINIMUM_BYTES, Cached, ResponseCache
from gateway.http.auth.authenticator import Authenticator
from gateway.http.auth.middleware import credentials_of
from gateway.http.bodies import replayed
from gateway.http.middleware import request_id_of
from gateway.http.state import SERVICES, scope_state
from gateway.observability.audit import Audit
from gateway.observability.logs import request_id
from gateway.observability.metrics import Metrics

__all__ = ["HitMiddleware", "count_hit", "wants_fresh"]

_audit = logging.getLogger("gateway.audit")

# The request headers the hit path reads (one pass over the list).
_WANTED = frozenset(
    {
        b"accept",
        b"accept-encoding",
        b"authorization",
        b"cache-control",
        b"content-length",
        b"content-type",
        b"origin",
        b"pragma",
        b"x-api-key",
        b"x-request-id",
    }
)
_NO_ORIGIN = Headers(raw=[])


class HitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        authenticator: Authenticator,
        metrics: Metrics,
        cors: CORSMiddleware,
        view: ASGIApp,
    ) -> None:
        self.app = app
        self.view = view  # the GraphQL view, the route's app
        self.authenticator = authenticator
        self.metrics = metrics
        self.max_body = settings.max_body_bytes
        self.instance = settings.default_instance or ""
        self.cors = cors  # the app's own: its headers, its origin check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _WANTED:
                # Repeated headers: the first, as Starlette's Headers.get reads them.
                headers.setdefault(name, value)
        caller = await self._caller(headers)
        length = _length(headers.get(b"content-length"))
        if caller is None or length is None or length > self.max_body:
            await self.app(scope, receive, send)
            return
        body, receive = await _body(receive, length)
        if body is None:  # the client went away, or sent other than it announced
            await self.app(scope, receive, send)
            return
        rid = request_id_of(headers.get(b"x-request-id"))
        token = request_id.set(rid)
        try:
            responses = scope["state"][SERVICES].responses
            fresh = wants_fresh(_text(headers.get(b"cache-control")), _text(headers.get(b"pragma")))
            if responses is not None and not fresh:
                key = ResponseCache.key(
                    caller.scope_key,
                    self.instance,
                    "POST",
                    headers.get(b"accept", b""),
                    headers.get(b"content-type", b""),
                    body,
                )
                entry = responses.get(key)
                if entry is not None:
                    # Counted and audited before it goes, as an executed answer is.
                    count_hit(self.metrics, entry, caller, started)
                    await self._replay(entry, headers, rid, send)
                    return
                # The view executes it and keeps the answer under this key.
                state = scope_state(scope)
                state.response_key = key
                state.looked_up = True
            scope["state"]["caller"] = caller
            await self._execute(scope, receive, send, headers, rid)
        finally:
            request_id.reset(token)

    async def _execute(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes], rid: str
    ) -> None:
        """Straight to the view, with what the rest of the stack would add to its answer:
        gzip (Starlette's own responders), CORS, the request id."""

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        responder: ASGIApp
        if b"gzip" in headers.get(b"accept-encoding", b""):
            responder = GZipResponder(self.view, GZIP_MINIMUM_BYTES)
        else:
            responder = IdentityResponder(self.view, GZIP_MINIMUM_BYTES)
        await responder(scope, receive, self._cors(headers, with_id))

    def _cors(self, headers: dict[bytes, bytes], send: Send) -> Send:
        """`send` through Starlette's CORS answer to a simple request (it adds `Vary:
        Origin` to every one, and the allowed origin's headers when there is one)."""
        origin = headers.get(b"origin")
        only_origin = Headers(raw=[(b"origin", origin)]) if origin is not None else _NO_ORIGIN
        return functools.partial(self.cors.send, send=send, request_headers=only_origin)

    async def _caller(self, headers: dict[bytes, bytes]) -> Caller | None:
        """The caller, or None for the general path (no credentials, or refused ones)."""
        authenticator = self.authenticator
        if not authenticator.required:
            return EVERYONE
        api_key, bearer = credentials_of(
            _text(headers.get(b"x-api-key")), _text(headers.get(b"authorization"))
        )
        if api_key is None and bearer is None:
            return None
        try:
            return await authenticator.authenticate(api_key, bearer)
        except GatewayError:
            return None

    async def _replay(
        self, entry: Cached, headers: dict[bytes, bytes], rid: str, send: Send
    ) -> None:
        if entry.gzipped is not None and b"gzip" in headers.get(b"accept-encoding", b""):
            body, stored = entry.gzipped, entry.gzip_headers
        else:
            body, stored = entry.body, entry.plain_headers
        raw = [*stored, (b"x-request-id", rid.encode())]
        cors_send = self._cors(headers, send)
        await cors_send({"type": "http.response.start", "status": 200, "headers": raw})
        await send({"type": "http.response.body", "body": body})


def _length(value: bytes | None) -> int | None:
    if value is None or not value.isdigit():
        return None
    return int(value)


def _text(value: bytes | None) -> str | None:
    """A header's value as Starlette's Headers gives it (Latin-1)."""
    return None if value is None else value.decode("latin-1")


def wants_fresh(cache_control: str | None, pragma: str | None) -> bool:
    """True when the caller asks for fresh data (Cache-Control: no-cache, or Pragma's)."""
    directives = f"{cache_control or ''},{pragma or ''}".lower()
    return any(d.strip() in ("no-cache", "no-store", "max-age=0") for d in directives.split(","))


def count_hit(metrics: Metrics, entry: Cached, caller: Caller, started: float) -> None:
    """A response cache hit's request counter, latency and audit line (here and for GET's
    hits in the view), as an executed answer has them."""
    requests, latency = metrics.of_operation(entry.operation)
    requests.inc()
    latency.observe(time.perf_counter() - started)
    if _audit.isEnabledFor(logging.INFO):
        Audit.of_tags(caller.id, entry.tags).write(entry.operation, 0)


async def _body(receive: Receive, length: int) -> tuple[bytes | None, Receive]:
    """The body as announced, and a receive that hands it on; None when the body is not
    what Content-Length said (the general path then answers it, given what was read)."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more and size <= length:
        message = await receive()
        if message["type"] != "http.request":
            return None, replayed(message, receive)
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = message.get("more_body", False)
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    given = replayed({"type": "http.request", "body": body, "more_body": more}, receive)
    return (body if size == length and not more else None), given
