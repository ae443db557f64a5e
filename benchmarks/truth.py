"""Does the gateway tell the truth? A live center, and every sampled answer checked member
by member against what DescribeContact answered over time.

    .venv/bin/python benchmarks/truth.py [--arrivals 1.5] [--seconds 60] [--replicas 2]
        [--poll-seconds 2] [--ttl-active 15] [--duplicate 0.1] [--reorder 0.2]
        [--jitter-ms 500] [--hold-ms 2000] [--late-ms 900000] [--time-scale 10]
        [--latency-ms 20] [--seed 1] [--logs DIR]

Starts what benchmarks/center.py starts (a private redis-server, the emulator on the wall
clock at Connect's default quotas posting its contact events through a relay, --replicas
gateways on the Redis with GATEWAY_EVENTS=on, GATEWAY_TTL_ACTIVE_SECONDS=--ttl-active),
with the emulator's sender mistreating the events: --duplicate of them sent twice,
--reorder of them held back --hold-ms (later events overtake them), every one delayed up to
--jitter-ms, and EventBridge's `time` up to --late-ms after the state it tells.

Contacts arrive (Poisson, --arrivals a second, for --seconds); each gets a full desktop:
the query below (every member a desktop shows: the state, the agent's ring, accept,
after-contact work, hierarchy and device, the last update...), every --poll-seconds through
the replicas in turn, until it has seen the contact completed and 2 polls more. Then each
answer is judged against the contact's history (`GET /_emulator/history`: each version
DescribeContact answered, with the moment it began): a member is
- right: its value is DescribeContact's at some moment while the answer was in flight;
- behind: its value is DescribeContact's at an earlier moment within the member's bound
  (one its events carry: the events' delivery, --jitter-ms + --hold-ms + 2 s; any other:
  the TTL of the DescribeContact that read it, --ttl-active);
- wrong: anything else (a value DescribeContact never had, or had too long ago).

It prints the answers and comparisons judged, the fraction of answers with a wrong member,
the wrong and behind counts by member (with the longest lag behind), DescribeContact per
arriving contact (the emulator's counters), and whether "0 wrong" is met. About 1.5 minutes
at the defaults.
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
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from center import Relay, start_servers, write_keys  # type: ignore[import-not-found]
from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode, parse
from harness import verdict  # type: ignore[import-not-found]

from gateway.data.sources import CARRIED
from gateway.emulator import DEMO_INSTANCE_ID

DESKTOP = """query Desktop($id: ID!) { contact(contactId: $id) {
  id arn channel initiationMethod initialContactId previousContactId relatedContactId
  initiationTimestamp connectedToSystemTimestamp disconnectTimestamp disconnectReason
  lastUpdateTimestamp ringStartTimestamp scheduledTimestamp
  queueInfo { id enqueueTimestamp }
  agentInfo {
    id acceptedByAgentTimestamp connectedToAgentTimestamp agentPauseDurationInSeconds
    afterContactWorkStartTimestamp afterContactWorkEndTimestamp afterContactWorkDuration
    voiceEnhancementMode hierarchyGroups { level1 { arn } level2 { arn } }
    deviceInfo { platformName operatingSystem }
  }
  customerVoiceActivity { greetingStartTimestamp greetingEndTimestamp }
} }"""

CHANNELS = ("VOICE", "CHAT", "TASK", "EMAIL")


def _asked(selection: SelectionSetNode, prefix: str = "") -> list[str]:
    paths = []
    for node in selection.selections:
        assert isinstance(node, FieldNode)
        path = f"{prefix}{node.name.value}"
        if node.selection_set is None:
            paths.append(path)
        else:
            paths += _asked(node.selection_set, f"{path}.")
    return paths


_OPERATION = parse(DESKTOP).definitions[0]
assert isinstance(_OPERATION, OperationDefinitionNode)
_CONTACT = _OPERATION.selection_set.selections[0]
assert isinstance(_CONTACT, FieldNode)
assert _CONTACT.selection_set is not None
ASKED = _asked(_CONTACT.selection_set)
"""The members a desktop asks, by their paths (agentInfo.hierarchyGroups.level1.arn)."""


@dataclass
class Answer:
    contact_id: str
    sent: float  # wall clock, as the emulator's history
    received: float
    contact: dict[str, Any]


@dataclass
class Run:
    arrivals: list[str] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)


class Desktops:
    def __init__(self, args: argparse.Namespace, emulator: str, urls: list[str], key: str):
        self.args, self.emulator, self.urls, self.key = args, emulator, urls, key
        self.run = Run()
        self._turn = itertools.count()

    async def go(self) -> Run:
        async with httpx.AsyncClient(timeout=30) as self.http:
            rng = random.Random(f"{self.args.seed}:arrivals")
            ends = time.monotonic() + self.args.seconds
            tasks = []
            due = time.monotonic()
            while True:
                due += rng.expovariate(self.args.arrivals)
                if due >= ends:
                    break
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                tasks.append(asyncio.create_task(self.arrive(rng.choice(CHANNELS))))
            await asyncio.gather(*tasks)
        return self.run

    async def arrive(self, channel: str) -> None:
        body = {"channel": channel, "instanceId": DEMO_INSTANCE_ID}
        answer = await self.http.post(f"{self.emulator}/_emulator/contacts", json=body)
        contact_id = answer.json()["id"]
        self.run.arrivals.append(contact_id)
        await asyncio.sleep(random.uniform(0, self.args.poll_seconds))
        after_completed, deadline = 0, time.monotonic() + 240
        while after_completed < 3 and time.monotonic() < deadline:
            url = self.urls[next(self._turn) % len(self.urls)]
            sent = time.time()
            try:
                reply = await self.http.post(
                    f"{url}/graphql",
                    json={"query": DESKTOP, "variables": {"id": contact_id}},
                    headers={"x-api-key": self.key},
                )
                data = reply.json()
            except (httpx.HTTPError, ValueError) as error:
                self.run.failures[type(error).__name__] += 1
                data = {}
            received = time.time()
            if data.get("errors"):
                self.run.failures[data["errors"][0].get("extensions", {}).get("code", "?")] += 1
            contact = (data.get("data") or {}).get("contact")
            if contact:
                self.run.answers.append(Answer(contact_id, sent, received, contact))
                agent = contact.get("agentInfo") or {}
                ended = contact.get("disconnectTimestamp") and (
                    not agent.get("connectedToAgentTimestamp")
                    or agent.get("afterContactWorkEndTimestamp")
                )
                after_completed += 1 if ended else 0
            await asyncio.sleep(self.args.poll_seconds)


def leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """A JSON value's members by their paths (camelCase), timestamps as datetimes."""
    out: dict[str, Any] = {}
    for name, item in value.items():
        path = f"{prefix}{name[0].lower()}{name[1:]}"
        if isinstance(item, dict):
            out |= leaves(item, f"{path}.")
        elif item is not None:
            out[path] = _moment(item) if name.lower().endswith("timestamp") else item
    return out


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def carried(path: str) -> bool:
    top, _, sub = path.partition(".")
    name = top[0].upper() + top[1:]
    if name not in CARRIED:
        return False
    only = CARRIED[name]
    return only is None or sub.split(".")[0][:1].upper() + sub.split(".")[0][1:] in only


def judge(
    answers: list[Answer], histories: dict[str, list[dict[str, Any]]], bounds: tuple[float, float]
) -> tuple[int, int, Counter[str], Counter[str], dict[str, float]]:
    """(answers with a wrong member, comparisons, wrong by member, behind by member,
    the longest lag behind by member)."""
    events_bound, read_bound = bounds
    wrong_answers, comparisons = 0, 0
    wrong, behind, lag = Counter[str](), Counter[str](), defaultdict[str, float](float)
    for answer in answers:
        versions = [(v["at"], leaves(v["contact"])) for v in histories[answer.contact_id]]
        served = leaves(answer.contact)
        bad = False
        for path in ASKED:
            comparisons += 1
            value = served.get(path)
            bound = events_bound if carried(path) else read_bound
            outcome, late = _place(value, path, versions, answer, bound)
            if outcome == "wrong":
                wrong[path] += 1
                bad = True
            elif outcome == "behind":
                behind[path] += 1
                lag[path] = max(lag[path], late)
        wrong_answers += bad
    return wrong_answers, comparisons, wrong, behind, dict(lag)


def _place(
    value: Any,
    path: str,
    versions: list[tuple[float, dict[str, Any]]],
    answer: Answer,
    bound: float,
) -> tuple[str, float]:
    """right, behind (and by how long) or wrong."""
    latest_match = None
    for n, (began, members) in enumerate(versions):
        ended = versions[n + 1][0] if n + 1 < len(versions) else float("inf")
        if began > answer.received:
            break
        if members.get(path) == value:
            latest_match = ended
    if latest_match is None:
        return "wrong", 0.0
    if latest_match >= answer.sent:
        return "right", 0.0
    late = answer.sent - latest_match
    return ("behind", late) if late <= bound else ("wrong", late)


async def histories_of(emulator: str, contact_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    async with httpx.AsyncClient(timeout=30) as http:
        out = {}
        for contact_id in contact_ids:
            reply = await http.get(
                f"{emulator}/_emulator/history", params={"contactId": contact_id}
            )
            out[contact_id] = reply.json()["versions"]
        return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--arrivals", type=float, default=1.5)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--poll-seconds", type=float, default=2)
    parser.add_argument("--ttl-active", type=float, default=15, help="GATEWAY_TTL_ACTIVE_SECONDS")
    parser.add_argument("--duplicate", type=float, default=0.1)
    parser.add_argument("--reorder", type=float, default=0.2)
    parser.add_argument("--jitter-ms", type=float, default=500)
    parser.add_argument("--hold-ms", type=float, default=2000)
    parser.add_argument("--late-ms", type=float, default=900_000)
    parser.add_argument("--time-scale", type=float, default=10)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--logs", type=Path)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("truth.py: redis-server is not on PATH")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with ExitStack() as stack:
        logs = args.logs or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        logs.mkdir(parents=True, exist_ok=True)
        keys = write_keys(logs / "keys.json", 1, 0)
        relay = Relay(keys.relay)
        relay.start()
        stack.callback(relay.stop)
        knobs = [
            "--events-duplicate", str(args.duplicate), "--events-reorder", str(args.reorder),
            "--events-jitter-ms", str(args.jitter_ms), "--events-hold-ms", str(args.hold_ms),
            "--events-late-ms", str(args.late_ms),
        ]  # fmt: skip
        env = {"GATEWAY_TTL_ACTIVE_SECONDS": str(args.ttl_active)}
        emulator, urls, _ = start_servers(args, stack, logs, relay, keys, knobs, env)
        httpx.post(f"{emulator}/_emulator/reset", timeout=10)
        print(f"running: {args.seconds:g} s of arrivals, then until each contact completed")
        run = asyncio.run(Desktops(args, emulator, urls, keys.agents[0]).go())
        stats = httpx.get(f"{emulator}/_emulator/stats", timeout=10).json()
        histories = asyncio.run(histories_of(emulator, run.arrivals))
    bounds = ((args.jitter_ms + args.hold_ms) / 1000 + 2.0, args.ttl_active)
    bad, comparisons, wrong, behind, lag = judge(run.answers, histories, bounds)
    arrivals, answers = len(run.arrivals), len(run.answers)
    describes = stats["calls"].get("DescribeContact", 0)
    print(f"arrivals: {arrivals}; answers judged: {answers}; comparisons: {comparisons}")
    print(f"events: {stats.get('events', {})}")
    print(f"client errors: {dict(run.failures) or 'none'}")
    print(
        f"bounds: a member events carry {bounds[0]:g} s (delivery), any other {bounds[1]:g} s "
        "(the TTL of the DescribeContact that read it)"
    )
    print(f"answers with a wrong member: {bad} of {answers} ({bad / max(1, answers):.1%})")
    for path, count in wrong.most_common():
        print(f"  wrong  {path}: {count}")
    for path, count in behind.most_common():
        print(f"  behind {path}: {count} (at most {lag[path]:.1f} s)")
    print(f"DescribeContact: {describes} ({describes / max(1, arrivals):.2f} per arrival)")
    print(f"target: 0 members wrong beyond the bounds: {verdict(bad == 0 and answers > 0)}")


if __name__ == "__main__":
    main()
