"""What the benchmarks share: their child processes (each with its log, in a session of its
own), free ports, a clean environment for them (no GATEWAY_* or AWS settings of ours,
placeholder credentials), readiness checks, percentiles and verdicts. Benchmarks import it
as a sibling module (`from harness import ...`): each runs as `python benchmarks/<name>.py`.
"""

from __future__ import annotations

import functools
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

__all__ = [
    "BIN",
    "ROOT",
    "Child",
    "answers",
    "base_environment",
    "free_port",
    "percentile",
    "ready",
    "redis_answers",
    "rss_mib",
    "servers",
    "verdict",
]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


class Child:
    """A child process with its output in a log file; in a session of its own, so a Ctrl-C
    reaches only the benchmark, which stops it."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}-{uuid.uuid4().hex[:6]}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def wait_until(self, ready: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; its log:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} not ready in {timeout:.0f} s:\n{self.tail()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def rss_mib(pid: int) -> float:
    """A process's resident memory now, in MiB (NaN once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_environment() -> dict[str, str]:
    """Ours without GATEWAY_* and AWS settings; placeholder credentials, so boto3 never
    looks for real ones (nor asks the instance metadata service)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "AWS_"))}
    env.update(AWS_ACCESS_KEY_ID="emulator", AWS_SECRET_ACCESS_KEY="emulator")
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    return env


def answers(url: str, ready: Callable[[httpx.Response], bool] = lambda r: True) -> bool:
    try:
        response = httpx.get(url, timeout=2)
        return response.status_code == 200 and ready(response)
    except (httpx.HTTPError, ValueError, KeyError):
        return False


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def servers(
    logs: Path, name: str, argvs: list[list[str]], env: dict[str, str]
) -> Iterator[list[str]]:
    """Starts the servers together, waits until each is ready, stops them all on exit."""
    with ExitStack() as scope:
        urls, children = [], []
        for index, argv in enumerate(argvs):
            port = free_port()
            child = Child(f"{name}-{index + 1}", [*argv, "--port", str(port)], env, logs)
            scope.callback(child.stop)
            urls.append(f"http://127.0.0.1:{port}")
            children.append(child)
        for url, child in zip(urls, children, strict=True):
            child.wait_until(functools.partial(ready, url))
        yield urls


def ready(url: str) -> bool:
    """The server's /readyz says ready (for a gateway: its cache answers)."""
    return answers(f"{url}/readyz", lambda response: response.json()["status"] == "ready")


# -- load --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"
