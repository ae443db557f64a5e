"""OpenTelemetry: a gateway process configured by the standard OTEL_* variables sends its
traces over OTLP/HTTP (protobuf) to a real receiver, continuing the caller's trace."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.http.servers import ServerThread
from gateway.observability import tracing
from tests.chains import with_all_links
from tests.support import Emulator, gateway_process

QUERY = """query ContactWithLinks($id: ID!) {
  contact(contactId: $id) { id previousContact { id } initialContact { id } relatedContact { id } }
}"""
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


class Receiver:
    """An OTLP/HTTP trace receiver: every span posted to /v1/traces, decoded."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.resources: list[dict[str, str]] = []
        self.changed = threading.Condition()

    async def traces(self, request: Request) -> Response:
        assert request.headers["content-type"] == "application/x-protobuf"
        message = ExportTraceServiceRequest.FromString(await request.body())
        with self.changed:
            for resource_spans in message.resource_spans:
                attributes = resource_spans.resource.attributes
                self.resources.append({a.key: a.value.string_value for a in attributes})
                for scope_spans in resource_spans.scope_spans:
                    self.spans.extend(_span(span) for span in scope_spans.spans)
            self.changed.notify_all()
        return Response(b"", media_type="application/x-protobuf")

    def wait_for(self, predicate: Any, timeout: float = 30) -> list[dict[str, Any]]:
        with self.changed:
            assert self.changed.wait_for(lambda: predicate(self.spans), timeout), self.spans
            return list(self.spans)


def _span(span: Any) -> dict[str, Any]:
    attributes = {}
    for attribute in span.attributes:
        value = attribute.value
        attributes[attribute.key] = getattr(value, value.WhichOneof("value"))
    return {
        "name": span.name,
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_id": span.parent_span_id.hex(),
        "attributes": attributes,
        "events": [
            (e.name, {a.key: a.value.string_value for a in e.attributes}) for e in span.events
        ],
    }


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/v1/traces", receiver.traces, methods=["POST"])])
    with ServerThread(app) as server:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", server.url)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "gateway-under-test")
        monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
        yield receiver


def test_a_request_is_traced_down_to_each_connect_call(
    receiver: Receiver, emulator: Emulator
) -> None:
    contact = with_all_links(emulator.contacts())
    settings = {
        "instance_id": DEMO_INSTANCE_ID,
        "connect_endpoint_url": emulator.url,
        "quota_rate": "off",
        "auth": "none",
    }
    with gateway_process(**settings) as gateway:
        body = {"query": QUERY, "variables": {"id": contact["id"]}}
        headers = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
        first = gateway.http.post("/graphql", json=body, headers=headers)
        assert first.status_code == 200
        assert "errors" not in first.json(), first.text
        # The server span ends last and may come in a later export than the calls.
        spans = receiver.wait_for(
            lambda spans: (
                sum(s["name"] == "Connect DescribeContact" for s in spans) >= 4
                and any(s["name"] == "POST /graphql" for s in spans)
            )
        )
    assert receiver.resources[0]["service.name"] == "gateway-under-test"
    ours = [s for s in spans if s["trace_id"] == TRACE_ID]
    by_id = {s["span_id"]: s for s in ours}
    server = next(s for s in ours if s["name"] == "POST /graphql")
    assert server["parent_id"] == PARENT_ID, "the caller's traceparent is continued"
    assert server["attributes"]["http.response.status_code"] == 200
    operation = next(s for s in ours if s["name"] == "query ContactWithLinks")
    assert operation["parent_id"] == server["span_id"]
    assert operation["attributes"]["graphql.operation.name"] == "ContactWithLinks"
    calls = [s for s in ours if s["name"] == "Connect DescribeContact"]
    assert len(calls) == 4 == emulator.calls("DescribeContact")  # the contact and its 3 links
    for call in calls:
        assert call["attributes"]["rpc.method"] == "DescribeContact"
        assert call["attributes"]["gateway.outcome"] == "ok"
        assert "gateway.quota_wait_seconds" in call["attributes"]
        parent = by_id[call["parent_id"]]
        assert parent["name"].startswith(("Query.contact", "Contact.")), parent["name"]
        assert ("cache", {"kind": "contact", "result": "miss"}) in parent["events"]
    # Nothing a caller sent is recorded: no query text, no variables, no query string.
    assert contact["id"] not in str(ours)


def test_off_without_otel_variables() -> None:
    assert not tracing._wanted({})
    assert not tracing._wanted(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_SDK_DISABLED": "true"}
    )
    assert tracing._wanted({"OTEL_TRACES_EXPORTER": "otlp"})
    assert tracing.span("x") is tracing.span("y"), "off: one shared null context, no span"
