"""The shared store as a Redis Cluster against one Redis, in one run.

    .venv/bin/python benchmarks/cluster.py [--requests 600] [--clients 16] [--rate 5]
        [--burst 10] [--latency-ms 40] [--seed 1]   (--help for the rest)

Starts the emulator (with --rate/--burst per Connect operation), a private redis-server,
and a private Redis Cluster of 3 primaries with a replica each (redis-server and redis-cli
on PATH), all on free ports. Two `connect-gateway serve` replicas share one store, first
the single Redis, then the cluster (GATEWAY_CACHE_URL naming one node of it, cluster mode
detected), each with a cache namespace of its own, and answer the same seeded Zipf
sequence of "contact with links" queries (benchmarks/quota.py's). Prints, for each store:
queries answered, q/s, p50/p99, upstream calls per query, 429s and client errors; then
the ratios of the cluster to the one Redis. About a minute at the defaults.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from fleet import Bench, print_table
from harness import ROOT, verdict

sys.path.insert(0, str(ROOT))  # the test suite's cluster maker
from tests.cluster import running_cluster


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--rate", type=float, default=5)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--quota-wait-seconds", type=float, default=60)
    parser.add_argument("--latency-ms", type=float, default=40)
    parser.add_argument("--zipf", type=float, default=1.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--logs", type=Path)
    args = parser.parse_args()
    args.quota_rate = args.quota_burst = None
    args.baseline_seconds = args.outage_seconds = args.max_seconds

    with ExitStack() as stack, running_cluster() as cluster:
        logs = args.logs or Path(stack.enter_context(_temporary()))
        bench = Bench(args, stack, logs)
        print(f"{args.requests} queries, {args.clients} clients, quota {args.rate}/s")
        single = bench.gateway("one Redis x2", 2, args.max_seconds)
        clustered = bench.gateway("cluster x2", 2, args.max_seconds, cache_url=cluster.url)
    print_table([single, clustered])
    ratio = clustered.calls_per_query / max(single.calls_per_query, 1e-9)
    errors = clustered.outcome.failed
    print(
        f"\nupstream calls per query, cluster / one Redis  {ratio:6.2f}   target <= 1.05: "
        f"{verdict(ratio <= 1.05)}"
        f"\nupstream 429s on the cluster: {clustered.throttled}   target 0: "
        f"{verdict(clustered.throttled == 0)}"
        f"\nclient errors on the cluster: {errors}   target 0: {verdict(errors == 0)}"
    )


def _temporary() -> Any:
    import tempfile

    return tempfile.TemporaryDirectory(prefix="cgg-cluster-bench-")


if __name__ == "__main__":
    main()
