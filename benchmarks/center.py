"""A live contact center against two gateway replicas: what each arriving contact costs
Connect, and how soon its desktop sees each of its state changes.

    .venv/bin/python benchmarks/center.py [--arrivals 6] [--seconds 90] [--warmup 20]
        [--poll-seconds 2] [--dashboards 10] [--dashboard-seconds 5] [--subscribe] [--last-update]
        [--neighbour-rate 0] [--time-scale 10] [--replicas 2] [--agents 100]
        [--latency-ms 20] [--seed 1] [--logs DIR]

Starts, as separate processes on 127.0.0.1: a private redis-server on a free port
(redis-server must be on PATH), the emulator at Connect's default quotas
(`connect-gateway emulator --connect-quotas --time-scale X`: on the wall clock, the demo
data ending at start-up, contacts' steps X times shorter; every answer after
--latency-ms) posting its contact events to a relay, and --replicas `connect-gateway serve`
sharing the Redis (GATEWAY_EVENTS=on, API keys, one cursor secret, the quota guard at its
defaults: Connect's quotas times GATEWAY_QUOTA_SHARE). The relay runs in this process, in
front of the replicas' /events as EventBridge's API destination is: it notes when each
event arrives, then forwards it to the replicas in turn.

Then, for --warmup and --seconds more (only the latter is measured): contacts arrive
(`POST /_emulator/contacts`, Poisson at --arrivals a second, channels drawn at random,
seeded), and the emulator moves each on (QUEUED, CONNECTED_TO_AGENT, DISCONNECTED,
COMPLETED). Each new contact gets a desktop, signed in as one of --agents agents (an API
key each): it polls `contact(contactId)` with the state fields events carry (with --last-update,
lastUpdateTimestamp too, which none carries) every --poll-seconds (the
first poll at a random moment of the first interval), through the replicas in turn, until
it sees the contact disconnected; with --subscribe it holds a `contactUpdated` subscription
(graphql-transport-ws) instead. --dashboards supervisors (a key each) poll `searchContacts`
over "the last hour" by their own clock (each off by up to a second), 25 a page, every
--dashboard-seconds. A neighbour (--neighbour-rate R, as a contact flow's Lambda would)
calls DescribeContact R times a second with boto3 straight on the emulator, botocore's
retries off, on the newest contacts.

It prints, for the measured seconds: arrivals; the gateway's upstream calls per operation
(the emulator's /_emulator/stats less the neighbour's own), per arriving contact and per
second, and their 429s; the desktops' and dashboards' queries, q/s, p50/p99 latency,
answers flagged stale, answers with errors and the errors by extensions.code (HTTP failures
by status or exception), and what the dashboards' last hour held; freshness: for each
QUEUED, CONNECTED_TO_AGENT and DISCONNECTED event, from the relay receiving it to its
desktop first seeing that state (the member non-null), by state: events judged (those of
the last --poll-seconds + 5 s are not), never seen (counted infinite), seen early (before
the relay had the event: counted 0), p50, p99, max; how many desktops read their contact
before its INITIATED event reached the relay (a gateway without the event loads it from
Connect); the events' path (the emulator's counters, the replicas' answers to the relay,
its forwarding time); each process's CPU seconds; the neighbour's calls and the fraction
throttled. Then the issue's targets, met or NOT met, naming what this run does differently
from their conditions.
About two minutes at the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import json
import math
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import uvicorn
import websockets
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from harness import (
    BIN,
    Child,
    answers,
    base_environment,
    free_port,
    percentile,
    ready,
    rss_mib,
    verdict,
)
from harness import redis_answers as redis_ready
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from websockets.typing import Subprotocol

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.http.auth.keys import new_key

# The state, as events carry it. Not lastUpdateTimestamp: no event carries it (Connect
# updates it for changes no event announces), so a desktop asking it costs a DescribeContact
# at each of the contact's steps (--last-update measures that).
STATE = """
  id initiationTimestamp disconnectTimestamp
  agentInfo { id connectedToAgentTimestamp } queueInfo { id enqueueTimestamp }
"""
DESKTOP = f"query Desktop($id: ID!) {{ contact(contactId: $id) {{ {STATE} }} }}"
SUBSCRIPTION = f"subscription Desktop($id: ID!) {{ contactUpdated(contactId: $id) {{ {STATE} }} }}"
DASHBOARD = """query LastHour($from: DateTime!, $to: DateTime!) {
  searchContacts(timeRange: {type: INITIATION_TIMESTAMP, startTime: $from, endTime: $to},
                 first: 25) {
    totalCount
    edges { node { id channel initiationMethod initiationTimestamp disconnectTimestamp
                   queueInfo { id enqueueTimestamp } agentInfo { id connectedToAgentTimestamp } } }
  }
}"""
CHANNELS = {"VOICE": 0.5, "CHAT": 0.3, "EMAIL": 0.1, "TASK": 0.1}
# A state event, and how a desktop tells it has happened: that member is no longer null.
STATES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "QUEUED": lambda c: (c.get("queueInfo") or {}).get("enqueueTimestamp"),
    "CONNECTED_TO_AGENT": lambda c: (c.get("agentInfo") or {}).get("connectedToAgentTimestamp"),
    "DISCONNECTED": lambda c: c.get("disconnectTimestamp"),
}
THROTTLING = {"ThrottlingException", "TooManyRequestsException"}
SCOPES = ["contacts:read", "instance:*"]


# -- credentials, the relay, the neighbour ------------------------------------------------


@dataclass
class Keys:
    relay: str
    agents: list[str]
    dashboards: list[str]


def write_keys(
    path: Path, agents: int, dashboards: int, scopes: Sequence[str] = tuple(SCOPES)
) -> Keys:
    """A keys file: one key for the relay (events:write), one per agent and dashboard
    (`scopes`)."""
    entries, made = [], {}
    names = ["relay"] + [f"agent-{n}" for n in range(agents)]
    names += [f"supervisor-{n}" for n in range(dashboards)]
    for name in names:
        key, entry = new_key(name, ["events:write"] if name == "relay" else list(scopes))
        made[name] = key
        entries.append(entry)
    path.write_text(json.dumps({"keys": entries}))
    return Keys(
        made["relay"],
        [made[f"agent-{n}"] for n in range(agents)],
        [made[f"supervisor-{n}"] for n in range(dashboards)],
    )


class Relay:
    """Between the emulator and the replicas' /events, as an EventBridge API destination
    is: notes when each (contact, event type) first arrives, then forwards the event to
    the replicas in turn and answers what the replica answered. Its own thread and loop."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.targets: list[str] = []
        self.arrived: dict[tuple[str, str], float] = {}
        self.forwarded: list[tuple[float, float]] = []  # (arrived, seconds to the answer)
        self.answers: Counter[str] = Counter()
        self._turn = itertools.count()
        self._http: httpx.AsyncClient | None = None
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        app = Starlette(
            routes=[Route("/events", self.events, methods=["POST"])], lifespan=self._lifespan
        )
        config = uvicorn.Config(app, log_level="warning", access_log=False, loop="asyncio")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the relay did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=10) as self._http:
            yield

    async def events(self, request: Request) -> Response:
        body = await request.body()
        arrived = time.monotonic()
        self._note(body, arrived)
        if not self.targets or self._http is None:
            return Response(status_code=503)
        target = self.targets[next(self._turn) % len(self.targets)]
        headers = {"content-type": "application/json", "x-api-key": self.key}
        try:
            answer = await self._http.post(f"{target}/events", content=body, headers=headers)
        except httpx.HTTPError as error:
            self.answers[type(error).__name__] += 1
            return Response(status_code=502)
        self.forwarded.append((arrived, time.monotonic() - arrived))
        self.answers[str(answer.status_code)] += 1
        return Response(answer.content, answer.status_code, media_type="application/json")

    def _note(self, body: bytes, arrived: float) -> None:
        try:
            events = json.loads(body)
        except ValueError:
            return
        for event in events if isinstance(events, list) else [events]:
            detail = event.get("detail") if isinstance(event, dict) else None
            if not isinstance(detail, dict):
                continue
            key = (str(detail.get("contactId")), str(detail.get("eventType")))
            self.arrived.setdefault(key, arrived)


class Neighbour:
    """Another caller in the account (a contact flow's Lambda): DescribeContact `rate`
    times a second with boto3 on the emulator, botocore's retries off, each call counted."""

    def __init__(self, emulator_url: str, rate: float, newest: list[str], seed: int) -> None:
        self.rate, self.newest = rate, newest
        self.calls = self.throttled = 0
        self.errors: Counter[str] = Counter()
        self.lock = threading.Lock()
        self._stopping = threading.Event()
        self._rng = random.Random(f"{seed}:neighbour")
        self._client = boto3.client(
            "connect", endpoint_url=emulator_url, region_name="us-east-1",
            aws_access_key_id="emulator", aws_secret_access_key="emulator",
            config=Config(retries={"total_max_attempts": 1}),
        )  # fmt: skip
        self._thread = threading.Thread(target=self._run, name="neighbour", daemon=True)

    def start(self) -> None:
        if self.rate > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        due = time.monotonic()
        while not self._stopping.wait(max(0.0, due - time.monotonic())):
            due = max(due + 1 / self.rate, time.monotonic() - 1)  # never a burst to catch up
            if self.newest:
                with self.lock:
                    self._call(self._rng.choice(self.newest[-20:]))

    def _call(self, contact_id: str) -> None:
        try:
            self._client.describe_contact(InstanceId=DEMO_INSTANCE_ID, ContactId=contact_id)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "?")
            self.throttled += code in THROTTLING
            self.errors[code] += code not in THROTTLING
        except BotoCoreError as error:  # no answer: the emulator did not count it either
            self.errors[type(error).__name__] += 1
            return
        self.calls += 1


# -- what the clients saw -----------------------------------------------------------------


@dataclass
class Asked:
    started: float
    latency: float | None  # None: no HTTP answer with a body
    codes: tuple[str, ...]  # the answer's errors' extensions.code; an HTTP failure's kind
    stale: bool = False


@dataclass
class Snapshot:
    at: float
    calls: Counter[str]
    throttled: Counter[str]
    events: Counter[str]
    neighbour_calls: int
    neighbour_throttled: int
    cpu: dict[str, float]
    rss: dict[str, float]  # MiB, the replicas'


@dataclass
class Run:
    asked: dict[str, list[Asked]] = field(default_factory=lambda: {"desktop": [], "dashboard": []})
    arrivals: list[tuple[float, str]] = field(default_factory=list)  # (moment, contact ID)
    seen: dict[str, dict[str, float]] = field(default_factory=dict)  # contact -> state -> t
    first_read: dict[str, float] = field(default_factory=dict)  # contact -> its desktop's
    pushes: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # arrivals refused, crashes
    found: list[float] = field(default_factory=list)  # each dashboard answer's totalCount
    before: Snapshot | None = None
    middle: Snapshot | None = None
    after: Snapshot | None = None


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (its own threads; children not included)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the center ---------------------------------------------------------------------------


class Center:
    def __init__(
        self,
        args: argparse.Namespace,
        emulator_url: str,
        urls: list[str],
        keys: Keys,
        processes: dict[str, int],
        neighbour: Neighbour,
    ) -> None:
        self.args, self.emulator_url, self.urls, self.keys = args, emulator_url, urls, keys
        self.processes, self.neighbour = processes, neighbour
        self.run_ = Run()
        self.rng = random.Random(args.seed)
        self.ends = math.inf
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None

    async def run(self) -> Run:
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
        async with httpx.AsyncClient(timeout=30, limits=limits) as self._http:
            began = time.monotonic()
            self.ends = began + self.args.warmup + self.args.seconds
            self._spawn(self.arrivals())
            for n in range(self.args.dashboards):
                self._spawn(self.dashboard(n, began))
            await asyncio.sleep(self.args.warmup)
            self.run_.before = await asyncio.to_thread(self.snapshot)
            await asyncio.sleep(self.args.seconds / 2)
            self.run_.middle = await asyncio.to_thread(self.snapshot)
            await asyncio.sleep(max(0.0, self.ends - time.monotonic()))
            self.run_.after = await asyncio.to_thread(self.snapshot)
            pending: set[asyncio.Task[None]] = set()
            if self._tasks:  # those in flight at the end finish, or are cancelled
                _, pending = await asyncio.wait(self._tasks, timeout=10)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        return self.run_

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.run_.failures[f"crash {task.exception()!r}"] += 1

    def snapshot(self) -> Snapshot:
        """The emulator's counters, the neighbour's and every process's CPU, at one moment
        (the neighbour waits meanwhile, so its calls are on the right side of it)."""
        with self.neighbour.lock:
            stats = httpx.get(f"{self.emulator_url}/_emulator/stats", timeout=10).json()
            cpu = {name: cpu_seconds(pid) for name, pid in self.processes.items()}
            usage = resource.getrusage(resource.RUSAGE_SELF)
            cpu["this benchmark"] = usage.ru_utime + usage.ru_stime
            rss = {n: rss_mib(pid) for n, pid in self.processes.items() if "replica" in n}
            return Snapshot(
                time.monotonic(), Counter(stats["calls"]), Counter(stats["throttled"]),
                Counter(stats.get("events", {})), self.neighbour.calls,
                self.neighbour.throttled, cpu, rss,
            )  # fmt: skip

    async def arrivals(self) -> None:
        rng = random.Random(f"{self.args.seed}:arrivals")
        due = time.monotonic()
        for n in itertools.count():
            due += rng.expovariate(self.args.arrivals)
            if due >= self.ends:
                return
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            channel = rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0]
            self._spawn(self.arrive(n, channel))

    async def arrive(self, n: int, channel: str) -> None:
        assert self._http is not None
        body = {"channel": channel, "instanceId": DEMO_INSTANCE_ID}
        try:
            answer = await self._http.post(f"{self.emulator_url}/_emulator/contacts", json=body)
            answer.raise_for_status()
            contact_id = answer.json()["id"]
        except (httpx.HTTPError, ValueError, KeyError) as error:
            self.run_.failures[f"arrival {type(error).__name__}"] += 1
            return
        self.run_.arrivals.append((time.monotonic(), contact_id))
        self.neighbour.newest.append(contact_id)
        self.run_.seen[contact_id] = {}
        url = self.urls[n % len(self.urls)]
        key = self.keys.agents[n % len(self.keys.agents)]
        if self.args.subscribe:
            await self.subscriber(contact_id, url, key)
        else:
            await self.desktop(contact_id, url, key)

    def _note(self, contact_id: str, contact: dict[str, Any] | None) -> bool:
        """Notes the states `contact` shows; True once it is disconnected."""
        seen, now = self.run_.seen[contact_id], time.monotonic()
        for state, shows in STATES.items():
            if contact and shows(contact):
                seen.setdefault(state, now)
        return "DISCONNECTED" in seen

    async def desktop(self, contact_id: str, url: str, key: str) -> None:
        poll = self.args.poll_seconds
        first = time.monotonic() + self.rng.uniform(0, poll)
        query = DESKTOP.replace("disconnectTimestamp", "disconnectTimestamp lastUpdateTimestamp")
        query = query if self.args.last_update else DESKTOP
        body = {"query": query, "variables": {"id": contact_id}, "operationName": "Desktop"}
        slot = 0
        while (due := first + slot * poll) < self.ends:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            self.run_.first_read.setdefault(contact_id, time.monotonic())
            data = await self.ask("desktop", url, key, body)
            if self._note(contact_id, (data or {}).get("contact")):
                return
            slot = max(slot + 1, math.ceil((time.monotonic() - first) / poll))

    async def subscriber(self, contact_id: str, url: str, key: str) -> None:
        """A desktop subscribed to its contact until it is disconnected; `latency` is from
        connecting to the first push."""
        asked = Asked(time.monotonic(), None, ())
        self.run_.first_read[contact_id] = asked.started
        self.run_.asked["desktop"].append(asked)
        ws = url.replace("http://", "ws://", 1) + "/graphql"
        codes: list[str] = []
        try:
            async with (
                asyncio.timeout(max(0.0, self.ends - time.monotonic())),
                websockets.connect(ws, subprotocols=[Subprotocol("graphql-transport-ws")]) as conn,
            ):
                await _send(conn, "connection_init", payload={"X-API-Key": key})
                variables = {"id": contact_id}
                await _send(
                    conn,
                    "subscribe",
                    id="1",
                    payload={"query": SUBSCRIPTION, "variables": variables},
                )
                if not await self._follow(conn, contact_id, asked, codes):
                    codes.append("ended before DISCONNECTED")
        except TimeoutError:
            pass  # the run ended first
        except (OSError, websockets.WebSocketException) as error:
            codes.append(type(error).__name__)
        asked.codes = tuple(codes)

    async def _follow(self, conn: Any, contact_id: str, asked: Asked, codes: list[str]) -> bool:
        """Reads pushes until the contact is disconnected (True) or the server ends it."""
        async for raw in conn:
            message = json.loads(raw)
            kind, payload = message.get("type"), message.get("payload")
            if kind == "ping":
                await _send(conn, "pong")
            elif kind == "error":
                codes += [_code(error) for error in payload or [{}]]
                return False
            elif kind == "complete":
                return False
            elif kind == "next":
                self.run_.pushes += 1
                if asked.latency is None:
                    asked.latency = time.monotonic() - asked.started
                codes += [_code(error) for error in payload.get("errors") or []]
                if self._note(contact_id, (payload.get("data") or {}).get("contactUpdated")):
                    await _send(conn, "complete", id="1")
                    return True
        return False

    async def dashboard(self, n: int, began: float) -> None:
        rng = random.Random(f"{self.args.seed}:dashboard:{n}")
        every, skew = self.args.dashboard_seconds, timedelta(seconds=rng.uniform(-1, 1))
        url, key = self.urls[n % len(self.urls)], self.keys.dashboards[n]
        first = began + rng.uniform(0, every)
        slot = 0
        while (due := first + slot * every) < self.ends:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            now = (datetime.now(UTC) + skew).replace(microsecond=0)
            window = {"from": _iso(now - timedelta(hours=1)), "to": _iso(now)}
            body = {"query": DASHBOARD, "variables": window, "operationName": "LastHour"}
            data = await self.ask("dashboard", url, key, body)
            if data and data.get("searchContacts"):
                self.run_.found.append(float(data["searchContacts"]["totalCount"] or 0))
            slot = max(slot + 1, math.ceil((time.monotonic() - first) / every))

    async def ask(self, kind: str, url: str, key: str, body: Any) -> dict[str, Any] | None:
        """One GraphQL query, noted; its data, if any."""
        assert self._http is not None
        started = time.monotonic()
        try:
            response = await self._http.post(
                f"{url}/graphql", json=body, headers={"x-api-key": key}
            )
            payload = response.json()
        except (httpx.HTTPError, ValueError) as error:
            self.run_.asked[kind].append(Asked(started, None, (type(error).__name__,)))
            return None
        latency = time.monotonic() - started
        codes = tuple(_code(e) for e in payload.get("errors") or [])
        if response.status_code != 200:
            codes += (f"HTTP {response.status_code}",)
        stale = bool((payload.get("extensions") or {}).get("stale"))
        self.run_.asked[kind].append(Asked(started, latency, codes, stale))
        return payload.get("data")  # type: ignore[no-any-return]


async def _send(conn: Any, kind: str, **members: Any) -> None:
    await conn.send(json.dumps({"type": kind, **members}))


def _code(error: Any) -> str:
    return str(((error or {}).get("extensions") or {}).get("code"))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- report -------------------------------------------------------------------------------


@dataclass
class Figures:
    arrivals: int
    errors: int
    throttled: int
    freshness_p99: float
    describe_per_arrival: float
    neighbour_share: float | None


def report(args: argparse.Namespace, run: Run, relay: Relay, neighbour: Neighbour) -> Figures:
    before, after = run.before, run.after
    assert before is not None
    assert after is not None
    seconds = after.at - before.at
    arrivals = sum(before.at <= t < after.at for t, _ in run.arrivals)
    mode = (
        "subscribed to contactUpdated"
        if args.subscribe
        else f"polling every {args.poll_seconds:g} s"
    )
    print(
        f"\ncenter: {arrivals} contacts arrived in {seconds:.0f} s ({arrivals / seconds:.2f}/s, "
        f"after a {args.warmup:g} s warm-up); desktops {mode}; {args.dashboards} dashboards "
        f"every {args.dashboard_seconds:g} s; {args.replicas} replicas on Redis; emulator at "
        f"Connect's quotas, time scale {args.time_scale:g}; neighbour {args.neighbour_rate:g}/s"
    )
    calls, throttled = print_upstream(before, after, arrivals)
    errors = print_clients(args, run, before.at, after.at)
    freshness = print_freshness(args, run, relay, before.at, after.at)
    share = print_processes(args, run, relay, neighbour)
    return Figures(arrivals, errors, throttled, freshness, calls / max(1, arrivals), share)


def print_upstream(before: Snapshot, after: Snapshot, arrivals: int) -> tuple[int, int]:
    """The gateway's upstream calls (the neighbour's taken out); its DescribeContact calls
    and its 429s."""
    seconds, per = after.at - before.at, max(1, arrivals)
    calls, throttled = after.calls - before.calls, after.throttled - before.throttled
    calls["DescribeContact"] -= after.neighbour_calls - before.neighbour_calls
    throttled["DescribeContact"] -= after.neighbour_throttled - before.neighbour_throttled
    calls, throttled = +calls, +throttled
    print(f"\n{'upstream (gateway only)':<28}{'calls':>7}{'/contact':>10}{'/s':>7}{'429s':>6}")
    rows = [
        (operation, calls[operation], throttled[operation])
        for operation in sorted(calls | throttled)
    ]
    for operation, count, refused in [*rows, ("all", calls.total(), throttled.total())]:
        print(f"  {operation:<26}{count:>7}{count / per:>10.3f}{count / seconds:>7.2f}{refused:>6}")
    return calls["DescribeContact"], throttled.total()


def print_processes(
    args: argparse.Namespace, run: Run, relay: Relay, neighbour: Neighbour
) -> float | None:
    """The events' path, each process's CPU, the neighbour; its throttled fraction."""
    before, after = run.before, run.after
    assert before is not None
    assert after is not None
    seconds = after.at - before.at
    events = after.events - before.events
    forwarded = [s for t, s in relay.forwarded if before.at <= t < after.at]
    print(
        f"\nevents              emulator published {events['published']}, sent "
        f"{events['sent']}, failed {events['failed']}, pending at the end "
        f"{after.events['pending']}; relay answers {dict(relay.answers)} (whole run); "
        f"relay -> /events p50 {percentile(forwarded, 0.5) * 1000:.0f} ms / p99 "
        f"{percentile(forwarded, 0.99) * 1000:.0f} ms"
    )
    used = {name: after.cpu[name] - before.cpu[name] for name in after.cpu}
    cpu = [f"{name} {spent:.1f} s ({spent / seconds:.0%})" for name, spent in used.items()]
    print(f"CPU seconds         {', '.join(cpu)} (% of one core)")
    middle = run.middle or before
    rss = [
        f"{name} {before.rss[name]:.0f} -> {middle.rss[name]:.0f} -> {after.rss[name]:.0f} MiB "
        f"(second half {100 * (after.rss[name] - middle.rss[name]) / middle.rss[name]:+.1f} %)"
        for name in after.rss
    ]
    print(f"RSS                 {', '.join(rss)}")
    if run.failures:
        print(f"harness failures    {dict(run.failures)}")
    if args.neighbour_rate <= 0:
        return None
    calls = after.neighbour_calls - before.neighbour_calls
    throttled = after.neighbour_throttled - before.neighbour_throttled
    share = throttled / max(1, calls)
    print(
        f"neighbour           {calls} DescribeContact ({calls / seconds:.2f}/s), {throttled} "
        f"throttled ({share:.1%}); other errors (whole run) {dict(neighbour.errors) or '-'}"
    )
    return share


def print_clients(args: argparse.Namespace, run: Run, start: float, end: float) -> int:
    """The clients' table; the number of answers with an error (or no answer)."""
    seconds = end - start
    print(
        f"\n{'clients':<12}{'queries':>8}{'q/s':>7}{'p50 ms':>8}{'p99 ms':>8}{'stale':>7}"
        f"{'errors':>8}  by extensions.code (HTTP failures)"
    )
    failed = 0
    for kind, asked in run.asked.items():
        window = [a for a in asked if start <= a.started < end]
        latencies = [a.latency for a in window if a.latency is not None]
        with_errors = [a for a in window if a.codes or a.latency is None]
        failed += len(with_errors)
        codes = Counter(code for a in window for code in a.codes)
        # A subscriber's latency: from connecting to the first push.
        label = "subscriber" if kind == "desktop" and args.subscribe else kind
        print(
            f"{label:<12}{len(window):>8}{len(window) / seconds:>7.1f}"
            f"{percentile(latencies, 0.5) * 1000:>8.0f}{percentile(latencies, 0.99) * 1000:>8.0f}"
            f"{sum(a.stale for a in window):>7}{len(with_errors):>8}  "
            + (" ".join(f"{c}={n}" for c, n in sorted(codes.items())) or "-")
        )
    if args.subscribe:
        print(f"{'':<12}{run.pushes} pushes (whole run)")
    if run.found:
        print(
            f"{'':<12}the dashboards' last hour held {min(run.found):.0f} to {max(run.found):.0f} "
            f"contacts (totalCount, whole run; median {percentile(run.found, 0.5):.0f})"
        )
    return failed


def print_freshness(
    args: argparse.Namespace, run: Run, relay: Relay, start: float, end: float
) -> float:
    """Freshness per state; the p99 over every state (inf when too many were never seen)."""
    grace = (0 if args.subscribe else args.poll_seconds) + 5
    print(
        f"\nfreshness: relay received the event -> its desktop saw the state "
        f"(events up to {end - start - grace:.0f} s into the window)"
    )
    print(
        f"  {'state':<20}{'events':>7}{'never':>7}{'early':>7}{'p50 s':>8}{'p99 s':>8}{'max s':>8}"
    )
    everything: list[float] = []
    for state in STATES:
        delays = []
        for (contact_id, event), arrived in list(relay.arrived.items()):
            if event != state or contact_id not in run.seen or not start <= arrived < end - grace:
                continue
            seen = run.seen[contact_id].get(state)
            delays.append(math.inf if seen is None else seen - arrived)
        everything += delays
        _freshness_row(state, delays)
    _freshness_row("all", everything)
    reads = [(c, t) for c, t in run.first_read.items() if start <= t < end]
    early = sum(t < relay.arrived.get((c, "INITIATED"), math.inf) for c, t in reads)
    print(
        f"  desktops whose first read came before the relay had the contact's INITIATED "
        f"event: {early} of {len(reads)}"
    )
    return percentile([max(0.0, d) for d in everything], 0.99)


def _freshness_row(name: str, delays: list[float]) -> None:
    never = sum(d == math.inf for d in delays)
    early = sum(d < 0 for d in delays)
    kept = [max(0.0, d) for d in delays]
    shown = [percentile(kept, q) for q in (0.5, 0.99)] + [max(kept, default=math.nan)]
    print(
        f"  {name:<20}{len(delays):>7}{never:>7}{early:>7}" + "".join(f"{v:>8.2f}" for v in shown)
    )


TARGETS = {"time_scale": 10.0, "replicas": 2, "dashboards": 10, "poll_seconds": 2.0}


def print_targets(args: argparse.Namespace, figures: Figures) -> None:
    arrivals = 3.0 if args.neighbour_rate > 0 else 6.0
    stated = TARGETS | {"arrivals": arrivals, "neighbour_rate": 5.0 if args.neighbour_rate else 0.0}
    differs = [f"--{k.replace('_', '-')} {getattr(args, k):g} (stated: {v:g})"
               for k, v in stated.items() if float(getattr(args, k)) != v]  # fmt: skip
    if args.subscribe:
        differs.append("--subscribe (stated: polling)")
    print(
        f"\ntargets (Connect's default quotas, time scale 10, 2 replicas on Redis, 10 dashboards,"
        f"\n  desktops polling every 2 s, {arrivals:g} arrivals/s"
        + (", a neighbour at 5/s)" if args.neighbour_rate else ")")
        + (f"; this run differs: {', '.join(differs)}" if differs else "; this run: as stated")
    )
    rows = [
        ("answers with errors", f"{figures.errors}", "0", figures.errors == 0),
        ("upstream 429s (gateway's)", f"{figures.throttled}", "0", figures.throttled == 0),
        ("state visible to its desktop, p99", f"{figures.freshness_p99:.2f} s", "<= 3 s",
         figures.freshness_p99 <= 3),
        ("DescribeContact per arriving contact", f"{figures.describe_per_arrival:.3f}", "<= 1.2",
         figures.describe_per_arrival <= 1.2 and figures.arrivals > 0),
    ]  # fmt: skip
    if figures.neighbour_share is not None:
        share = figures.neighbour_share
        rows.append(("neighbour's calls throttled", f"{share:.1%}", "< 10 %", share < 0.1))
    for name, value, target, met in rows:
        print(f"  {name:<38}{value:>10}   target {target:<8}{verdict(met)}")


# -- processes ----------------------------------------------------------------------------


def start(stack: ExitStack, logs: Path, name: str, argv: list[str], env: dict[str, str]) -> Child:
    child = Child(name, argv, env, logs)
    stack.callback(child.stop)
    return child


def start_servers(
    args: argparse.Namespace,
    stack: ExitStack,
    logs: Path,
    relay: Relay,
    keys: Keys,
    emulator_args: Sequence[str] = (),
    gateway_env: Mapping[str, str] | None = None,
) -> tuple[str, list[str], dict[str, int]]:
    """Redis, the emulator (with `emulator_args`) and the replicas (with `gateway_env`),
    ready; their URLs and process IDs."""
    env = base_environment()
    redis_port, emulator_port = free_port(), free_port()
    redis = start(stack, logs, "redis", [
        "redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no",
    ], env)  # fmt: skip
    emulator = start(stack, logs, "emulator", [
        str(BIN / "connect-gateway"), "emulator", "--port", str(emulator_port),
        "--connect-quotas", "--time-scale", str(args.time_scale),
        "--latency-ms", str(args.latency_ms), "--events-url", f"{relay.url}/events",
        "--events-api-key", keys.relay, *emulator_args,
    ], env)  # fmt: skip
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    redis.wait_until(lambda: redis_ready(redis_port))
    emulator.wait_until(lambda: answers(f"{emulator_url}/_emulator/stats"))
    env |= {
        "GATEWAY_INSTANCE_ID": DEMO_INSTANCE_ID,
        "GATEWAY_CONNECT_ENDPOINT_URL": emulator_url,
        "GATEWAY_CACHE_URL": f"redis://127.0.0.1:{redis_port}/0",
        "GATEWAY_CACHE_NAMESPACE": f"center-{uuid.uuid4().hex[:12]}",
        "GATEWAY_EVENTS": "on",
        "GATEWAY_AUTH": "api-key",
        "GATEWAY_API_KEYS_FILE": str(logs / "keys.json"),
        "GATEWAY_CURSOR_SECRET": secrets.token_urlsafe(32),
        "GATEWAY_QUOTA_REPLICAS": str(args.replicas),
        "GATEWAY_LOG_LEVEL": "WARNING",  # no audit lines: the CPU is for serving
        **(gateway_env or {}),
    }
    urls, replicas, processes = [], [], {}
    for n in range(1, args.replicas + 1):
        port = free_port()
        argv = [str(BIN / "connect-gateway"), "serve", "--host", "127.0.0.1", "--port", str(port)]
        replicas.append(start(stack, logs, f"replica-{n}", argv, env))
        urls.append(f"http://127.0.0.1:{port}")
    for n, (url, child) in enumerate(zip(urls, replicas, strict=True), 1):
        child.wait_until(functools.partial(ready, url))
        processes[f"replica {n}"] = child.process.pid
        warm = {"query": "{ __typename }"}
        httpx.post(f"{url}/graphql", json=warm, headers={"x-api-key": keys.agents[0]}, timeout=10)
    relay.targets = urls
    processes |= {"emulator": emulator.process.pid, "redis": redis.process.pid}
    return emulator_url, urls, processes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--arrivals", type=float, default=6, help="contacts arriving a second")
    parser.add_argument("--seconds", type=float, default=90, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=20, help="seconds before measuring")
    parser.add_argument("--poll-seconds", type=float, default=2, help="desktops' poll interval")
    parser.add_argument("--dashboards", type=int, default=10)
    parser.add_argument("--dashboard-seconds", type=float, default=5, help="their interval")
    parser.add_argument("--subscribe", action="store_true", help="desktops subscribe instead")
    parser.add_argument(
        "--last-update", action="store_true", help="desktops ask lastUpdateTimestamp too"
    )
    parser.add_argument("--neighbour-rate", type=float, default=0, help="its DescribeContact/s")
    parser.add_argument("--time-scale", type=float, default=10, help="the emulator's")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--agents", type=int, default=100, help="desktops' API keys")
    parser.add_argument("--latency-ms", type=float, default=20, help="emulator latency")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--logs", type=Path, help="keep the servers' logs here")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("center.py: redis-server is not on PATH")
    # A SIGTERM unwinds like Ctrl-C does, so every child is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with ExitStack() as stack:
        logs = args.logs or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        logs.mkdir(parents=True, exist_ok=True)
        keys = write_keys(logs / "keys.json", args.agents, args.dashboards)
        relay = Relay(keys.relay)
        relay.start()
        stack.callback(relay.stop)
        emulator_url, urls, processes = start_servers(args, stack, logs, relay, keys)
        neighbour = Neighbour(emulator_url, args.neighbour_rate, [], args.seed)
        neighbour.start()
        stack.callback(neighbour.stop)
        print(
            f"running: {args.warmup:g} s warm-up, {args.seconds:g} s measured "
            f"(logs in {args.logs or 'a temporary directory'})",
            flush=True,
        )
        center = Center(args, emulator_url, urls, keys, processes, neighbour)
        run = asyncio.run(center.run())
        neighbour.stop()
        figures = report(args, run, relay, neighbour)
        print_targets(args, figures)


if __name__ == "__main__":
    main()
