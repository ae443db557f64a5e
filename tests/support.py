"""Helpers for tests: clients for the emulator's test endpoints and for a running gateway."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gateway.core.clock import SYSTEM, Clock
from gateway.core.settings import Settings
from gateway.http.app import create_app
from gateway.http.servers import ServerThread
from tests import web

__all__ = ["Emulator", "Gateway", "Process", "gateway_process", "running_gateway"]


class Emulator:
    """The emulator's /_emulator endpoints."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = web.Client(base_url=url, timeout=30)

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

    def __init__(self, url: str, process: Process | None = None) -> None:
        self.url = url
        self.http = web.Client(base_url=url, timeout=60)
        self.process = process  # when it runs as a process of its own

    def query(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


@contextmanager
def running_gateway(settings: Settings, clock: Clock = SYSTEM) -> Iterator[Gateway]:
    with ServerThread(create_app(settings, clock)) as server:
        gateway = Gateway(server.url)
        yield gateway
        gateway.http.close()


class Process:
    """`python -m gateway ARGS` as a real process, its output read line by line."""

    def __init__(
        self,
        *args: str,
        env: dict[str, str],
        python: str = sys.executable,
        cwd: str | None = None,
    ) -> None:
        self.proc = subprocess.Popen(
            [python, "-m", "gateway", *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.reader.join(timeout=30)
        assert self.proc.stdout is not None
        self.proc.stdout.close()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 60) -> tuple[re.Match[str], list[str]]:
        seen: list[str] = []
        while True:
            line = self.lines.get(timeout=timeout)
            seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match, seen


@contextmanager
def gateway_process(**settings: str) -> Iterator[Gateway]:
    """`connect-gateway serve --port 0` in a process of its own, configured by GATEWAY_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env |= {"GATEWAY_AUTH": "none"} | {
        f"GATEWAY_{name.upper()}": value for name, value in settings.items()
    }
    process = Process("serve", "--port", "0", env=env)
    try:
        match, _ = process.wait_for(r"serving GraphQL at (http://[\d.]+:\d+)/graphql")
        gateway = Gateway(match.group(1), process)
        yield gateway
        gateway.http.close()
    finally:
        process.stop()
