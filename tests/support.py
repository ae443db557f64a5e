"""Helpers for tests: clients for the emulator's test endpoints and for a running gateway."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from gateway.app import create_app
from gateway.servers import ServerThread
from gateway.settings import Settings

__all__ = ["Emulator", "Gateway", "running_gateway"]


class Emulator:
    """The emulator's /_emulator endpoints."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)

    def stats(self) -> dict[str, dict[str, int]]:
        return self.http.get("/_emulator/stats").raise_for_status().json()  # type: ignore[no-any-return]

    def calls(self, operation: str = "DescribeContact") -> int:
        return self.stats()["calls"].get(operation, 0)

    def throttled(self, operation: str = "DescribeContact") -> int:
        return self.stats()["throttled"].get(operation, 0)

    def reset(self) -> None:
        self.http.post("/_emulator/reset").raise_for_status()

    def contacts(self) -> list[dict[str, Any]]:
        return self.http.get("/_emulator/contacts").raise_for_status().json()["contacts"]  # type: ignore[no-any-return]

    def fault(self, **fault: Any) -> None:
        self.http.post("/_emulator/faults", json=fault).raise_for_status()


class Gateway:
    """A gateway on a real uvicorn server, and a client for it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=60)

    def query(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


@contextmanager
def running_gateway(settings: Settings) -> Iterator[Gateway]:
    with ServerThread(create_app(settings)) as server:
        gateway = Gateway(server.url)
        yield gateway
        gateway.http.close()
