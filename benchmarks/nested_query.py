"""Cold and warm latency of a nested contact-with-links query, and its upstream calls.

    .venv/bin/python benchmarks/nested_query.py [--latency-ms 50] [--samples 15]

Starts the emulator (every Connect call answered after --latency-ms) and, per sample, a
fresh gateway (empty cache) on real uvicorn servers; runs the GraphiQL example query once
cold and ten times warm; prints medians and ratios measured in this one run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from gateway.core.settings import Settings
from gateway.emulator import DEMO_INSTANCE_ID, EmulatorOptions, create_emulator_app
from gateway.http.app import create_app
from gateway.http.servers import ServerThread
from gateway.http.view import EXAMPLE_QUERY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--samples", type=int, default=15)
    args = parser.parse_args()

    with ServerThread(create_emulator_app(EmulatorOptions(latency_ms=args.latency_ms))) as emu:
        http = httpx.Client(base_url=emu.url, timeout=30)
        contact_id = _deepest_contact(http)
        cold, warm, cold_calls, warm_calls = [], [], [], []
        for _ in range(args.samples):
            settings = Settings(
                instance_id=DEMO_INSTANCE_ID, auth="none", connect_endpoint_url=emu.url
            )
            with ServerThread(create_app(settings)) as gateway:
                client = httpx.Client(base_url=gateway.url, timeout=30)
                body = {"query": EXAMPLE_QUERY, "variables": {"contactId": contact_id}}
                client.post("/graphql", json={"query": "{ __typename }"})  # connection warm-up
                http.post("/_emulator/reset")
                cold.append(_timed(client, body))
                cold_calls.append(_calls(http))
                for _ in range(10):
                    warm.append(_timed(client, body))
                warm_calls.append(_calls(http) - cold_calls[-1])
                client.close()

    cold_ms, warm_ms = statistics.median(cold) * 1000, statistics.median(warm) * 1000
    floor = args.latency_ms * 2  # two dependent rounds of Connect calls at the least
    print(f"emulator latency           {args.latency_ms:.0f} ms per Connect call")
    print(f"cold query  p50            {cold_ms:.1f} ms   (p90 {_p90(cold) * 1000:.1f} ms)")
    print(f"warm query  p50            {warm_ms:.1f} ms   (p90 {_p90(warm) * 1000:.1f} ms)")
    print(f"cold / warm                {cold_ms / warm_ms:.1f}x")
    print(f"cold / two call latencies  {cold_ms / floor:.2f}  (1.00 = perfectly parallel links)")
    print(f"upstream calls, cold       {statistics.mean(cold_calls):.1f} per query")
    print(f"upstream calls, warm       {sum(warm_calls) / (10 * args.samples):.1f} per query")


def _deepest_contact(http: httpx.Client) -> str:
    contacts = http.get("/_emulator/contacts").json()["contacts"]
    by_id = {c["id"]: c for c in contacts if c["instanceId"] == DEMO_INSTANCE_ID}

    def depth(contact: dict[str, str]) -> int:
        n = 0
        while contact.get("previousContactId") in by_id and n < 50:
            contact, n = by_id[contact["previousContactId"]], n + 1
        return n

    return max(by_id.values(), key=depth)["id"]


def _timed(client: httpx.Client, body: dict[str, object]) -> float:
    start = time.perf_counter()
    response = client.post("/graphql", json=body)
    elapsed = time.perf_counter() - start
    assert "errors" not in response.json(), response.text
    return elapsed


def _calls(http: httpx.Client) -> int:
    return int(http.get("/_emulator/stats").json()["calls"].get("DescribeContact", 0))


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


if __name__ == "__main__":
    main()
