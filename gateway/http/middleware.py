"""ASGI middleware of the gateway's own: a request id for every request."""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.observability.logs import request_id

__all__ = ["RequestIdMiddleware", "request_id_of"]

_VALID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class RequestIdMiddleware:
    """Takes the caller's X-Request-ID when it is sane, else makes one; logs and the
    response carry it, so a masked error can be found in the log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_of(dict(scope["headers"]).get(b"x-request-id"))
        token = request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["x-request-id"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


def request_id_of(given: bytes | None) -> str:
    """The caller's X-Request-ID when it is sane, else a new one."""
    if given:
        text = given.decode("latin-1")
        if _VALID.match(text):
            return text
    return uuid.uuid4().hex
