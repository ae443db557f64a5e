"""Request bodies, read whole before the app sees them, up to GATEWAY_MAX_BODY_BYTES.

A body announced (Content-Length) or found (chunked) larger than the limit is answered 413
at once; the rest is not read, and the connection is closed so that it cannot be. Paths
whose route bounds its own body (`POST /events`, up to GATEWAY_MAX_EVENT_BODY_BYTES) pass
untouched.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.http.errors import error_bytes

__all__ = ["BodyLimitMiddleware", "replayed"]


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, own_limits: Collection[str] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.own_limits = frozenset(own_limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.own_limits:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, replayed(body, receive), send)

    async def _refuse(self, send: Send) -> None:
        body = error_bytes(
            f"The request body is larger than {self.max_bytes} bytes (GATEWAY_MAX_BODY_BYTES)"
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def replayed(first: Message, receive: Receive) -> Receive:
    """A receive that gives `first` (a message already read), then what `receive` gives."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first
        return await receive()

    return replay
