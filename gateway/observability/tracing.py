"""OpenTelemetry traces over OTLP/HTTP, configured by the standard `OTEL_*` variables.

On when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set or
`OTEL_TRACES_EXPORTER=otlp`, unless `OTEL_SDK_DISABLED=true`. Off, nothing is installed:
no middleware, no schema extension, and `span()` is a shared null context.

A request's trace: the HTTP server span (`traceparent` honoured) > the GraphQL operation
(`query ContactWithLinks`) > each resolver that waits on data > each Connect call (operation,
quota wait, retries, outcome). Cache lookups are events on the resolver's span. No query
text, variables or argument values are recorded: they may hold customer data.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "TracingMiddleware",
    "annotate",
    "cache_event",
    "connect_span",
    "current_ids",
    "setup",
    "span",
]

_tracer = trace.get_tracer("gateway")
_state = {"enabled": False, "configured": False}
_NULL = contextlib.nullcontext()


def _wanted(env: Mapping[str, str]) -> bool:
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = {e.strip() for e in env.get("OTEL_TRACES_EXPORTER", "").lower().split(",")}
    if "none" in exporters:
        return False
    return bool(
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or "otlp" in exporters
    )


def setup(env: Mapping[str, str] | None = None) -> bool:
    """Installs the process's tracer provider once, when the environment asks for traces."""
    if _state["configured"]:
        return _state["enabled"]
    _state["configured"] = True
    if not _wanted(os.environ if env is None else env):
        return False
    # Imported only when on: the SDK and exporter cost start-up time and memory.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, else our name for the service.
    resource = Resource.create({})
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": "connect-graphql-gateway"}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _state["enabled"] = True
    return True


def span(
    name: str, attributes: Mapping[str, Any] | None = None, kind: SpanKind = SpanKind.INTERNAL
) -> contextlib.AbstractContextManager[Any]:
    """A span around a block, current inside it; a null context when tracing is off."""
    if not _state["enabled"]:
        return _NULL
    return _tracer.start_as_current_span(name, kind=kind, attributes=attributes)


def connect_span(operation: str) -> contextlib.AbstractContextManager[Any]:
    """The span of one Connect call (quota wait, retries and outcome are added to it)."""
    return span(
        f"Connect {operation}",
        {"rpc.system": "aws-api", "rpc.service": "Connect", "rpc.method": operation},
        SpanKind.CLIENT,
    )


def annotate(**attributes: str | int | float) -> None:
    """Attributes of the current span, under `gateway.`."""
    if _state["enabled"]:
        current = trace.get_current_span()
        for name, value in attributes.items():
            current.set_attribute(f"gateway.{name}", value)


def cache_event(kind: str, result: str) -> None:
    """A cache lookup (hit, miss, stale...) as an event of the span that waits on it."""
    if _state["enabled"]:
        trace.get_current_span().add_event("cache", {"kind": kind, "result": result})


def current_ids() -> tuple[str, str] | None:
    """The current trace and span IDs in hex, for log lines; None outside a trace."""
    if not _state["enabled"]:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class TracingMiddleware:
    """The server span of each HTTP request, continuing the caller's trace (`traceparent`).
    Named by method and path; the query string is never recorded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        parent = propagate.extract(headers)
        name = f"{scope['method']} {scope['path']}"
        attributes = {"http.request.method": scope["method"], "url.path": scope["path"]}
        with _tracer.start_as_current_span(
            name, context=parent, kind=SpanKind.SERVER, attributes=attributes
        ) as server_span:

            async def send_traced(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    server_span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        server_span.set_status(Status(StatusCode.ERROR))
                await send(message)

            await self.app(scope, receive, send_traced)
