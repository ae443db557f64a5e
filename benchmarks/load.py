"""A small HTTP/1.1 load generator: N keep-alive connections, each sending the same
pre-encoded POST as soon as the previous answer is in, for a fixed time.

It runs in a process of its own (`drive` through multiprocessing), so its CPU is not the
server's; it reports its own CPU seconds, to show it is not the bottleneck. Written on
asyncio streams rather than an HTTP client library: the answer is read by Content-Length
only, which costs a few microseconds per request where httpx costs hundreds.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Load", "drive", "request_bytes"]


@dataclass(frozen=True)
class Load:
    """What the clients saw: answers (HTTP 200), failures, latency and their own CPU."""

    answered: int
    failed: int
    seconds: float
    p50_ms: float
    p99_ms: float
    client_cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.answered / self.seconds


def request_bytes(url: str, body: dict[str, object], headers: dict[str, str]) -> bytes:
    parts = urlsplit(url)
    payload = json.dumps(body).encode()
    lines = [
        f"POST {parts.path or '/'} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def drive(url: str, request: bytes, connections: int, seconds: float) -> Load:
    """Runs the load from a fresh process and returns what it saw."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        load: Load = pool.apply(_drive, (url, request, connections, seconds))
    return load


def _drive(url: str, request: bytes, connections: int, seconds: float) -> Load:
    cpu = time.process_time()
    latencies, failed, elapsed = asyncio.run(_run(url, request, connections, seconds))
    latencies.sort()
    n = len(latencies)
    return Load(
        answered=n,
        failed=failed,
        seconds=elapsed,
        p50_ms=latencies[n // 2] * 1000 if n else 0.0,
        p99_ms=latencies[min(n - 1, int(n * 0.99))] * 1000 if n else 0.0,
        client_cpu_seconds=time.process_time() - cpu,
    )


async def _run(
    url: str, request: bytes, connections: int, seconds: float
) -> tuple[list[float], int, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    failures = [0]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            _connection(host, port, request, deadline, latencies, failures)
            for _ in range(connections)
        )
    )
    return latencies, failures[0], time.perf_counter() - started


async def _connection(
    host: str,
    port: int,
    request: bytes,
    deadline: float,
    latencies: list[float],
    failures: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (start := time.perf_counter()) < deadline:
            writer.write(request)
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            if status.split(b" ", 2)[1:2] == [b"200"]:
                latencies.append(time.perf_counter() - start)
            else:
                failures[0] += 1
    finally:
        writer.close()
