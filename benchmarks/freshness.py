"""Freshness for the price of an event, and one search shared by many dashboards.

    .venv/bin/python benchmarks/freshness.py [--updates 40] [--ttl-off 10] [--latency-ms 20]
        [--dashboards 20] [--poll-seconds 1] [--search-seconds 20] [--logs DIR]

Starts, as separate processes on 127.0.0.1: the emulator (`connect-gateway emulator`, every
answer after --latency-ms), a private redis-server on a free port (redis-server must be on
PATH), and per scenario two gateways (`connect-gateway serve`) sharing it.

Freshness: --updates ended contacts, read (cached) through the second gateway, then each
changed with UpdateContact (boto3, Name) and read again through the second gateway until it
answers the new name: with events one at a time, polled every 10 ms; without, all at once,
polled every 100 ms. Scenarios:

  events on    the emulator posts its contact events to the FIRST gateway's /events
               (GATEWAY_EVENTS=on: ended contacts cached 6 h)
  events off   no events; ended contacts cached --ttl-off seconds (the default 900 s would
               make this scenario last hours: its staleness is about the TTL whatever it is)

Printed: p50/p99 seconds from UpdateContact to visible, DescribeContact calls per update.

Search: --dashboards clients poll one searchContacts query every --poll-seconds for
--search-seconds, round-robin over the two gateways, against an emulator holding Connect's
default quotas (--connect-quotas: SearchContacts 0.5/s, burst 1). Printed: SearchContacts
calls per second, and 429s. Needs an emulator with --connect-quotas (skipped otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
from harness import ROOT, Child, answers, base_environment, free_port, redis_answers, servers

from gateway.core.settings import Settings
from gateway.emulator import DEMO_INSTANCE_ID

CONTACT = "query($id: ID!) { contact(contactId: $id) { id name } }"
SEARCH = """query($from: DateTime!, $to: DateTime!) {
  searchContacts(timeRange: {type: INITIATION_TIMESTAMP, startTime: $from, endTime: $to},
                 sort: {fieldName: INITIATION_TIMESTAMP, order: DESCENDING}, first: 20) {
    totalCount edges { node { id channel initiationTimestamp } } } }"""
GATEWAY = [sys.executable, "-m", "gateway", "serve"]


def stats(emulator: str) -> dict[str, Any]:
    return httpx.get(f"{emulator}/_emulator/stats").json()  # type: ignore[no-any-return]


def gateway_environment(emulator: str, redis_port: int, **settings: Any) -> dict[str, str]:
    env = base_environment()
    env.update(
        GATEWAY_INSTANCE_ID=DEMO_INSTANCE_ID,
        GATEWAY_CONNECT_ENDPOINT_URL=emulator,
        GATEWAY_CACHE_URL=f"redis://127.0.0.1:{redis_port}/0",
        GATEWAY_CACHE_NAMESPACE=f"bench-{time.monotonic_ns()}",
        GATEWAY_LOG_LEVEL="WARNING",
    )
    if "auth" in Settings.model_fields:  # gateways with authentication want it said
        env["GATEWAY_AUTH"] = "none"
    env.update({f"GATEWAY_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def freshness(
    emulator: str, gateways: list[str], contacts: list[str], deadline: float, poll: float
) -> tuple[list[float], int]:
    """Seconds from each UpdateContact to the new name seen through the second gateway
    (the contacts measured at once, each polled every `poll` s), and the DescribeContact
    calls it took."""
    client = boto3.client(
        "connect", endpoint_url=emulator, region_name="us-east-1",
        aws_access_key_id="emulator", aws_secret_access_key="emulator",
    )  # fmt: skip
    http = httpx.Client(timeout=30)

    def read(contact_id: str) -> Any:
        body = {"query": CONTACT, "variables": {"id": contact_id}}
        return http.post(f"{gateways[1]}/graphql", json=body).json()["data"]["contact"]["name"]

    def measure(contact_id: str) -> float:
        name = f"bench-{time.monotonic_ns()}"
        client.update_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact_id, Name=name)
        started = time.monotonic()
        while read(contact_id) != name and time.monotonic() - started < deadline:
            time.sleep(poll)
        return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=len(contacts)) as pool:
        list(pool.map(read, contacts))  # cached, as a dashboard's contacts are
        before = stats(emulator)["calls"].get("DescribeContact", 0)
    # With events, one update at a time: pollers at 10 ms would otherwise measure the
    # machine. Without, all at once: each waits out the TTL whatever the others do.
    with ThreadPoolExecutor(max_workers=1 if poll < 0.1 else len(contacts)) as pool:
        seen = list(pool.map(measure, contacts))
    calls = stats(emulator)["calls"].get("DescribeContact", 0) - before
    http.close()
    return seen, calls


async def dashboards(
    gateways: list[str], clients: int, every: float, seconds: float
) -> Counter[str]:
    """Polls one search from `clients` dashboards; the answers by outcome (ok, or the
    first error's code)."""
    window = {"from": "2017-08-01T00:00:00Z", "to": "2017-08-31T00:00:00Z"}
    body = {"query": SEARCH, "variables": window}
    outcomes: Counter[str] = Counter()
    ends = time.monotonic() + seconds

    async def dashboard(n: int, http: httpx.AsyncClient) -> None:
        while time.monotonic() < ends:
            answer = (await http.post(f"{gateways[n % len(gateways)]}/graphql", json=body)).json()
            errors = answer.get("errors") or [{"extensions": {"code": "ok"}}]
            outcomes[errors[0].get("extensions", {}).get("code", "?")] += 1
            await asyncio.sleep(every)

    async with httpx.AsyncClient(timeout=60) as http:
        await asyncio.gather(*(dashboard(n, http) for n in range(clients)))
    return outcomes


@contextmanager
def start_emulator(logs: Path, name: str, argv: list[str]) -> Iterator[str]:
    port = free_port()
    child = Child(name, [*argv, "--port", str(port)], base_environment(), logs)
    try:
        url = f"http://127.0.0.1:{port}"
        child.wait_until(lambda: answers(f"{url}/_emulator/stats"))
        yield url
    finally:
        child.stop()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=40)
    parser.add_argument("--ttl-off", type=float, default=10.0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--dashboards", type=int, default=20)
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    parser.add_argument("--search-seconds", type=float, default=20.0)
    parser.add_argument("--logs", type=Path)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("freshness.py: redis-server is not on PATH")
    logs = args.logs or Path(tempfile.mkdtemp(prefix="freshness-"))
    logs.mkdir(parents=True, exist_ok=True)
    with ExitStack() as scope:
        redis_port = free_port()
        argv = ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
        redis = Child("redis", argv, base_environment(), logs)
        scope.callback(redis.stop)
        redis.wait_until(lambda: redis_answers(redis_port))
        emulator_argv = [
            sys.executable,
            "-m",
            "gateway",
            "emulator",
            "--latency-ms",
            str(args.latency_ms),
        ]
        emulator = scope.enter_context(start_emulator(logs, "emulator", emulator_argv))
        contacts = [c["id"] for c in httpx.get(f"{emulator}/_emulator/contacts").json()["contacts"]
                    if c["instanceId"] == DEMO_INSTANCE_ID and c["disconnected"]]  # fmt: skip
        print(f"freshness: {args.updates} UpdateContact calls, read through the other replica")
        print(f"{'scenario':<12} {'p50 s':>8} {'p99 s':>8} {'DescribeContact/update':>24}")
        rows = {}
        for name, settings, events in (
            ("events on", {"events": "on"}, True),
            ("events off", {"ttl_ended_seconds": args.ttl_off}, False),
        ):
            env = gateway_environment(emulator, redis_port, quota_rate="off", **settings)
            with servers(logs, name.replace(" ", "-"), [GATEWAY, GATEWAY], env) as gateways:
                url = f"{gateways[0]}/events" if events else None
                httpx.post(f"{emulator}/_emulator/events", json={"url": url}).raise_for_status()
                picked = (
                    contacts[: args.updates]
                    if events
                    else contacts[args.updates : 2 * args.updates]
                )
                poll = 0.01 if events else 0.1
                seen, calls = freshness(emulator, gateways, picked, args.ttl_off * 4 + 60, poll)
                rows[name] = seen
                print(f"{name:<12} {percentile(seen, 0.5):>8.3f} {percentile(seen, 0.99):>8.3f} "
                      f"{calls / len(seen):>24.2f}")  # fmt: skip
        on, off = statistics.median(rows["events on"]), statistics.median(rows["events off"])
        print(f"median staleness, events off / events on: {off / on:.0f}x")
        search(args, logs, redis_port, emulator_argv)


def search(args: argparse.Namespace, logs: Path, redis_port: int, emulator_argv: list[str]) -> None:
    helped = subprocess.run([*emulator_argv, "--help"], capture_output=True, text=True, cwd=ROOT)
    if "--connect-quotas" not in helped.stdout:
        print("search: skipped (this emulator has no --connect-quotas)")
        return
    with start_emulator(logs, "quota-emulator", [*emulator_argv, "--connect-quotas"]) as emulator:
        env = gateway_environment(emulator, redis_port)
        with servers(logs, "search", [GATEWAY, GATEWAY], env) as gateways:
            httpx.post(f"{emulator}/_emulator/reset").raise_for_status()
            started = time.monotonic()
            outcomes = asyncio.run(
                dashboards(gateways, args.dashboards, args.poll_seconds, args.search_seconds)
            )
            elapsed = time.monotonic() - started
            numbers = stats(emulator)
        calls = numbers["calls"].get("SearchContacts", 0)
        throttled = numbers["throttled"].get("SearchContacts", 0)
        asked = args.dashboards / args.poll_seconds
        every = f"every {args.poll_seconds:g} s ({asked:.1f} queries/s)"
        print(f"search: {args.dashboards} dashboards polling one search {every}")
        print(f"        for {elapsed:.0f} s through two replicas")
        print(f"SearchContacts calls/s {calls / elapsed:.2f} (Connect allows 0.5), "
              f"429s {throttled}, answers {dict(outcomes)}")  # fmt: skip
        print(f"queries per SearchContacts call: {asked * elapsed / max(calls, 1):.0f}x")


if __name__ == "__main__":
    main()
