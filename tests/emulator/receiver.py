"""A real HTTP server that receives contact events, as a gateway's /events would."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.http.servers import ServerThread

__all__ = ["Receiver", "receiving"]


class Receiver:
    """Events received (body and X-API-Key), answering `status` to the first `failures`."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str | None, dict[str, Any]]] = queue.Queue()
        self.failures = 0
        self.status = 500
        self.attempts = 0
        self.url = ""

    async def receive(self, request: Request) -> JSONResponse:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            return JSONResponse({"error": "not now"}, status_code=self.status)
        self.events.put((request.headers.get("x-api-key"), json.loads(await request.body())))
        return JSONResponse({"accepted": 1}, status_code=202)

    def take(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The next `count` events, waiting up to `timeout` seconds for them."""
        return [event for _, event in self.take_with_keys(count, timeout)]

    def take_with_keys(
        self, count: int, timeout: float = 30.0
    ) -> list[tuple[str | None, dict[str, Any]]]:
        deadline = time.monotonic() + timeout
        found = []
        for _ in range(count):
            found.append(self.events.get(timeout=max(0.0, deadline - time.monotonic())))
        return found

    def nothing_more(self, within: float) -> bool:
        try:
            self.events.get(timeout=within)
        except queue.Empty:
            return True
        return False


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/events", receiver.receive, methods=["POST"])])
    with ServerThread(app) as server:
        receiver.url = f"{server.url}/events"
        yield receiver
