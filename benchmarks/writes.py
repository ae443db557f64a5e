"""Writes on a live center: how many the gateway serves at Connect's write quotas, what each
costs upstream, and how soon the other replica shows it.
    .venv/bin/python benchmarks/writes.py [--seconds 30] [--writers 4] [--arrivals 1.5]
        [--kinds attributes name tag] [--contacts 40] [--replicas 2] [--time-scale 10]
        [--latency-ms 20] [--seed 1] [--logs DIR]
Starts what benchmarks/center.py starts (a private redis-server, the emulator on the wall
clock at Connect's default quotas, its contact events through a relay to the replicas,
--replicas gateways on the Redis with GATEWAY_EVENTS=on). Contacts arrive (Poisson,
--arrivals a second) while --writers desktops write for --seconds, each in a loop: a
disposition (updateContactAttributes), a name (updateContact) or a tag (tagContact) on one
of --contacts ended contacts the desks show, or on one that just arrived, through one
replica (the desks have read those contacts once before the counters start), then the
same contact read
through the next replica until the read shows the write. It prints the writes served a
second (each operation has Connect's default quota, 2/s burst 5, shared by the replicas),
the Connect calls per write (every call the emulator counted, by operation), the 429s, the
client errors, and the lag from a write's answer to its first read on the other replica
that shows it (p50/p99; the read's own time included). About a minute at the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from center import Relay, start_servers, write_keys  # type: ignore[import-not-found]
from harness import percentile, verdict  # type: ignore[import-not-found]

from gateway.emulator import DEMO_INSTANCE_ID

WRITES = {
    "attributes": (
        """mutation($id: ID!, $v: String!) { updateContactAttributes(input: {contactId: $id,
        attributes: [{key: "disposition", value: $v}]}) { contact { id } } }""",
        """query($id: ID!) { contact(contactId: $id) { attributes(keys: ["disposition"])
        { value } } }""",
        lambda contact: (contact["attributes"] or [{}])[0].get("value"),
    ),
    "name": (
        """mutation($id: ID!, $v: String!) { updateContact(input: {contactId: $id, name: $v})
        { contact { id } } }""",
        """query($id: ID!) { contact(contactId: $id) { name } }""",
        lambda contact: contact["name"],
    ),
    "tag": (
        """mutation($id: ID!, $v: String!) { tagContact(input: {contactId: $id,
        tags: [{key: "case", value: $v}]}) { contact { id } } }""",
        """query($id: ID!) { contact(contactId: $id) { tags { key value } } }""",
        lambda contact: {t["key"]: t["value"] for t in contact["tags"] or []}.get("case"),
    ),
}


class Desks:
    def __init__(self, args: argparse.Namespace, emulator: str, urls: list[str], key: str):
        self.args, self.emulator, self.urls, self.key = args, emulator, urls, key
        self.contacts: list[str] = []
        self.written = 0
        self.lags: list[float] = []
        self.latencies: list[float] = []
        self.failures: Counter[str] = Counter()
        self.messages: dict[str, str] = {}
        self.by_kind: Counter[str] = Counter()
        self._turn = itertools.count()

    async def go(self) -> float:
        async with httpx.AsyncClient(timeout=60) as self.http:
            listed = (await self.http.get(f"{self.emulator}/_emulator/contacts")).json()
            ended = [
                c["id"]
                for c in listed["contacts"]
                if c["instanceId"] == DEMO_INSTANCE_ID and c["disconnected"]
            ]
            # The contacts the desks show: the ones they write to.
            self.contacts = random.Random(self.args.seed).sample(ended, self.args.contacts)
            # The desks show them already: each read once (then the counters start).
            shown = "query($ids: [ID!]!) { contacts(contactIds: $ids) { name tags { key }"
            shown += " attributes { key } } }"
            tree = "query($id: ID!) { contact(contactId: $id) { associatedContacts { id } } }"
            for url in self.urls:
                await self._post(url, shown, {"ids": self.contacts})
            for contact in self.contacts:  # and its journey (the chain's tree)
                await self._post(self.urls[0], tree, {"id": contact})
            await self.http.post(f"{self.emulator}/_emulator/reset")
            started = time.monotonic()
            ends = started + self.args.seconds
            rng = random.Random(self.args.seed)
            await asyncio.gather(
                self.arrivals(rng, ends),
                *(self.desk(random.Random(f"{self.args.seed}:{n}"), ends)
                  for n in range(self.args.writers)),
            )  # fmt: skip
            return time.monotonic() - started

    async def arrivals(self, rng: random.Random, ends: float) -> None:
        due = time.monotonic()
        while True:
            due += rng.expovariate(self.args.arrivals)
            if due >= ends:
                return
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            body = {
                "channel": rng.choice(["VOICE", "CHAT", "TASK"]),
                "instanceId": DEMO_INSTANCE_ID,
            }
            made = await self.http.post(f"{self.emulator}/_emulator/contacts", json=body)
            self.contacts.append(made.json()["id"])

    async def desk(self, rng: random.Random, ends: float) -> None:
        while time.monotonic() < ends:
            kind = rng.choice(self.args.kinds)
            mutation, read, value_of = WRITES[kind]
            contact, value = rng.choice(self.contacts), uuid.uuid4().hex[:12]
            turn = next(self._turn)
            writer, reader = (self.urls[(turn + i) % len(self.urls)] for i in (0, 1))
            sent = time.monotonic()
            answer = await self._post(writer, mutation, {"id": contact, "v": value})
            if answer is None:
                await asyncio.sleep(0.1)
                continue
            answered = time.monotonic()
            self.latencies.append(answered - sent)
            self.written += 1
            self.by_kind[kind] += 1
            while time.monotonic() - answered < 30:
                seen = await self._post(reader, read, {"id": contact})
                if seen is not None and value_of(seen["contact"]) == value:
                    self.lags.append(time.monotonic() - answered)
                    break
                await asyncio.sleep(0.01)
            else:
                self.failures["never seen on the other replica"] += 1

    async def _post(self, url: str, query: str, variables: dict[str, Any]) -> Any:
        try:
            reply = await self.http.post(
                f"{url}/graphql",
                json={"query": query, "variables": variables},
                headers={"x-api-key": self.key},
            )
            data = reply.json()
        except (httpx.HTTPError, ValueError) as error:
            self.failures[type(error).__name__] += 1
            return None
        if data.get("errors"):
            error = data["errors"][0]
            code = error.get("extensions", {}).get("code", "?")
            self.failures[code] += 1
            self.messages.setdefault(code, f"{error.get('path')}: {error.get('message')}")
            return None
        return data["data"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--kinds", nargs="+", choices=list(WRITES), default=list(WRITES))
    parser.add_argument("--contacts", type=int, default=40, help="ended contacts written to")
    parser.add_argument("--arrivals", type=float, default=1.5)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--time-scale", type=float, default=10)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--logs", type=Path)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("writes.py: redis-server is not on PATH")
    if args.replicas < 2:
        sys.exit("writes.py: the lag is measured on another replica: --replicas 2 or more")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with ExitStack() as stack:
        logs = args.logs or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        logs.mkdir(parents=True, exist_ok=True)
        scopes = ["contacts:read", "contacts:write", "contacts:pii", "instance:*"]
        keys = write_keys(logs / "keys.json", 1, 0, scopes)
        relay = Relay(keys.relay)
        relay.start()
        stack.callback(relay.stop)
        emulator, urls, _ = start_servers(args, stack, logs, relay, keys)
        httpx.post(f"{emulator}/_emulator/reset", timeout=10)
        print(f"running: {args.seconds:g} s, {args.writers} writers, {args.replicas} replicas")
        desks = Desks(args, emulator, urls, keys.agents[0])
        elapsed = asyncio.run(desks.go())
        stats = httpx.get(f"{emulator}/_emulator/stats", timeout=10).json()
    calls: dict[str, int] = stats["calls"]
    throttled = sum(stats.get("throttled", {}).values())
    written = desks.written
    print(f"writes served: {written} in {elapsed:.1f} s = {written / elapsed:.2f}/s "
          f"({dict(desks.by_kind)}; at most 2/s each by Connect's default quotas)")  # fmt: skip
    print(f"Connect calls: {dict(sorted(calls.items()))}")
    print(f"Connect calls per write: {sum(calls.values()) / max(1, written):.2f} "
          f"(DescribeContact {calls.get('DescribeContact', 0) / max(1, written):.2f})")  # fmt: skip
    print(f"429s from Connect: {throttled}; client errors: {dict(desks.failures) or 'none'}")
    for code, message in desks.messages.items():
        print(f"  {code}: {message}")
    p50, p99 = percentile(desks.latencies, 0.5), percentile(desks.latencies, 0.99)
    print(f"write latency: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    lag50, lag99 = percentile(desks.lags, 0.5), percentile(desks.lags, 0.99)
    print(f"lag to the other replica: p50 {lag50 * 1000:.1f} ms, p99 {lag99 * 1000:.1f} ms "
          f"({len(desks.lags)} of {written} writes seen)")  # fmt: skip
    met = written > 0 and not desks.failures and len(desks.lags) == written
    print(f"target: every write seen on the other replica, no client error: {verdict(met)}")


if __name__ == "__main__":
    main()
