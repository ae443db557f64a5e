"""Replicas in front of the emulator at a quota, driven by concurrent clients: the bench
the quota and cluster benchmarks share (`from fleet import Bench, print_table`), with the
query they send, the rows they print and the Zipf sequence of contacts they ask for."""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from harness import (
    BIN,
    ROOT,
    Child,
    answers,
    base_environment,
    free_port,
    percentile,
    redis_answers,
    servers,
)

from gateway.core.settings import Settings
from gateway.emulator import DEMO_INSTANCE_ID

QUERY = """\
query ContactWithLinks($contactId: ID!) {
  contact(contactId: $contactId) {
    id channel initiationMethod
    agent { username }
    queue { name }
    previousContact { id initiationMethod }
    initialContact { id channel initiationMethod }
    relatedContact { id channel }
  }
}
"""

NOT_FOUND = "NOT_FOUND"
THROTTLED = "UPSTREAM_THROTTLED"


@dataclass
class Outcome:
    """What the clients saw in one scenario."""

    latencies: list[float] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)  # GraphQL errors' extensions.code
    http: Counter[str] = field(default_factory=Counter)  # HTTP statuses and transport errors
    failed: int = 0  # queries with an HTTP failure or an error other than NOT_FOUND
    good: int = 0  # queries answered without either
    elapsed: float = 0.0
    killed_at: int | None = None  # answers before the Redis was killed
    failed_after_kill: int = 0

    @property
    def answered(self) -> int:
        return len(self.latencies)


@dataclass
class Row:
    name: str
    outcome: Outcome
    calls: Counter[str]  # upstream calls per Connect operation, as the emulator counted
    throttled: int

    @property
    def calls_per_query(self) -> float:
        return self.calls.total() / max(1, self.outcome.answered)

    @property
    def calls_per_good_answer(self) -> float:
        """Per query answered without a failure: what a useful answer cost upstream."""
        return self.calls.total() / max(1, self.outcome.good)


def quota_environment(args: argparse.Namespace, replicas: int = 1) -> dict[str, str]:
    """The quota guard's settings, for a gateway that has them (older ones do not)."""
    wanted = {
        "quota_rate": args.rate if args.quota_rate is None else args.quota_rate,
        "quota_burst": args.burst if args.quota_burst is None else args.quota_burst,
        "quota_wait_seconds": args.quota_wait_seconds,
        "quota_replicas": replicas,
    }
    return {
        f"GATEWAY_{name.upper()}": str(value)
        for name, value in wanted.items()
        if name in Settings.model_fields
    }


def entities(contact: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """What the query needs from Connect for this contact: each is one call, cold."""
    yield "contact", contact["id"]
    for link in ("previousContactId", "initialContactId", "relatedContactId"):
        if contact.get(link):
            yield "contact", contact[link]
    if contact.get("agentId"):
        yield "agent", contact["agentId"]
    if contact.get("queueId"):
        yield "queue", contact["queueId"]


def zipf_sequence(ids: list[str], count: int, s: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    ranked = sorted(ids)
    rng.shuffle(ranked)  # which contacts are popular: seeded, not the dataset's order
    weights = [1 / rank**s for rank in range(1, len(ranked) + 1)]
    return rng.choices(ranked, weights=weights, k=count)


async def run_load(
    urls: list[str],
    sequence: list[str],
    clients: int,
    seconds: float,
    halfway: Callable[[], None] | None = None,
    request_timeout: float = 30.0,
) -> Outcome:
    """`clients` loops sending `sequence` round-robin over `urls`, until it is all sent or
    `seconds` have passed; `halfway` is called once, after half the answers or time."""
    outcome = Outcome()
    indexes = iter(range(len(sequence)))
    start = time.monotonic()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    def maybe_halfway() -> None:
        half = outcome.answered >= len(sequence) / 2 or time.monotonic() - start >= seconds / 2
        if halfway is not None and outcome.killed_at is None and half:
            halfway()
            outcome.killed_at = outcome.answered

    async with httpx.AsyncClient(timeout=request_timeout, limits=limits) as http:

        async def client() -> None:
            for index in indexes:
                if time.monotonic() - start > seconds:
                    return
                body = {"query": QUERY, "variables": {"contactId": sequence[index]}}
                await query(http, urls[index % len(urls)], body, outcome)
                maybe_halfway()

        await asyncio.gather(*(client() for _ in range(clients)))
    outcome.elapsed = time.monotonic() - start
    return outcome


async def query(http: httpx.AsyncClient, url: str, body: Any, outcome: Outcome) -> None:
    began = time.perf_counter()
    try:
        response = await http.post(f"{url}/graphql", json=body)
        problem = None if response.status_code == 200 else f"HTTP {response.status_code}"
        errors = (response.json().get("errors") or []) if problem is None else []
    except (httpx.HTTPError, ValueError) as error:
        problem, errors = type(error).__name__, []
    if problem is None:
        outcome.latencies.append(time.perf_counter() - began)
    else:
        outcome.http[problem] += 1
    codes = [str((error.get("extensions") or {}).get("code")) for error in errors]
    outcome.codes.update(codes)
    if problem is None and all(code == NOT_FOUND for code in codes):
        outcome.good += 1
        return
    outcome.failed += 1
    if outcome.killed_at is not None:
        outcome.failed_after_kill += 1


# -- scenarios ---------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, stack: ExitStack, logs: Path) -> None:
        self.args, self.stack, self.logs = args, stack, logs
        self.env = base_environment()
        emulator_port, self.redis_port = free_port(), free_port()
        self.emulator = self._start("emulator", [
            str(BIN / "connect-gateway"), "emulator", "--port", str(emulator_port),
            "--latency-ms", str(args.latency_ms), "--rate", str(args.rate),
            "--burst", str(args.burst),
        ])  # fmt: skip
        self.redis = self._start("redis", [
            "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no",
        ])  # fmt: skip
        self.emulator_url = f"http://127.0.0.1:{emulator_port}"
        self.emulator.wait_until(lambda: answers(f"{self.emulator_url}/_emulator/stats"))
        self.redis.wait_until(lambda: redis_answers(self.redis_port))
        contacts = httpx.get(f"{self.emulator_url}/_emulator/contacts", timeout=10).json()
        demo = {c["id"]: c for c in contacts["contacts"] if c["instanceId"] == DEMO_INSTANCE_ID}
        self.ids = list(demo)
        self.sequence = zipf_sequence(self.ids, args.requests, args.zipf, args.seed)
        self.least_calls = len({e for id_ in self.sequence for e in entities(demo[id_])})

    def _start(self, name: str, argv: list[str]) -> Child:
        child = Child(name, argv, self.env, self.logs)
        self.stack.callback(child.stop)
        return child

    def gateway(
        self,
        name: str,
        replicas: int,
        seconds: float,
        kill_redis: bool = False,
        cache_url: str | None = None,
    ) -> Row:
        env = self.env | quota_environment(self.args, replicas)
        env |= {
            "GATEWAY_CONNECT_ENDPOINT_URL": self.emulator_url,
            "GATEWAY_CACHE_URL": cache_url or f"redis://127.0.0.1:{self.redis_port}/0",
            "GATEWAY_CACHE_NAMESPACE": f"bench-{uuid.uuid4().hex[:12]}",
            "GATEWAY_LOG_LEVEL": "WARNING",  # no access log: the CPU is for serving
        }
        argv = [str(BIN / "connect-gateway"), "serve", "--host", "127.0.0.1"]
        halfway = self.redis.kill if kill_redis else None
        return self._scenario(name, [argv] * replicas, env, seconds, halfway)

    def baseline(self, name: str, replicas: int, quota: bool = True) -> Row:
        """The naive baseline; without `quota`, in front of an emulator without one, to
        measure the calls a query costs it when throttling does not cut the query short."""
        emulator_url = self.emulator_url if quota else self._free_emulator()
        env = self.env | {
            "GATEWAY_CONNECT_ENDPOINT_URL": emulator_url,
            "GATEWAY_LOG_LEVEL": "WARNING",
        }
        argv = [sys.executable, str(ROOT / "benchmarks" / "baseline.py"), "--host", "127.0.0.1"]
        return self._scenario(
            name, [argv] * replicas, env, self.args.baseline_seconds, emulator_url=emulator_url
        )

    def _free_emulator(self) -> str:
        port = free_port()
        child = self._start("emulator-no-quota", [
            str(BIN / "connect-gateway"), "emulator", "--port", str(port),
            "--latency-ms", str(self.args.latency_ms),
        ])  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        child.wait_until(lambda: answers(f"{url}/_emulator/stats"))
        return url

    def _scenario(
        self,
        name: str,
        argvs: list[list[str]],
        env: dict[str, str],
        seconds: float,
        halfway: Callable[[], None] | None = None,
        emulator_url: str | None = None,
    ) -> Row:
        emulator = emulator_url or self.emulator_url
        print(f"  {name} ...", end="", flush=True)
        with servers(self.logs, name.replace(" ", "-"), argvs, env) as urls:
            for url in urls:  # connection and schema warm-up: no upstream call
                httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}, timeout=10)
            httpx.post(f"{emulator}/_emulator/reset", timeout=10)
            timeout = self.args.quota_wait_seconds + 30
            outcome = asyncio.run(
                run_load(urls, self.sequence, self.args.clients, seconds, halfway, timeout)
            )
            stats = httpx.get(f"{emulator}/_emulator/stats", timeout=10).json()
        print(f" {outcome.answered} answers in {outcome.elapsed:.1f} s", flush=True)
        return Row(name, outcome, Counter(stats["calls"]), sum(stats["throttled"].values()))


# -- report ------------------------------------------------------------------------------


def print_table(rows: list[Row]) -> None:
    print(
        f"\n{'scenario':<16}{'queries':>8}{'q/s':>7}{'p50 ms':>8}{'p99 ms':>8}{'calls/query':>12}"
        f"{'429s':>6}{'failed':>7}  errors (extensions.code; HTTP failures)"
    )
    for row in rows:
        o = row.outcome
        p50 = percentile(o.latencies, 0.50) * 1000
        p99 = percentile(o.latencies, 0.99) * 1000
        errors = [f"{code}={n}" for code, n in sorted(o.codes.items())]
        errors += [f"{kind}={n}" for kind, n in sorted(o.http.items())]
        print(
            f"{row.name:<16}{o.answered:>8}{o.answered / o.elapsed:>7.1f}{p50:>8.0f}{p99:>8.0f}"
            f"{row.calls_per_query:>12.3f}{row.throttled:>6}{o.failed:>7}  "
            + (" ".join(errors) or "-")
        )
    print("\nupstream calls by operation:")
    for row in rows:
        calls = ", ".join(f"{op} {n}" for op, n in sorted(row.calls.items()))
        print(f"  {row.name:<16}{row.calls.total():>6}  {calls}")
