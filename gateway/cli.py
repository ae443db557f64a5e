"""`connect-gateway serve | emulator | export-schema | api-key`."""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib.util
import json
import logging
import os
import secrets
import shutil
import socket
import sys
import tempfile
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import uvicorn
from pydantic import ValidationError

from gateway import __version__
from gateway.core.settings import Settings
from gateway.observability.logs import configure

__all__ = ["main"]

log = logging.getLogger("gateway")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command: Any = args.command
    return int(command(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connect-gateway", description="A GraphQL gateway over Amazon Connect contact data."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve GraphQL (the demo emulator if unconfigured)")
    serve.add_argument("--host", help="interface to bind (GATEWAY_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (GATEWAY_PORT, default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (GATEWAY_WORKERS)")
    serve.set_defaults(command=serve_command)

    emulator = commands.add_parser("emulator", help="run the local Amazon Connect emulator")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8001)
    emulator.add_argument("--latency-ms", type=float, default=0.0, help="delay every answer")
    emulator.add_argument("--rate", type=float, help="requests/second per operation (429 past)")
    emulator.add_argument("--burst", type=int, help="token bucket size per operation")
    emulator.add_argument(
        "--clock",
        choices=("wall", "fixed"),
        default="wall",
        help="Connect's clock: the real time, the demo data ending at start-up (default), or "
        "fixed at the seeded 2026-11-02T09:00Z, nothing moving",
    )
    emulator.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="active contacts' steps (queue, talk, after-contact work) this many times shorter",
    )
    emulator.add_argument("--events-url", help="post contact events here, as EventBridge would")
    emulator.add_argument("--events-api-key", help="send it as X-API-Key with each event")
    emulator.add_argument("--events-drop", type=float, default=0.0, help="chance to drop one")
    emulator.add_argument(
        "--events-duplicate", type=float, default=0.0, help="chance to send one twice"
    )
    emulator.add_argument("--events-delay-ms", type=float, default=0.0, help="delay each event")
    emulator.add_argument(
        "--events-jitter-ms", type=float, default=0.0, help="plus a random delay up to this"
    )
    emulator.add_argument(
        "--events-reorder", type=float, default=0.0, help="chance to hold one back"
    )
    emulator.add_argument(
        "--events-hold-ms", type=float, default=2000.0, help="how long one is held back"
    )
    emulator.add_argument(
        "--events-late-ms",
        type=float,
        default=0.0,
        help="EventBridge's time up to this much later than the state",
    )
    emulator.add_argument(
        "--connect-quotas",
        action="store_true",
        help="Connect's default quota per operation (others: --rate/--burst, else 2/s burst 5)",
    )
    emulator.add_argument(
        "--quota",
        action="append",
        default=[],
        metavar="OP=RATE/BURST",
        help="one operation's quota, e.g. SearchContacts=0.5/1 (repeatable)",
    )
    emulator.add_argument(
        "--max-page-size", type=int, help="answer at most this many items a page (MaxResults)"
    )
    emulator.add_argument("--region", help="its region: ARNs, events; refuse others' signatures")
    emulator.add_argument("--account-id", help="its AWS account (default: the demo's)")
    emulator.add_argument("--instance-id", help="the first instance's ID (other contacts)")
    emulator.add_argument(
        "--sts-credential-seconds",
        type=int,
        default=3600,
        help="how long AssumeRole's credentials last",
    )
    emulator.add_argument("--role-external-id", help="the ExternalId AssumeRole must be given")
    emulator.add_argument(
        "--only-assumed-roles",
        action="store_true",
        help="Connect and S3 take only credentials its AssumeRole issued",
    )
    emulator.set_defaults(command=emulator_command)

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.add_argument(
        "--federation",
        action="store_true",
        help="the Federation v2 subgraph's SDL (what _service { sdl } answers with "
        "GATEWAY_FEDERATION=on)",
    )
    export.set_defaults(command=export_schema_command)

    manifest = commands.add_parser(
        "persisted-manifest",
        help="write the Apollo persisted query manifest of a folder of operations",
    )
    manifest.add_argument(
        "--operations", default="schema/operations", help="folder of *.graphql operations"
    )
    manifest.add_argument("--output", help="file to write (default: standard output)")
    manifest.set_defaults(command=persisted_manifest_command)

    api_key = commands.add_parser(
        "api-key", help="make a new API key: prints the key, and its entry for the keys file"
    )
    api_key.add_argument("--id", required=True, help="who the key is for, e.g. dashboard")
    api_key.add_argument(
        "--scope",
        action="append",
        required=True,
        help="a scope of the key (repeat): contacts:read, contacts:pii, instance:<id>, ...",
    )
    api_key.set_defaults(command=api_key_command)
    return parser


def _settings(**flags: Any) -> Settings:
    try:
        return Settings(**{name: value for name, value in flags.items() if value is not None})
    except ValidationError as error:
        lines = [
            f"  GATEWAY_{'_'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
            for item in error.errors()
        ]
        sys.exit("connect-gateway: invalid configuration\n" + "\n".join(lines))


def serve_command(args: argparse.Namespace) -> int:
    settings = _settings(host=args.host, port=args.port, workers=args.workers)
    from gateway.http.app import file_problems

    if problems := file_problems(settings):
        # Before anything starts: a bad file stops the start-up here, with its reason.
        sys.exit("connect-gateway: invalid configuration\n" + "\n".join(f"  {p}" for p in problems))
    emulator = None
    if settings.demo or settings.default_instance is None:
        _need_emulator("serve (demo mode: GATEWAY_INSTANCE_ID is not set)")
    if settings.demo:
        # Before logging is configured: the demo notice comes first, the emulator's
        # own start-up lines not at all.
        emulator, settings = _start_demo(settings)
    configure(settings.log_level, settings.log_format)
    if settings.default_instance is None:
        settings = _emulator_instance(settings)
    try:
        if settings.workers == 1:
            from gateway.http.app import create_app

            app = create_app(settings)
            # No access log: its lines would carry query strings (GET /graphql?variables=...);
            # the audit line (logger gateway.audit) says who read what instead.
            config = uvicorn.Config(
                app,
                host=settings.host,
                port=settings.port,
                proxy_headers=True,
                loop=settings.event_loop,
                log_config=None,
                access_log=False,
                # SIGTERM: no new connections, requests in flight finish (websockets are
                # closed with 1012, "service restart"), for at most this long.
                timeout_graceful_shutdown=settings.shutdown_seconds,
            )
            server = _Server(config)
            if emulator is not None and settings.events:
                server.on_bound = functools.partial(_send_demo_events, emulator.url)
            server.run()
        else:
            # Worker processes read their settings from the environment; they sign cursors
            # with one secret (made here when none is set) so any worker takes any cursor.
            if settings.cursor_secret is None:
                settings = settings.model_copy(update={"cursor_secret": secrets.token_urlsafe(32)})
            os.environ.update(_environment(settings))
            metrics_dir = _metrics_directory()
            if emulator is not None and settings.events and settings.port:
                _send_demo_events(emulator.url, _url("127.0.0.1", settings.port))
            uvicorn.run(
                "gateway.http.app:create_app_from_env",
                factory=True,
                host=settings.host,
                port=settings.port,
                workers=settings.workers,
                proxy_headers=True,
                loop=settings.event_loop,
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=settings.shutdown_seconds,
            )
            if metrics_dir is not None:
                shutil.rmtree(metrics_dir, ignore_errors=True)
    finally:
        if emulator is not None:
            emulator.stop()
    return 0


def _metrics_directory() -> str | None:
    """A fresh directory for the workers' metrics (prometheus-client's multiprocess mode),
    unless the operator chose one; returns the one made here, to remove at exit."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    made = tempfile.mkdtemp(prefix="connect-gateway-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    return made


class _Server(uvicorn.Server):
    """Says where it serves once bound (the real port, also for --port 0); at shutdown,
    the requests it cancelled past GATEWAY_SHUTDOWN_SECONDS get to answer (uvicorn's 500)
    before the app's services close."""

    on_bound: Callable[[str], None] | None = None
    says = "serving GraphQL at {url}/graphql"

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        app_shutdown = self.lifespan.shutdown

        async def shutdown() -> None:
            # uvicorn cancels the requests still running, then shuts the app down at once:
            # a request whose cancellation takes a few turns (its fetch unwinding) would
            # never answer. A second at most.
            cancelled = [task for task in self.server_state.tasks if not task.done()]
            if cancelled:
                await asyncio.wait(cancelled, timeout=1.0)
            await app_shutdown()

        self.lifespan.shutdown = shutdown
        if self.started:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            print(f"connect-gateway: {self.says.format(url=_url(host, port))}", flush=True)
            if self.on_bound is not None:
                await asyncio.to_thread(self.on_bound, _url(host, port))


def _send_demo_events(emulator_url: str, gateway_url: str) -> None:
    """Has the demo emulator post its contact events (as EventBridge would) to this
    gateway's /events: a contact changed in the emulator (UpdateContact, or its clock moving
    an active contact on) is fresh in the gateway within a second, and `contactUpdated`
    subscriptions push it."""
    local = gateway_url.replace("://0.0.0.0:", "://127.0.0.1:").replace("://[::]:", "://[::1]:")
    request = urllib.request.Request(
        f"{emulator_url}/_emulator/events",
        data=json.dumps({"url": f"{local}/events"}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5):
        pass


EMULATOR_MISSING = (
    "connect-gateway {what}: the emulator is not installed. It is a distribution of its\n"
    "own, kept out of the production install: pip install connect-gateway-emulator (or\n"
    "set up a checkout with scripts/setup). To serve Amazon Connect, set GATEWAY_INSTANCE_ID."
)


def _need_emulator(what: str) -> None:
    """Stops with a clear message when `gateway.emulator` is not installed."""
    if importlib.util.find_spec("gateway.emulator") is None:
        sys.exit(EMULATOR_MISSING.format(what=what))


def _start_demo(settings: Settings) -> tuple[Any, Settings]:
    from gateway.emulator import (
        DEMO_INSTANCE_ID,
        SECOND_INSTANCE_ID,
        EmulatorOptions,
        create_emulator_app,
    )
    from gateway.http.servers import ServerThread

    # On Connect's clock: the demo's data ends now, and its active contacts move on.
    emulator = ServerThread(create_emulator_app(EmulatorOptions(clock="wall"))).start()
    example, journey = _example_contacts(emulator.url)
    print(
        "connect-gateway: DEMO MODE: GATEWAY_INSTANCE_ID is not set, so the gateway serves the\n"
        f"built-in Amazon Connect emulator's demo data (instance {DEMO_INSTANCE_ID}),\n"
        f"running at {emulator.url}. Open /graphql in a browser for GraphiQL, and\n"
        f"/journey?contactId={journey} for the journey of a transferred, consulted call.",
        flush=True,
    )
    demo = settings.model_copy(
        update={
            "instance_id": DEMO_INSTANCE_ID,
            "allowed_instances": (DEMO_INSTANCE_ID, SECOND_INSTANCE_ID),
            "connect_endpoint_url": emulator.url,
            "example_contact_id": settings.example_contact_id or example,
            # Demo data needs no credentials, and GraphiQL is the way in.
            "auth": settings.auth or "none",
            "graphiql": True if settings.graphiql is None else settings.graphiql,
            # The emulator's contact events come to this gateway's /events (open to all
            # when authentication is off, as it is unless asked for), as EventBridge's would.
            "events": settings.events or (settings.auth or "none") == "none",
            # The demo emulator has no quota to guard, unless one was asked for.
            "quota_rate": settings.quota_rate
            if {"quota_rate", "quotas"} & settings.model_fields_set
            else "off",
        }
    )
    return emulator, demo


def _emulator_instance(settings: Settings) -> Settings:
    from gateway.emulator import DEMO_INSTANCE_ID

    log.info("GATEWAY_INSTANCE_ID is not set: using the emulator's demo instance")
    return settings.model_copy(
        update={"instance_id": DEMO_INSTANCE_ID, "auth": settings.auth or "none"}
    )


def _example_contacts(emulator_url: str) -> tuple[str | None, str | None]:
    """The demo contact that shows the most links (the deepest of a transfer chain), and the
    transferred call of the largest tree (called back, transferred, consulted on, ...)."""
    with urllib.request.urlopen(f"{emulator_url}/_emulator/contacts", timeout=10) as response:
        contacts = json.load(response)["contacts"]
    return _deepest(contacts), _consulted_call(contacts)


def _consulted_call(contacts: list[dict[str, Any]]) -> str | None:
    roots = Counter(contact["rootContactId"] for contact in contacts)
    if not roots:
        return None
    [(root, _)] = roots.most_common(1)
    tree = [contact for contact in contacts if contact["rootContactId"] == root]
    # The queued TRANSFER (the consult went straight to an agent, without a queue).
    transferred = [c for c in tree if c["initiationMethod"] == "TRANSFER" and c["queueId"]]
    return str((transferred or tree)[0]["id"])


def _deepest(contacts: list[dict[str, Any]]) -> str | None:
    by_id = {contact["id"]: contact for contact in contacts}

    def depth(contact: dict[str, Any]) -> int:
        seen = set()
        while contact.get("previousContactId") in by_id and contact["id"] not in seen:
            seen.add(contact["id"])
            contact = by_id[contact["previousContactId"]]
        return len(seen)

    best = max(contacts, key=depth, default=None)
    return None if best is None else str(best["id"])


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


def _environment(settings: Settings) -> dict[str, str]:
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, tuple):
            value = ",".join(value)
        env[f"GATEWAY_{name.upper()}"] = str(value)
    return env


def emulator_command(args: argparse.Namespace) -> int:
    _need_emulator("emulator")
    from gateway.core.rates import CONNECT_DEFAULT, CONNECT_QUOTAS, parse_rates
    from gateway.emulator import EmulatorOptions, EventKnobs, create_emulator_app

    configure("INFO", "text")
    try:
        quotas = {**(CONNECT_QUOTAS if args.connect_quotas else {}), **parse_rates(args.quota)}
    except ValueError as error:
        sys.exit(f"connect-gateway emulator: --quota {error}")
    rate, burst = args.rate, args.burst
    if args.connect_quotas and rate is None:
        rate, burst = CONNECT_DEFAULT.per_second, burst or CONNECT_DEFAULT.burst
    try:
        knobs = EventKnobs(
            drop=args.events_drop,
            duplicate=args.events_duplicate,
            delay_ms=args.events_delay_ms,
            jitter_ms=args.events_jitter_ms,
            reorder=args.events_reorder,
            hold_ms=args.events_hold_ms,
            late_ms=args.events_late_ms,
        )
        options = EmulatorOptions(
            latency_ms=args.latency_ms,
            rate=rate,
            burst=burst,
            quotas=quotas,
            clock=args.clock,
            time_scale=args.time_scale,
            events_url=args.events_url,
            events_api_key=args.events_api_key,
            events=knobs,
            max_page_size=args.max_page_size,
            region=args.region,
            **{
                name: value
                for name in ("account_id", "instance_id")
                if (value := getattr(args, name)) is not None
            },
            sts_credential_seconds=args.sts_credential_seconds,
            role_external_id=args.role_external_id,
            only_assumed_roles=args.only_assumed_roles,
        )
    except ValueError as error:
        sys.exit(f"connect-gateway emulator: {error}")
    app = create_emulator_app(options)
    server = _Server(uvicorn.Config(app, host=args.host, port=args.port, log_config=None))
    server.says = "Amazon Connect emulator at {url}"  # once bound: the real port, also for 0
    server.run()
    return 0


def export_schema_command(args: argparse.Namespace) -> int:
    from gateway.api.schema import create_schema

    sys.stdout.write(create_schema(federation=args.federation).as_str() + "\n")
    return 0


def persisted_manifest_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gateway.api.persisted import manifest_of

    paths = sorted(Path(args.operations).glob("*.graphql"))
    if not paths:
        sys.exit(f"connect-gateway: no *.graphql operations in {args.operations}")
    text = json.dumps(manifest_of((p.name, p.read_text()) for p in paths), indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def api_key_command(args: argparse.Namespace) -> int:
    from gateway.http.auth.keys import new_key

    try:
        key, entry = new_key(args.id, args.scope)
    except ValueError as error:
        sys.exit(f"connect-gateway api-key: {error}")
    print(f"API key (give it to the client; it is not stored anywhere): {key}")
    print('Entry for GATEWAY_API_KEYS_FILE\'s "keys" list:')
    print(json.dumps(entry))
    return 0


if __name__ == "__main__":
    sys.exit(main())
