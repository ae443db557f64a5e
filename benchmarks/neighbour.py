"""A neighbour's burst: another caller in the account spends Connect's DescribeContact quota
beside two gateway replicas; what reaches the gateway's clients.

    .venv/bin/python benchmarks/neighbour.py [--requests 1200] [--clients 16]
        [--neighbour-rate 5] [--quota-wait-seconds 60] [--latency-ms 20] [--zipf 1.1]
        [--seed 1] [--logs DIR]

Starts, as separate processes on 127.0.0.1: a private redis-server on a free port
(redis-server must be on PATH), the emulator at Connect's default quotas
(`connect-gateway emulator --connect-quotas`: DescribeContact 10/s, burst 15; every answer
after --latency-ms), and two `connect-gateway serve` replicas sharing the Redis with the
quota guard at its defaults (Connect's quotas times GATEWAY_QUOTA_SHARE, 0.8) but for the
longest wait for a turn (GATEWAY_QUOTA_WAIT_SECONDS=--quota-wait-seconds). A neighbour
(as a contact flow's Lambda would) calls DescribeContact --neighbour-rate times a second
with boto3 straight on the emulator, botocore's retries off, on demo contacts drawn at
random. --clients clients send --requests "contact with links" reads (benchmarks/fleet.py's
query: a contact, its previous, initial and related contacts, agent and queue), contacts
drawn Zipf(s=--zipf) over the demo contacts, round-robin over the replicas, each replica's
cache cold.

It prints the three figures of the issue with their targets: the clients' errors (any
error but NOT_FOUND, which the demo data's links to purged contacts answer by design; HTTP
failures included), the share of the gateway's own calls Connect answered 429, and the
share of the neighbour's. About a minute at the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import signal
import sys
import tempfile
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx
from center import Neighbour
from fleet import run_load, zipf_sequence
from harness import BIN, Child, answers, base_environment, free_port, redis_answers, servers

from gateway.emulator import DEMO_INSTANCE_ID


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--neighbour-rate", type=float, default=5, help="its DescribeContact/s")
    parser.add_argument(
        "--quota-wait-seconds", type=float, default=60, help="GATEWAY_QUOTA_WAIT_SECONDS"
    )
    parser.add_argument("--latency-ms", type=float, default=20, help="emulator latency")
    parser.add_argument("--zipf", type=float, default=1.1, help="Zipf exponent s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--logs", type=Path, help="keep the servers' logs here")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("neighbour.py: redis-server is not on PATH")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with ExitStack() as stack:
        logs = args.logs or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        logs.mkdir(parents=True, exist_ok=True)
        env = base_environment()
        redis_port, emulator_port = free_port(), free_port()
        redis = Child("redis", [
            "redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no",
        ], env, logs)  # fmt: skip
        stack.callback(redis.stop)
        emulator = Child("emulator", [
            str(BIN / "connect-gateway"), "emulator", "--port", str(emulator_port),
            "--connect-quotas", "--latency-ms", str(args.latency_ms),
        ], env, logs)  # fmt: skip
        stack.callback(emulator.stop)
        emulator_url = f"http://127.0.0.1:{emulator_port}"
        redis.wait_until(lambda: redis_answers(redis_port))
        emulator.wait_until(lambda: answers(f"{emulator_url}/_emulator/stats"))
        contacts = httpx.get(f"{emulator_url}/_emulator/contacts", timeout=10).json()["contacts"]
        ids = [c["id"] for c in contacts if c["instanceId"] == DEMO_INSTANCE_ID]
        sequence = zipf_sequence(ids, args.requests, args.zipf, args.seed)
        env |= {
            "GATEWAY_INSTANCE_ID": DEMO_INSTANCE_ID,
            "GATEWAY_AUTH": "none",
            "GATEWAY_CONNECT_ENDPOINT_URL": emulator_url,
            "GATEWAY_CACHE_URL": f"redis://127.0.0.1:{redis_port}/0",
            "GATEWAY_CACHE_NAMESPACE": f"neighbour-{uuid.uuid4().hex[:12]}",
            "GATEWAY_QUOTA_REPLICAS": "2",
            "GATEWAY_QUOTA_WAIT_SECONDS": str(args.quota_wait_seconds),
            "GATEWAY_LOG_LEVEL": "WARNING",
        }
        argv = [str(BIN / "connect-gateway"), "serve", "--host", "127.0.0.1"]
        with servers(logs, "replica", [argv, argv], env) as urls:
            for url in urls:  # connection and schema warm-up: no upstream call
                httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}, timeout=10)
            neighbour = Neighbour(emulator_url, args.neighbour_rate, [], args.seed)
            neighbour.newest.extend(random.Random(args.seed).sample(ids, 20))
            neighbour.start()
            stack.callback(neighbour.stop)
            httpx.post(f"{emulator_url}/_emulator/reset", timeout=10)
            with neighbour.lock:
                neighbour.calls = neighbour.throttled = 0
            print(
                f"{args.requests} reads by {args.clients} clients over two replicas; a "
                f"neighbour at {args.neighbour_rate:g} DescribeContact/s ...",
                flush=True,
            )
            outcome = asyncio.run(run_load(urls, sequence, args.clients, 600.0))
            with neighbour.lock:
                stats = httpx.get(f"{emulator_url}/_emulator/stats", timeout=10).json()
                theirs, theirs_throttled = neighbour.calls, neighbour.throttled
            neighbour.stop()

    calls, throttled = Counter(stats["calls"]), Counter(stats["throttled"])
    ours = calls.total() - theirs
    ours_throttled = throttled.total() - theirs_throttled
    errors = [f"{code}={n}" for code, n in sorted(outcome.codes.items()) if code != "NOT_FOUND"]
    errors += [f"{kind}={n}" for kind, n in sorted(outcome.http.items())]
    print(
        f"\n{outcome.answered} answers in {outcome.elapsed:.1f} s; the gateway's calls "
        f"{dict(sorted((op, n) for op, n in calls.items()))} (the neighbour's "
        f"{theirs} DescribeContact included)"
    )
    figures = [
        ("client reads with an error", f"{outcome.failed} of {args.requests}",
         " ".join(errors) or "-", "0", outcome.failed == 0),
        ("the gateway's calls answered 429", f"{ours_throttled} of {ours}",
         f"{ours_throttled / max(1, ours):.1%}", "< 5 %", ours_throttled < 0.05 * ours),
        ("the neighbour's calls answered 429", f"{theirs_throttled} of {theirs}",
         f"{theirs_throttled / max(1, theirs):.1%}", "< 10 %",
         theirs_throttled < 0.1 * max(1, theirs)),
    ]  # fmt: skip
    print(f"\n{'figure':<36}{'count':>14}  {'share':<24}{'target':<8}")
    for name, count, share, target, met in figures:
        print(f"{name:<36}{count:>14}  {share:<24}{target:<8}{'met' if met else 'NOT met'}")
    if not all(met for *_, met in figures):
        sys.exit(1)


if __name__ == "__main__":
    main()
