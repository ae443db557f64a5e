"""Where a warm request's time goes: the nested query of benchmarks/warm_path.py sent
straight to the gateway's ASGI app (no HTTP server, no client library), all data cached,
under cProfile; prints the time per request of each phase and the costliest functions.

    .venv/bin/python benchmarks/warm_profile.py [--requests 300] [--response-cache]
        [--top 25]

The emulator runs in-process on a thread (a uvicorn server) only to fill the cache first.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import time
from collections.abc import Callable
from typing import Any

import httpx
from warm_path import QUERY, _nested_contact

from gateway.core.settings import Settings
from gateway.emulator import DEMO_INSTANCE_ID, EmulatorOptions, create_emulator_app
from gateway.http.app import create_app
from gateway.http.servers import ServerThread

Match = Callable[[str, str], bool]

PHASES: dict[str, Match] = {
    "whole request (the ASGI app)": lambda f, n: (
        f.endswith("starlette/applications.py") and n == "__call__"
    ),
    "  response cache lookup": lambda f, n: (
        f.endswith("gateway/data/responses.py") and n in ("key", "get")
    ),
    "  parse body (http/protocol.py)": lambda f, n: (
        f.endswith("gateway/http/protocol.py") and n == "parse_http_body"
    ),
    "  execute (GatewaySchema.execute)": lambda f, n: (
        f.endswith(("gateway/api/schema.py", "strawberry/schema/schema.py")) and n == "execute"
    ),
    "    validation (cached per document)": lambda f, n: (
        f.endswith("gateway/api/documents.py") and n == "validate"
    ),
    "    execution (graphql-core's executor)": lambda f, n: (
        f.endswith("graphql/execution/executor.py") and n == "await_result"
    ),
    "      link resolvers (loaders, store)": lambda f, n: (
        f.endswith("gateway/api/contact.py") and n == "load_contact"
    ),
    "      entity store reads": lambda f, n: f.endswith("gateway/data/store.py") and n == "get",
    "  strawberry: encode JSON": lambda f, n: (
        f.endswith("strawberry/http/base.py") and n == "encode_json"
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--response-cache", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="tottime or cumulative")
    args = parser.parse_args()
    with ServerThread(create_emulator_app(EmulatorOptions())) as emulator:
        contacts = httpx.get(f"{emulator.url}/_emulator/contacts").json()["contacts"]
        body = {"query": QUERY, "variables": {"contactId": _nested_contact(contacts)}}
        options: dict[str, Any] = {
            "instance_id": DEMO_INSTANCE_ID,
            "connect_endpoint_url": emulator.url,
            "quota_rate": None,
            "auth": "none",
            "response_cache": args.response_cache,
        }
        fields = Settings.model_fields
        settings = Settings(**{k: v for k, v in options.items() if k in fields})
        profile, seconds = asyncio.run(_profiled(settings, body, args.requests))
    stats = pstats.Stats(profile)
    print(
        f"{args.requests} warm requests, {seconds / args.requests * 1e6:.0f} us of CPU each"
        " unprofiled"
    )
    print("phase (cumulative, per request, under cProfile)")
    for name, match in PHASES.items():
        print(f"  {name:<38} {_cumulative(stats, match) / args.requests * 1e6:8.0f} us")
    print()
    stats.sort_stats(args.sort).print_stats(args.top)


async def _profiled(
    settings: Settings, body: dict[str, Any], requests: int
) -> tuple[cProfile.Profile, float]:
    app = create_app(settings)
    payload = json.dumps(body).encode()
    async with app.router.lifespan_context(app) as state:

        async def request() -> None:
            await _post(app, dict(state or {}), payload)

        for _ in range(50):
            await request()
        started = time.process_time()
        for _ in range(requests):
            await request()
        seconds = time.process_time() - started
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(requests):
            await request()
        profile.disable()
    return profile, seconds


async def _post(app: Any, state: dict[str, Any], payload: bytes) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"gateway"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": state,
    }
    sent: list[dict[str, Any]] = []
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:
            await asyncio.Event().wait()
        received = True
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = sent[0]["status"]
    assert status == 200, sent


def _cumulative(stats: pstats.Stats, match: Match) -> float:
    best = 0.0
    for (file, _, name), row in stats.stats.items():  # type: ignore[attr-defined]
        if match(file, name):
            best = max(best, row[3])
    return best


if __name__ == "__main__":
    main()
