"""Soak: a mixed load on 2 gateway replicas, with Connect failing in every way the
emulator can and the Redis restarted mid-run; memory per replica, and what grew.

    .venv/bin/python benchmarks/soak.py [--seconds 600] [--clients 16] [--latency-ms 20]
        [--response-cache-mb 8] [--frames 1] [--seed 1] [--logs DIR]

Starts, as separate processes on 127.0.0.1: the emulator at Connect's default quotas
(`connect-gateway emulator --connect-quotas`), a private redis-server on a free port
(never the one on 6379; redis-server must be on PATH), and two `connect-gateway serve`
sharing it (GATEWAY_QUOTA_REPLICAS=2, the quota guard at Connect's defaults,
GATEWAY_RESPONSE_CACHE_MB=--response-cache-mb). --clients loops send, for --seconds, a
seeded mix over both replicas: contact-with-links reads (a contact with its previous,
initial and related contacts, agent and queue; Zipf over every demo contact, some with
Cache-Control: no-cache), `contacts` of 2 to 6 IDs with `agent { username }` and
`queue { name }`, `searchContacts` over the last 50 days by the client's clock (a new
window each second, as a dashboard asks) with `first: 5`, and hostile requests (malformed
JSON, a body over the limit, a query too deep, too many aliases, a non-string
operationName, deeply nested variables, an oversized contact ID, variables of the wrong
type). Meanwhile, in turn every --fault-every seconds: 500s, answers slower than the read
timeout, injected throttling (ThrottlingException), 500s on SearchContacts; and at half
time (--restart-at) a Redis restart (killed, back 10 s later on the same port).

The replicas run under tracemalloc (benchmarks/traced_serve.py, --frames frames a trace;
0: without it): a snapshot of each at 30 % of the run and one at its end, compared by
allocation site.

It prints: requests, 5xx (must be 0), lost answers (no HTTP answer, or a 200 without data
or errors; must be 0), upstream 429s beyond the injected ones (the quota guard's failures;
must be 0), p50/p99 latency, answers by kind; each replica's RSS at start, half time and
end, its second half's growth (target < 3 % of its start) and the whole run's beyond the
response cache's budget (target < 10 % of its start); and, per replica, the allocation
sites that grew most between the snapshots. A long run (an hour: --seconds 3600, or a
night) is the same command; the snapshots then are at 18 minutes and the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from harness import answers, free_port, redis_answers, rss_mib

from gateway.core.settings import Settings
from gateway.emulator import DEMO_INSTANCE_ID

ROOT = Path(__file__).resolve().parent.parent
READ = """query ContactWithLinks($contactId: ID!) {
  contact(contactId: $contactId) {
    id channel initiationMethod agent { username } queue { name }
    previousContact { id initiationMethod } initialContact { id channel }
    relatedContact { id channel }
  }
}"""
MANY = """query Contacts($ids: [ID!]!) {
  contacts(contactIds: $ids) { id channel agent { username } queue { name } }
}"""
SEARCH = """query SearchPage($from: DateTime!, $to: DateTime!) {
  searchContacts(
    timeRange: { type: INITIATION_TIMESTAMP, startTime: $from, endTime: $to }
    criteria: { channels: [VOICE, CHAT] }
    first: 5
  ) { totalCount edges { node { id channel } } }
}"""
SEARCH_DAYS = 50


def last_days(days: int) -> dict[str, str]:
    """The last `days` days by this machine's clock, to the second (as a dashboard asks)."""
    now = datetime.now(UTC).replace(microsecond=0)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    return {"from": (now - timedelta(days=days)).strftime(iso), "to": now.strftime(iso)}


def hostile_bodies() -> list[tuple[str, bytes]]:
    deep = "contact(contactId: $id) { " + "previousContact { " * 30 + "id" + " }" * 31
    aliases = " ".join(f"a{n}: contact(contactId: $id) {{ id }}" for n in range(200))
    bodies = {
        "malformed": b'{"query": "{ contact(',
        "oversized": json.dumps({"query": "{ __typename }", "pad": "x" * 200_000}).encode(),
        "too-deep": json.dumps(
            {"query": f"query($id: ID!) {{ {deep} }}", "variables": {"id": "x"}}
        ),
        "aliases": json.dumps(
            {"query": f"query($id: ID!) {{ {aliases} }}", "variables": {"id": "x"}}
        ),
        "operation-name": json.dumps({"query": "{ __typename }", "operationName": 5}),
        "nested-variables": '{"query": "{ __typename }", "variables": {"v": '
        + "[" * 5000
        + "]" * 5000
        + "}}",
        "oversized-id": json.dumps(
            {
                "query": "query($id: ID!) { contact(contactId: $id) { id } }",
                "variables": {"id": "x" * 5000},
            }
        ),
        "bad-variables": json.dumps(
            {
                "query": "query($ids: [ID!]!) { contacts(contactIds: $ids) { id } }",
                "variables": {"ids": {"not": "a list"}},
            }
        ),
    }
    return [
        (name, body if isinstance(body, bytes) else body.encode()) for name, body in bodies.items()
    ]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    server_errors: int = 0
    lost: int = 0


class Child:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.log = name, logs / f"{name}.log"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def wait_until(self, ready: Callable[[], bool], timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{self.name} did not start:\n{tail}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)

    def rss_mib(self) -> float:
        return rss_mib(self.process.pid)


def environment(redis_url: str, emulator_url: str, response_cache_mb: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "AWS_"))}
    env.update(AWS_ACCESS_KEY_ID="emulator", AWS_SECRET_ACCESS_KEY="emulator")
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    wanted = {
        "instance_id": DEMO_INSTANCE_ID,
        "connect_endpoint_url": emulator_url,
        "cache_url": redis_url,
        "cache_namespace": f"soak-{random.getrandbits(32):x}",
        "quota_replicas": "2",
        "auth": "none",
        "log_level": "WARNING",
        "response_cache_mb": str(response_cache_mb),
    }
    env.update({f"GATEWAY_{k.upper()}": v for k, v in wanted.items() if k in Settings.model_fields})
    return env


class Soak:
    def __init__(self, args: argparse.Namespace, stack: ExitStack, logs: Path) -> None:
        self.args, self.logs, self.stack = args, logs, stack
        self.rng = random.Random(args.seed)
        bin_dir = Path(sys.executable).parent
        gateway = [str(bin_dir / "connect-gateway")]
        self.snapshots = logs / "snapshots"
        serve = gateway
        if args.frames > 0:
            serve = [sys.executable, str(ROOT / "benchmarks" / "traced_serve.py")]
        emulator_port, self.redis_port = free_port(), free_port()
        self.emulator_url = f"http://127.0.0.1:{emulator_port}"
        emulator = Child(
            "emulator",
            [*gateway, "emulator", "--port", str(emulator_port), "--connect-quotas",
             "--latency-ms", str(args.latency_ms), "--clock", "fixed"],  # the seeded data
            dict(os.environ), logs,
        )  # fmt: skip
        stack.callback(emulator.stop)
        emulator.wait_until(lambda: answers(f"{self.emulator_url}/_emulator/stats"))
        self.redis = self._start_redis(stack)
        env = environment(
            f"redis://127.0.0.1:{self.redis_port}/0", self.emulator_url, args.response_cache_mb
        )
        env |= {"TRACEMALLOC_FRAMES": str(args.frames), "SOAK_SNAPSHOTS": str(self.snapshots)}
        self.replicas: list[Child] = []
        self.urls: list[str] = []
        for n in (1, 2):
            port = free_port()
            child = Child(f"gateway-{n}", [*serve, "serve", "--port", str(port)], env, logs)
            stack.callback(child.stop)
            self.replicas.append(child)
            self.urls.append(f"http://127.0.0.1:{port}")
        for url, child in zip(self.urls, self.replicas, strict=True):
            child.wait_until(lambda url=url: answers(f"{url}/healthz"))
        contacts = httpx.get(f"{self.emulator_url}/_emulator/contacts").json()["contacts"]
        ranked = sorted(c["id"] for c in contacts if c["instanceId"] == DEMO_INSTANCE_ID)
        self.rng.shuffle(ranked)
        self.ids = ranked
        self.weights = [1 / rank**1.1 for rank in range(1, len(ranked) + 1)]
        self.hostile = hostile_bodies()
        self.injected_throttles = 0
        self.events: list[str] = []
        self.started = time.monotonic()
        # (seconds into the run, operation, 429s beyond the injected ones in that second)
        self.unexpected: list[tuple[float, str, int]] = []

    def _start_redis(self, stack: ExitStack) -> Child:
        server = shutil.which("redis-server")
        if server is None:
            sys.exit("soak: redis-server is not on PATH")
        argv = [server, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no"]  # fmt: skip
        child = Child("redis", argv, dict(os.environ), self.logs)
        stack.callback(child.stop)
        child.wait_until(lambda: redis_answers(self.redis_port))
        return child

    def request(self) -> tuple[str, dict[str, str], bytes]:
        roll = self.rng.random()
        if roll < 0.12:
            name, body = self.rng.choice(self.hostile)
            return f"hostile:{name}", {"content-type": "application/json"}, body
        if roll < 0.22:
            variables = last_days(SEARCH_DAYS)
            body = {"query": SEARCH, "variables": variables, "operationName": "SearchPage"}
            return "search", {}, json.dumps(body).encode()
        if roll < 0.37:
            ids = self.rng.choices(self.ids, weights=self.weights, k=self.rng.randint(2, 6))
            body = {"query": MANY, "variables": {"ids": ids}}
            return "contacts", {}, json.dumps(body).encode()
        contact = self.rng.choices(self.ids, weights=self.weights)[0]
        body = {"query": READ, "variables": {"contactId": contact}}
        headers = {"cache-control": "no-cache"} if roll > 0.98 else {}
        return "read" if not headers else "read:no-cache", headers, json.dumps(body).encode()

    async def client(self, http: httpx.AsyncClient, until: float, tally: Tally) -> None:
        n = 0
        while time.monotonic() < until:
            kind, headers, body = self.request()
            url = self.urls[n % 2]
            n += 1
            headers = {"content-type": "application/json", **headers}
            started = time.monotonic()
            try:
                response = await http.post(f"{url}/graphql", content=body, headers=headers)
            except httpx.HTTPError as error:
                tally.lost += 1
                tally.statuses[f"{type(error).__name__} ({kind})"] += 1
                continue
            tally.latencies.append(time.monotonic() - started)
            tally.kinds[kind] += 1
            tally.statuses[str(response.status_code)] += 1
            if response.status_code >= 500:
                tally.server_errors += 1
                continue
            try:
                payload = response.json()
            except ValueError:
                payload = None
            if not isinstance(payload, dict) or not ({"data", "errors"} & payload.keys()):
                tally.lost += 1
                continue
            for error in payload.get("errors") or []:
                tally.codes[str(error.get("extensions", {}).get("code"))] += 1

    async def chaos(self, until: float) -> None:
        faults: list[dict[str, Any]] = [
            {"operation": "DescribeContact", "error": "InternalServiceException", "times": 15},
            {"operation": "DescribeContact", "delayMs": 7000, "times": 4},
            {"operation": "DescribeContact", "error": "ThrottlingException", "times": 10},
            {"operation": "SearchContacts", "error": "InternalServiceException", "times": 3},
        ]
        restarted = False
        turn = 0
        async with httpx.AsyncClient(base_url=self.emulator_url, timeout=10) as http:
            halfway = time.monotonic() + (until - time.monotonic()) * self.args.restart_at
            while time.monotonic() + self.args.fault_every < until:
                await asyncio.sleep(self.args.fault_every)
                if not restarted and time.monotonic() >= halfway:
                    restarted = True
                    await asyncio.to_thread(self.restart_redis)
                    continue
                fault = faults[turn % len(faults)]
                turn += 1
                if fault.get("error") == "ThrottlingException":
                    self.injected_throttles += fault["times"]
                (await http.post("/_emulator/faults", json=fault)).raise_for_status()
                self.events.append(f"{self.now():.0f} s {fault}")

    def now(self) -> float:
        return time.monotonic() - self.started

    async def watch(self, until: float) -> None:
        """Notes when 429s beyond the injected ones happen, each second, by operation."""
        seen: Counter[str] = Counter()
        async with httpx.AsyncClient(base_url=self.emulator_url, timeout=10) as http:
            while time.monotonic() < until + 2:
                await asyncio.sleep(1)
                stats = (await http.get("/_emulator/stats")).json()
                faults = (await http.get("/_emulator/faults")).json()["faults"]
                left = sum(f["times"] or 0 for f in faults if f["error"] == "ThrottlingException")
                injected = self.injected_throttles - left
                throttled = Counter(stats["throttled"])
                throttled["DescribeContact"] -= injected  # the only operation injected
                # A fault spent a moment before its 429 is counted makes the difference
                # dip below its peak: only a new peak is a 429 nobody injected.
                for operation, count in throttled.items():
                    if count > seen[operation]:
                        self.unexpected.append((self.now(), operation, count - seen[operation]))
                        seen[operation] = count

    def restart_redis(self) -> None:
        self.events.append(f"{self.now():.0f} s redis killed")
        self.redis.stop(signal.SIGKILL)
        time.sleep(10)
        self.redis = Child("redis", self.redis.process.args, dict(os.environ), self.logs)  # type: ignore[arg-type]
        self.stack.callback(self.redis.stop)
        self.redis.wait_until(lambda: redis_answers(self.redis_port))
        self.events.append(f"{self.now():.0f} s redis back")

    async def run(self) -> tuple[Tally, float]:
        tally = Tally()
        until = time.monotonic() + self.args.seconds
        limits = httpx.Limits(max_connections=self.args.clients * 2)
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            started = time.monotonic()
            await asyncio.gather(
                self.chaos(until),
                self.watch(until),
                *(self.client(http, until, tally) for _ in range(self.args.clients)),
            )
            return tally, time.monotonic() - started

    def snapshot(self) -> list[Path]:
        """A tracemalloc snapshot of each replica now (benchmarks/traced_serve.py)."""
        found = []
        for child in self.replicas:
            before = set(self.snapshots.glob(f"{child.process.pid}-*.snapshot"))
            child.process.send_signal(signal.SIGUSR1)
            deadline = time.monotonic() + 120
            while not (new := set(self.snapshots.glob(f"{child.process.pid}-*.snapshot")) - before):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{child.name} wrote no snapshot")
                time.sleep(0.2)
            found.append(new.pop())
        return found

    def quota_throttles(self) -> tuple[int, int, dict[str, int]]:
        """429s the emulator answered, of which injected (remaining faults deducted), and
        the 429s by operation."""
        stats = httpx.get(f"{self.emulator_url}/_emulator/stats").json()
        faults = httpx.get(f"{self.emulator_url}/_emulator/faults").json()["faults"]
        left = sum(f["times"] or 0 for f in faults if f["error"] == "ThrottlingException")
        throttled = stats["throttled"]
        return sum(throttled.values()), self.injected_throttles - left, throttled


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


_NOT_OURS = (tracemalloc.__file__, "<frozen importlib._bootstrap>", "<unknown>")


def grown(first: Path, last: Path, top: int = 8) -> list[str]:
    """The allocation sites that grew most from the `first` snapshot to the `last`."""
    filters = [tracemalloc.Filter(False, pattern) for pattern in _NOT_OURS]
    before = tracemalloc.Snapshot.load(str(first)).filter_traces(filters)
    after = tracemalloc.Snapshot.load(str(last)).filter_traces(filters)
    lines = []
    for stat in after.compare_to(before, "lineno")[:top]:
        frame = stat.traceback[0]
        where = f"{_short(frame.filename)}:{frame.lineno}"
        lines.append(
            f"{stat.size_diff / 1024:+9.0f} KiB {stat.count_diff:+8d} blocks  {where}"
            f"  (now {stat.size / 1024:.0f} KiB)"
        )
    return lines


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/gateway/", "/lib/python3"):
        if marker in filename:
            _head, tail = filename.split(marker, 1)
            return ("gateway/" if marker == "/gateway/" else "") + tail
    return filename


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--fault-every", type=float, default=15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--response-cache-mb", type=float, default=8, help="GATEWAY_RESPONSE_CACHE_MB"
    )
    parser.add_argument(
        "--frames", type=int, default=1, help="tracemalloc frames a trace (0: no tracemalloc)"
    )
    parser.add_argument(
        "--restart-at", type=float, default=0.5, help="when Redis restarts, a fraction of the run"
    )
    parser.add_argument("--logs", type=Path, help="keep the servers' logs here")
    args = parser.parse_args()
    logs = args.logs or Path(tempfile.mkdtemp(prefix="soak-"))
    logs.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        soak = Soak(args, stack, logs)
        rss_start = [child.rss_mib() for child in soak.replicas]
        halfway: list[float] = []
        early: list[Path] = []
        timers = [
            threading.Timer(
                args.seconds / 2, lambda: halfway.extend(c.rss_mib() for c in soak.replicas)
            ),
        ]
        if args.frames > 0:
            timers.append(
                threading.Timer(0.3 * args.seconds, lambda: early.extend(soak.snapshot()))
            )
        for timer in timers:
            timer.start()
        tally, elapsed = asyncio.run(soak.run())
        for timer in timers:
            timer.cancel()
            timer.join()
        rss_end = [child.rss_mib() for child in soak.replicas]
        late = soak.snapshot() if early else []
        throttled, injected, by_operation = soak.quota_throttles()
    requests = len(tally.latencies) + tally.lost
    quota_429s = throttled - injected
    print(
        f"soak: {elapsed:.0f} s, {args.clients} clients, 2 replicas, emulator at Connect's quotas"
    )
    print(f"requests            {requests} ({requests / elapsed:.1f}/s)")
    print(f"5xx                 {tally.server_errors}  (must be 0)")
    print(f"lost answers        {tally.lost}  (must be 0)")
    print(f"upstream 429s       {quota_429s} beyond the {injected} injected  (must be 0)")
    print(f"429s by operation   {by_operation}")
    print(f"latency p50 / p99   {percentile(tally.latencies, 0.5) * 1000:.0f} ms / "
          f"{percentile(tally.latencies, 0.99) * 1000:.0f} ms")  # fmt: skip
    halves = halfway or rss_start
    budget = args.response_cache_mb * 1e6 / 2**20  # MiB
    memory_ok = True
    for n, (start, half, end) in enumerate(zip(rss_start, halves, rss_end, strict=True), 1):
        second = 100 * (end - half) / start
        beyond = 100 * (end - start - budget) / start
        memory_ok &= second < 3 and beyond < 10
        print(f"RSS replica {n}       {start:.0f} MiB at start, {half:.0f} at half time, "
              f"{end:.0f} at end: second half {second:+.1f} % of the start (target < 3 %), "
              f"the run {beyond:+.1f} % beyond the response cache's {budget:.1f} MiB "
              "(target < 10 %)")  # fmt: skip
    for n, (first, last) in enumerate(zip(early, late, strict=True), 1):
        print(f"grew in replica {n}   (tracemalloc, {0.3 * args.seconds:.0f} s to the end)")
        for line in grown(first, last):
            print(f"    {line}")
    print(f"by kind             {dict(sorted(tally.kinds.items()))}")
    print(f"HTTP statuses       {dict(sorted(tally.statuses.items()))}")
    print(f"GraphQL error codes {dict(sorted(tally.codes.items()))}")
    print(f"chaos               {'; '.join(soak.events)}")
    when = ", ".join(f"{t:.0f} s {op} x{n}" for t, op, n in soak.unexpected) or "none"
    print(f"unexpected 429s at  {when}")
    print(f"logs                {logs}")
    ok = tally.server_errors == 0 and tally.lost == 0 and quota_429s == 0 and memory_ok
    print("verdict             " + ("PASS" if ok else "FAIL"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
