"""Connect's quota under load: the gateway against a naive baseline, and a Redis outage.

    .venv/bin/python benchmarks/quota.py [--clients 32] [--requests 2000] [--max-seconds 60]
        [--baseline-seconds 20] [--outage-seconds 40] [--rate 5] [--burst 10]
        [--latency-ms 40] [--seed 1] [--logs DIR]
        (--help for the rest: the gateway's quota guard settings, the Zipf exponent)

Starts, as separate processes on 127.0.0.1: the emulator (`connect-gateway emulator` with
--rate requests/second and --burst per Connect operation, every answer after --latency-ms),
a private redis-server on a free port (never the one on 6379; redis-server must be on PATH),
and for each scenario fresh servers. --clients concurrent clients send the same seeded
sequence of --requests "contact with links" queries (a contact with its previous, initial
and related contacts, agent and queue), contacts drawn Zipf(s=--zipf) over the demo
contacts, round-robin over the scenario's servers:

  gateway x2       `connect-gateway serve` twice, sharing the Redis (cache and quota guard)
  gateway x1       one such gateway, the same requests
  baseline x2      benchmarks/baseline.py twice: the same schema, every entity a direct
                   boto3 call (no DataLoader, cache or single-flight); stopped after
                   --baseline-seconds, which is plenty for its rates
  redis killed x2  as gateway x2, and the Redis is killed (SIGKILL) halfway through;
                   stopped after --outage-seconds

Every gateway has a cache namespace of its own per scenario, so each starts cold, and the
quota guard set to the emulator's quota (GATEWAY_QUOTA_RATE/BURST, when the gateway has
them). A scenario ends after its requests or --max-seconds. For each it prints queries
answered per second, p50/p99 latency, upstream calls per query and 429s (from the
emulator's /_emulator/stats, reset between scenarios), and what the clients saw: GraphQL
errors by extensions.code, HTTP failures (a query unanswered after 30 s is a ReadTimeout),
and failed queries (any error but NOT_FOUND, which the demo data's links to purged contacts
answer by design). Then the ratios, each against its target.
About three minutes at the defaults on two cores.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from fleet import (
    THROTTLED,
    Bench,
    Row,
    print_table,
    quota_environment,
)
from harness import (
    verdict,
)


def print_ratios(two: Row, one: Row, base: Row, free: Row, killed: Row, least_calls: int) -> None:
    gateways = (two, one, killed)
    floor = ", ".join(f"{row.name} {row.calls.total() / least_calls:.2f}" for row in (two, one))
    economy = free.calls_per_query / max(two.calls_per_query, 1e-9)
    throttled = base.calls_per_query / max(two.calls_per_query, 1e-9)
    useful = base.calls_per_good_answer / max(two.calls_per_good_answer, 1e-9)
    replicas = two.calls_per_query / max(one.calls_per_query, 1e-9)
    print(
        f"\nupstream calls per query, baseline / gateway x2     {economy:8.1f}"
        f"   target >= 20: {verdict(economy >= 20)}"
        f"\n  (the baseline's calls per query measured without a quota: under it, most of"
        f"\n  its queries fail on their first call, {throttled:.1f}x, and per query answered"
        f"\n  without failure it is {useful:.1f}x)"
        f"\nupstream calls per query, gateway x2 / gateway x1  {replicas:8.2f}"
        f"   target <= 1: {verdict(replicas <= 1)}"
        f"\n  upstream calls / the least possible (every entity once, none twice): {floor}"
        f"\n  (below 1: some entities were never fetched, their queries having failed)"
    )
    for what, count in (("upstream 429s", _throttled), (f"client {THROTTLED}", _client)):
        counts = ", ".join(f"{row.name} {count(row)}" for row in gateways)
        print(
            f"{what}: {counts}   target 0: {verdict(all(count(r) == 0 for r in gateways))};"
            f" {base.name} {count(base)}   target > 0: {verdict(count(base) > 0)}"
        )
    o = killed.outcome
    after, lost = o.answered - (o.killed_at or 0), sum(o.http.values())
    print(
        f"redis killed after {o.killed_at} answers: {after} answered after it, "
        f"{o.failed_after_kill} of them failed, {lost} lost (HTTP failures)"
        f"   target 0 lost: {verdict(lost == 0 and after > 0)}"
    )


def _throttled(row: Row) -> int:
    return row.throttled


def _client(row: Row) -> int:
    return row.outcome.codes[THROTTLED]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=2000, help="queries per scenario")
    parser.add_argument("--max-seconds", type=float, default=90, help="cap per scenario")
    parser.add_argument("--baseline-seconds", type=float, default=20, help="baseline's cap")
    parser.add_argument("--outage-seconds", type=float, default=60, help="redis killed's cap")
    parser.add_argument("--rate", type=float, default=5, help="quota: calls/s per operation")
    parser.add_argument("--burst", type=int, default=10, help="quota: burst per operation")
    parser.add_argument("--quota-rate", type=float, help="gateway's guard (default: --rate)")
    parser.add_argument("--quota-burst", type=int, help="gateway's guard (default: --burst)")
    parser.add_argument(
        "--quota-wait-seconds",
        type=float,
        default=60,
        help="gateway's guard: how long a query may queue for Connect's quota (a cold cache "
        "under this load needs every entity once, at the quota's pace)",
    )
    parser.add_argument("--latency-ms", type=float, default=40, help="emulator latency")
    parser.add_argument("--zipf", type=float, default=1.1, help="Zipf exponent s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--logs", type=Path, help="keep the servers' logs here")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("quota.py: redis-server is not on PATH")
    # A SIGTERM unwinds like Ctrl-C does, so every child is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    began = time.monotonic()
    with ExitStack() as stack:
        logs = args.logs or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        logs.mkdir(parents=True, exist_ok=True)
        bench = Bench(args, stack, logs)
        quota = quota_environment(args)
        quota.pop("GATEWAY_QUOTA_REPLICAS", None)  # each scenario sets its own
        shown = " ".join(f"{name}={value}" for name, value in quota.items())
        print(
            f"emulator: {args.rate:g} calls/s, burst {args.burst} per operation, "
            f"{args.latency_ms:g} ms; {args.clients} clients; {args.requests} queries "
            f"(Zipf s={args.zipf:g} over {len(bench.ids)} contacts, "
            f"{len(set(bench.sequence))} distinct, seed {args.seed}); at least "
            f"{bench.least_calls} upstream calls ({bench.least_calls / args.requests:.3f} per "
            f"query) to answer them all from a cold cache\n"
            f"gateway quota guard: {shown or 'none (this gateway has no such settings)'}"
        )
        two = bench.gateway("gateway x2", 2, args.max_seconds)
        one = bench.gateway("gateway x1", 1, args.max_seconds)
        base = bench.baseline("baseline x2", 2)
        free = bench.baseline("baseline x2, no quota", 2, quota=False)
        killed = bench.gateway("redis killed x2", 2, args.outage_seconds, kill_redis=True)
    print_table([two, one, base, free, killed])
    print_ratios(two, one, base, free, killed, bench.least_calls)
    print(f"\nwall time {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
