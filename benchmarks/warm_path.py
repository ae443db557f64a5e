"""The warm path: the gateway against a naive Strawberry app and raw graphql-core, all data
in memory, the same nested query over HTTP; then a cold chain, and memory.

    .venv/bin/python benchmarks/warm_path.py [--seconds 10] [--rounds 3] [--connections 16]
        [--latency-ms 20] [--samples 5] [--loop auto|asyncio|uvloop]

Starts, each a process of its own with one uvicorn worker on 127.0.0.1, against the
emulator (`connect-gateway emulator --latency-ms`):

  gateway, executed  `connect-gateway serve`, GATEWAY_RESPONSE_CACHE=off
  gateway, cached    `connect-gateway serve`, the default configuration (response cache on)
  naive Strawberry   benchmarks/warm_apps.py naive: one resolver per field, a dict of records
  raw graphql-core   benchmarks/warm_apps.py raw: graphql-core on dicts, document cached
  bare endpoint      benchmarks/warm_apps.py bare: a Starlette endpoint that reads the body
                     and returns the gateway's answer to the query, the same bytes

The query: a contact with its previous, initial and related contacts, 14 fields each
(two of them objects), every contact ended (so cached for GATEWAY_TTL_ENDED_SECONDS). Each
server is warmed, then driven for --seconds in all (--rounds turns, the servers taking
turns, so that the rest of the machine's load weighs on each alike) by --connections
keep-alive connections from a load generator in its own process (benchmarks/load.py).
It prints throughput, latency, the server's CPU per request (from /proc) and the load
generator's, then the ratios against their targets (a cache hit's CPU per request against
the bare endpoint's, the executed gateway's throughput against the naive app's); then the
cold latency of `chain` on the demo's deepest chain (D contacts, each found only through
the one after it: D DescribeContact calls in a row) with Cache-Control: no-cache, against
D x the emulator's latency; then the RSS of a gateway process holding 10,000 cached
contacts, and with its response cache full.
Every server runs on the event loop --loop names (GATEWAY_EVENT_LOOP: `auto` is uvloop
when it is installed, the `fast` extra). About a minute at the defaults. The quota guard
is off: the emulator has no quota here.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
from harness import BIN, ROOT, Child, answers, base_environment, free_port
from load import Load, drive, request_bytes

from gateway.connect.client import to_json
from gateway.emulator import DEMO_INSTANCE_ID

FIELDS = """id arn channel initiationMethod name description initiationTimestamp
    disconnectTimestamp lastUpdateTimestamp previousContactId initialContactId
    relatedContactId agentInfo { id connectedToAgentTimestamp } queueInfo { id enqueueTimestamp }"""

QUERY = f"""query Nested($contactId: ID!) {{
  contact(contactId: $contactId) {{
    {FIELDS}
    previousContact {{ {FIELDS} }}
    initialContact {{ {FIELDS} }}
    relatedContact {{ {FIELDS} }}
  }}
}}"""

CHAIN = "query Chain($contactId: ID!) { contact(contactId: $contactId) { chain { id } } }"
HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    parser.add_argument("--memory", help=argparse.SUPPRESS)  # the memory child's records
    args = parser.parse_args()
    if args.memory:
        _measure_memory(Path(args.memory))
        return
    logs = Path(tempfile.mkdtemp(prefix="warm-path-"))
    with ExitStack() as stack:
        emulator_url = _start_emulator(stack, logs, args.latency_ms)
        contacts = httpx.get(f"{emulator_url}/_emulator/contacts").json()["contacts"]
        contact = _nested_contact(contacts)
        records = _records(emulator_url, contacts)
        records_file = logs / "records.json"
        records_file.write_text(json.dumps(records))
        body = {"query": QUERY, "variables": {"contactId": contact}}
        servers = [
            _start(stack, logs, name, argv, env | {"GATEWAY_EVENT_LOOP": args.loop}, body)
            for name, argv, env in _servers(emulator_url, records_file)
        ]
        # The bare endpoint answers with the bytes the gateway answers (a cache hit's).
        answer_file = logs / "answer.json"
        answer_file.write_bytes(httpx.post(f"{servers[1].url}/graphql", json=body).content)
        bare = [sys.executable, str(HERE / "warm_apps.py"), "bare", str(answer_file)]
        bare_env = base_environment() | {"GATEWAY_EVENT_LOOP": args.loop}
        servers.append(_start(stack, logs, "bare endpoint", bare, bare_env, body))
        rows = _drive_rounds(servers, body, args)
        chain_id, depth = _deepest_chain(contacts)
        cold = _cold_chain(stack, logs, emulator_url, chain_id, args.samples)
    _report(rows, args)
    floor = depth * args.latency_ms
    print()
    print(f"cold chain, D = {depth} contacts    {cold:.1f} ms   (median of {args.samples})")
    print(f"D x emulator latency           {floor:.1f} ms   ({args.latency_ms:.0f} ms a call)")
    print(f"cold chain / (D x latency)     {cold / floor:.2f}  (1.00: nothing but Connect's time)")
    print()
    _print_memory(records_file)


def _start_emulator(stack: ExitStack, logs: Path, latency_ms: float) -> str:
    port = free_port()
    argv = [str(BIN / "connect-gateway"), "emulator", "--port", str(port)]
    argv += ["--latency-ms", str(latency_ms)]
    emulator = Child("emulator", argv, base_environment(), logs)
    stack.callback(emulator.stop)
    url = f"http://127.0.0.1:{port}"
    emulator.wait_until(lambda: answers(f"{url}/_emulator/stats"))
    return url


def _gateway_env(emulator_url: str, **extra: str) -> dict[str, str]:
    env = base_environment()
    env.update(
        GATEWAY_INSTANCE_ID=DEMO_INSTANCE_ID,
        GATEWAY_AUTH="none",  # the emulator's demo data
        GATEWAY_CONNECT_ENDPOINT_URL=emulator_url,
        GATEWAY_QUOTA_RATE="off",
        GATEWAY_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def _servers(emulator_url: str, records: Path) -> list[tuple[str, list[str], dict[str, str]]]:
    serve = [str(BIN / "connect-gateway"), "serve", "--port"]
    apps = [sys.executable, str(HERE / "warm_apps.py")]
    return [
        ("gateway, executed", serve, _gateway_env(emulator_url, GATEWAY_RESPONSE_CACHE="off")),
        ("gateway, cached", serve, _gateway_env(emulator_url)),
        ("naive Strawberry", [*apps, "naive", str(records)], base_environment()),
        ("raw graphql-core", [*apps, "raw", str(records)], base_environment()),
    ]


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    pid: int


def _start(
    stack: ExitStack,
    logs: Path,
    name: str,
    argv: list[str],
    env: dict[str, str],
    body: dict[str, Any],
) -> Server:
    """Starts the server and warms it: every entity cached, the document parsed."""
    port = free_port()
    child = Child(name.split(",")[0].split()[0], [*argv, str(port)], env, logs)
    stack.callback(child.stop)
    url = f"http://127.0.0.1:{port}"
    child.wait_until(lambda: answers(f"{url}/healthz"))
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(20):
            answer = client.post("/graphql", json=body).json()
            assert "errors" not in answer, answer
            assert answer["data"]["contact"]["previousContact"], answer
    return Server(name, url, child.process.pid)


def _drive_rounds(
    servers: list[Server], body: dict[str, Any], args: argparse.Namespace
) -> dict[str, tuple[Load, float]]:
    """Each server driven in turn, --rounds times, so that whatever else the machine does
    weighs on all of them alike; its load summed, and its CPU per request."""
    loads: dict[str, list[Load]] = {server.name: [] for server in servers}
    cpu: dict[str, float] = dict.fromkeys(loads, 0.0)
    for _ in range(args.rounds):
        for server in servers:
            before = _cpu_seconds(server.pid)
            request = request_bytes(f"{server.url}/graphql", body, {})
            seconds = args.seconds / args.rounds
            loads[server.name].append(
                drive(f"{server.url}/graphql", request, args.connections, seconds)
            )
            cpu[server.name] += _cpu_seconds(server.pid) - before
    rows = {}
    for name, runs in loads.items():
        load = Load(
            answered=sum(run.answered for run in runs),
            failed=sum(run.failed for run in runs),
            seconds=sum(run.seconds for run in runs),
            p50_ms=statistics.median(run.p50_ms for run in runs),
            p99_ms=max(run.p99_ms for run in runs),
            client_cpu_seconds=sum(run.client_cpu_seconds for run in runs),
        )
        rows[name] = (load, cpu[name] / max(1, load.answered + load.failed))
    return rows


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / _clock_ticks()


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def _report(rows: dict[str, tuple[Load, float]], args: argparse.Namespace) -> None:
    loop = args.loop
    if loop == "auto":
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    print(
        f"the nested query, {args.connections} connections, {args.seconds:.0f} s each, "
        f"one uvicorn worker per server, on {loop}"
    )
    print(
        f"{'server':<20} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'server CPU/req':>15} "
        f"{'client CPU':>10} {'failed':>6}"
    )
    for name, (load, cpu) in rows.items():
        client = load.client_cpu_seconds / load.seconds
        print(
            f"{name:<20} {load.rate:>8.0f} {load.p50_ms:>7.2f} {load.p99_ms:>7.2f} "
            f"{cpu * 1e6:>12.0f} us {client:>9.0%} {load.failed:>6}"
        )
    naive = rows["naive Strawberry"]
    executed, cached = rows["gateway, executed"], rows["gateway, cached"]
    raw, bare = rows["raw graphql-core"], rows["bare endpoint"]
    print()
    print(
        f"cache hit / bare endpoint      {cached[1] / bare[1]:.2f}x  CPU per request "
        f"(target <= 2.0x; p50 {cached[0].p50_ms:.2f} / {bare[0].p50_ms:.2f} ms, "
        f"p99 {cached[0].p99_ms:.2f} / {bare[0].p99_ms:.2f} ms)"
    )
    print(
        f"gateway executed / naive       {executed[0].rate / naive[0].rate:.1f}x  req/s, "
        f"{naive[1] / executed[1]:.1f}x CPU per request (target >= 10x; p50 "
        f"{executed[0].p50_ms:.2f} / {naive[0].p50_ms:.2f} ms, "
        f"p99 {executed[0].p99_ms:.2f} / {naive[0].p99_ms:.2f} ms)"
    )
    print(f"gateway cached / naive         {cached[0].rate / naive[0].rate:.1f}x  req/s")
    print(
        f"gateway executed / raw, CPU    {executed[1] / raw[1]:.1f}x  per request (stretch: <= 2x)"
    )


def _nested_contact(contacts: list[dict[str, Any]]) -> str:
    """An ended contact whose previous, initial and related contacts exist and have ended."""
    by_id = {c["id"]: c for c in contacts if c["instanceId"] == DEMO_INSTANCE_ID}
    links = ("previousContactId", "initialContactId", "relatedContactId")
    for contact in by_id.values():
        linked = [by_id.get(contact.get(link) or "") for link in links]
        if contact["disconnected"] and all(c is not None and c["disconnected"] for c in linked):
            return str(contact["id"])
    raise SystemExit("the demo data has no contact with three ended links")


def _deepest_chain(contacts: list[dict[str, Any]]) -> tuple[str, int]:
    by_id = {c["id"]: c for c in contacts if c["instanceId"] == DEMO_INSTANCE_ID}

    def depth(contact: dict[str, Any]) -> int:
        n = 1
        while contact.get("previousContactId") in by_id and n < 50:
            contact, n = by_id[contact["previousContactId"]], n + 1
        return n

    deepest = max(by_id.values(), key=depth)
    return str(deepest["id"]), depth(deepest)


def _records(emulator_url: str, contacts: list[dict[str, Any]]) -> dict[str, Any]:
    """Every demo contact as DescribeContact answers it: the reference servers' dict."""
    client = boto3.client(
        "connect", endpoint_url=emulator_url, region_name="us-east-1",
        aws_access_key_id="emulator", aws_secret_access_key="emulator",
    )  # fmt: skip
    records = {}
    for contact in contacts:
        if contact["instanceId"] == DEMO_INSTANCE_ID:
            answer = client.describe_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact["id"])
            records[contact["id"]] = to_json(answer["Contact"])
    return records


def _cold_chain(
    stack: ExitStack, logs: Path, emulator_url: str, contact_id: str, samples: int
) -> float:
    """Median ms of `chain` with Cache-Control: no-cache: every contact asked of Connect."""
    port = free_port()
    argv = [str(BIN / "connect-gateway"), "serve", "--port", str(port)]
    gateway = Child("gateway-chain", argv, _gateway_env(emulator_url), logs)
    stack.callback(gateway.stop)
    url = f"http://127.0.0.1:{port}"
    gateway.wait_until(lambda: answers(f"{url}/healthz"))
    body = {"query": CHAIN, "variables": {"contactId": contact_id}}
    times = []
    with httpx.Client(base_url=url, timeout=60, headers={"cache-control": "no-cache"}) as client:
        client.post("/graphql", json=body)  # the connection, the parse and validation
        for _ in range(samples):
            started = time.perf_counter()
            answer = client.post("/graphql", json=body).json()
            times.append(time.perf_counter() - started)
            assert "errors" not in answer, answer
    return statistics.median(times) * 1000


def _print_memory(records: Path) -> None:
    command = [sys.executable, str(Path(__file__).resolve()), "--memory", str(records)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    print(result.stdout, end="")


def _measure_memory(records_file: Path) -> None:
    """In a fresh process: RSS with 10,000 contacts in the memory cache the way the store
    keeps them, then with the response cache filled to its default budget."""
    import asyncio

    from gateway.core.settings import Settings
    from gateway.data.cache import Cache
    from gateway.data.responses import ResponseCache
    from gateway.shared.coordination import Coordinator

    records: list[dict[str, Any]] = list(json.loads(records_file.read_text()).values())
    body = json.dumps({"data": {"contact": records[0]}}).encode() * 3  # ~ the nested answer
    settings = Settings()

    async def fill() -> tuple[int, int, int, int]:
        base = _rss()
        cache = Cache(Coordinator("memory://", "bench", 1.0))
        for n in range(10_000):
            # A copy of its own, as each record parsed from Connect's answer is.
            record = json.loads(json.dumps(records[n % len(records)]))
            record["Id"] = f"contact-{n}"
            entry = {"value": record, "at": time.time(), "ttl": 900}
            await cache.set(f"contact:v2:{DEMO_INSTANCE_ID}:{n}", entry, 900)
        contacts = _rss()
        responses = ResponseCache(int(settings.response_cache_mb * 2**20))
        n = 0
        while len(responses) == n:  # until the first eviction: the budget is full
            tags = [f"contact:{DEMO_INSTANCE_ID}:{n}-{k}" for k in range(4)]
            responses.put(f"key-{n}", body + str(n).encode(), [], tags, 900, responses.epoch)
            n += 1
        return base, contacts, _rss(), len(responses)

    base, contacts, full, entries = asyncio.run(fill())
    print(f"RSS, a fresh process           {base / 2**20:.0f} MiB")
    print(f"RSS, 10,000 cached contacts    {contacts / 2**20:.0f} MiB")
    print(
        f"RSS, response cache full       {full / 2**20:.0f} MiB  "
        f"({entries} responses of {len(body) / 1024:.1f} KiB, "
        f"GATEWAY_RESPONSE_CACHE_MB={settings.response_cache_mb:g})"
    )


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    main()
