"""Prometheus metrics, one registry per app (so tests and apps never share counters).

With several worker processes (`serve --workers N`), prometheus-client's multiprocess mode:
the CLI points `PROMETHEUS_MULTIPROC_DIR` at a fresh directory before the workers start,
each worker writes its values there, and whichever worker answers `/metrics` renders the
sum of all of them.
"""

from __future__ import annotations

import os
import re
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

__all__ = ["Metrics"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_OPERATION_NAMES = 200


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.upstream_calls = Counter(
            "gateway_upstream_calls",
            "Connect API calls by operation and outcome (ok or an error code), per region and"
            " account.",
            ["operation", "outcome", "region", "account"],
            registry=registry,
        )
        self.upstream_latency = Histogram(
            "gateway_upstream_latency_seconds",
            "Connect API call latency, retries included.",
            ["operation", "region", "account"],
            registry=registry,
        )
        self.cache = Counter(
            "gateway_cache_lookups",
            "Entity lookups by kind and result: hit, miss, stale (served while refreshing), "
            "stale_if_error (served because Connect failed).",
            ["kind", "result"],
            registry=registry,
        )
        self.joins = Counter(
            "gateway_single_flight_joins",
            "Lookups that joined a call already in flight, in this process or another replica.",
            ["kind", "scope"],
            registry=registry,
        )
        self.quota_wait = Histogram(
            "gateway_quota_wait_seconds",
            "Time callers waited for the Connect quota (per region and account).",
            ["operation", "region", "account"],
            buckets=(0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.breaker_open = Gauge(
            "gateway_breaker_open",
            "1 while the circuit breaker of a Connect operation (a region and account) is open.",
            ["operation", "region", "account"],
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.requests = Counter(
            "gateway_graphql_requests",
            "GraphQL requests by operation name.",
            ["operation"],
            registry=registry,
        )
        self.request_latency = Histogram(
            "gateway_graphql_latency_seconds",
            "GraphQL request latency by operation name.",
            ["operation"],
            registry=registry,
        )
        self.errors = Counter(
            "gateway_graphql_errors",
            "GraphQL errors by extensions.code.",
            ["code"],
            registry=registry,
        )
        self.responses = Counter(
            "gateway_response_cache_lookups",
            "Response cache lookups: hit, miss, or bypass (Cache-Control: no-cache).",
            ["result"],
            registry=registry,
        )
        self.response_bytes = Gauge(
            "gateway_response_cache_bytes",
            "Bytes the response cache holds (bodies, keys and tags).",
            registry=registry,
        )
        self.events = Counter(
            "gateway_contact_events",
            "Contact events received on /events, by outcome: accepted, foreign_instance "
            "(ignored: an instance this gateway does not serve), rejected (a request refused "
            "as malformed, counted once).",
            ["outcome"],
            registry=registry,
        )
        self.invalidations = Counter(
            "gateway_invalidations",
            "Entity invalidation tags this replica received (its own and other replicas'), "
            "by kind.",
            ["kind"],
            registry=registry,
        )
        self.shared_store_failures = Counter(
            "gateway_shared_store_failures",
            "Failed calls to the shared store (Redis), by kind: connection and timeout "
            "(Redis is left alone a few seconds: each replica on its own), error (a script "
            "or server error: a bug, logged; nothing falls back).",
            ["kind"],
            registry=registry,
        )
        self._names: set[str] = set()
        self._operations: dict[str, tuple[Any, Any]] = {}

    def operation_label(self, name: str | None) -> str:
        """A bounded label for a client-chosen operation name."""
        if not name or not _NAME.match(name):
            return "anonymous" if not name else "invalid"
        if name not in self._names and len(self._names) >= _MAX_OPERATION_NAMES:
            return "other"
        self._names.add(name)
        return name

    def of_operation(self, label: str) -> tuple[Any, Any]:
        """The request counter and latency histogram of an operation label (one of
        `operation_label`'s, so bounded), looked up once per label, not per request."""
        children = self._operations.get(label)
        if children is None:
            children = self._operations[label] = (
                self.requests.labels(label),
                self.request_latency.labels(label),
            )
        return children

    def count_invalidations(self, tags: list[str]) -> None:
        for tag in tags:
            self.invalidations.labels(tag.split(":", 1)[0][:32]).inc()

    def render(self) -> bytes:
        directory = _multiprocess_directory()
        if directory is None:
            return generate_latest(self.registry)
        # Every worker's values, not only this one's (the registry above writes to files).
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=directory)  # type: ignore[no-untyped-call]
        return generate_latest(merged)

    def close(self) -> None:
        """At a worker's exit: its live gauges (breaker_open) stop counting."""
        if _multiprocess_directory() is not None:
            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def _multiprocess_directory() -> str | None:
    # prometheus-client's own variable, read by the library at import: not a gateway setting.
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
