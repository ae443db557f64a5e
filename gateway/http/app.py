"""The ASGI application: routes, middleware, and a lifespan that owns the Connect client,
the cache and the entity store (one of each per process)."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from gateway.api.limits import limits_of
from gateway.api.persisted import Manifest
from gateway.api.schema import create_schema
from gateway.core.caller import METRICS_READ
from gateway.core.clock import SYSTEM, Clock
from gateway.core.errors import Forbidden
from gateway.core.settings import Settings
from gateway.data.responses import GZIP_MINIMUM_BYTES
from gateway.http.assets import Assets
from gateway.http.auth import AuthenticationMiddleware, Authenticator
from gateway.http.auth.keys import ApiKeys
from gateway.http.bodies import BodyLimitMiddleware
from gateway.http.errors import error_response
from gateway.http.events import events_endpoint
from gateway.http.hits import HitMiddleware
from gateway.http.journey import journey_route
from gateway.http.middleware import RequestIdMiddleware
from gateway.http.services import build_services
from gateway.http.state import SERVICES, caller_of, services_of
from gateway.http.view import GraphQLView
from gateway.observability import tracing
from gateway.observability.logs import configure
from gateway.observability.metrics import Metrics
from gateway.observability.tracing import TracingMiddleware

__all__ = ["create_app", "create_app_from_env", "file_problems"]

log = logging.getLogger(__name__)


def file_problems(settings: Settings) -> list[str]:
    """What is wrong with the files the settings name (the API keys file, the trusted
    documents manifest), one line each, read as the app reads them: the CLI refuses to
    start on any, with its reason. Settings hold only their paths."""
    problems = []
    if settings.api_keys_file is not None:
        try:
            ApiKeys.load(settings.api_keys_file)
        except ValueError as error:
            problems.append(f"GATEWAY_API_KEYS_FILE: {error}")
    if settings.trusted_documents is not None:
        try:
            Manifest.load(settings.trusted_documents, settings.max_tokens)
        except ValueError as error:
            problems.append(f"GATEWAY_TRUSTED_DOCUMENTS: {error}")
    return problems


def create_app(settings: Settings, clock: Clock = SYSTEM) -> Starlette:
    """The app for `settings`; a bad file they name raises ValueError (see file_problems)."""
    metrics = Metrics()
    authenticator = Authenticator.from_settings(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, object]]:
        async with build_services(settings, metrics, authenticator, clock) as services:
            _freeze_the_start_up()
            yield {SERVICES: services}

    traced = tracing.setup()
    schema = create_schema(
        limits_of(settings),
        tracing=traced,
        introspection=settings.introspection,
        federation=settings.federation,
    )
    assets = Assets()
    cors_options: dict[str, Any] = {
        "allow_origins": list(settings.cors_origins),
        "allow_methods": ["GET", "POST"],
        "allow_headers": ["content-type", "authorization", "x-api-key", "x-request-id"],
        "expose_headers": ["x-request-id"],
        "max_age": 600,
    }
    cors = CORSMiddleware(_no_app, **cors_options)  # the hit path's: the same answers
    view = GraphQLView(schema, settings, metrics, assets, clock)
    lane = Middleware(HitMiddleware, settings, authenticator, metrics, cors, view)
    hits = [] if traced else [lane]
    return Starlette(
        routes=[
            Route("/graphql", view),
            WebSocketRoute("/graphql", view),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", _metrics_endpoint(metrics)),
            journey_route(assets, settings),
            Route("/events", events_endpoint(settings, metrics), methods=["POST"]),
            Mount("/static", assets, name="static"),
        ],
        middleware=[
            # A response cache hit is answered here, before the rest (each of whose work it
            # does itself where it applies); with tracing on, hits take the traced path.
            *hits,
            Middleware(RequestIdMiddleware),
            Middleware(CORSMiddleware, **cors_options),
            Middleware(
                BodyLimitMiddleware, max_bytes=settings.max_body_bytes, own_limits=("/events",)
            ),
            Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES),
            *([Middleware(TracingMiddleware)] if traced else []),
            Middleware(
                AuthenticationMiddleware,
                authenticator=authenticator,
                graphiql=settings.graphiql_enabled,
            ),
        ],
        lifespan=lifespan,
    )


async def _no_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("only its send() is used")  # pragma: no cover


_frozen = False


def _freeze_the_start_up() -> None:
    """Everything made by now (botocore's service model, the schema, the emulator's data in
    demo mode) lives as long as the process: out of the collector's sight, a collection no
    longer walks it. A full collection walked it while requests waited (p99 140 ms in
    benchmarks/warm_path.py before, 20 ms after). Once per process, garbage collected first
    (so none of it is kept for good)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


def create_app_from_env() -> Starlette:
    """For `uvicorn --factory` and worker processes: settings (and logging) from the
    environment."""
    settings = Settings()
    configure(settings.log_level, settings.log_format)
    return create_app(settings)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    cache = services_of(request).cache
    cache_ok = await cache.ping()
    # Not only PING: a node that answers it while every GET fails (MOVED, a script error)
    # does not share anything.
    failing = cache.coordinator.failing() if cache.shared else None
    check = (
        "ok"
        if cache_ok and failing is None
        else f"failing ({failing})"
        if cache_ok
        else "unavailable"
    )
    # A cache outage degrades (more upstream calls) but does not stop answers: stay in service.
    return JSONResponse(
        {"status": "ready" if check == "ok" else "degraded", "checks": {"cache": check}}
    )


def _metrics_endpoint(metrics: Metrics) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        caller = caller_of(request)
        if not caller.has(METRICS_READ):
            return error_response("/metrics needs the metrics:read scope", 403, Forbidden.code)
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return endpoint
