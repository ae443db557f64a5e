"""Matching HTTP requests to Connect operations by each operation's `http` trait.

The route table is built from every operation in the model: method plus `requestUri`,
whose labels (`{Name}`, greedy `{Name+}`) become capture groups and whose query part
(`?type=x`) becomes a required query parameter. Paths are matched in their raw,
percent-encoded form so an encoded `/` inside a label cannot split it; labels are decoded
after the match. When templates overlap, the one with more literal text wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from botocore.model import OperationModel, ServiceModel

__all__ = ["Match", "Route", "Router"]

_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class Route:
    """One operation's compiled `http` trait."""

    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    labels: tuple[str, ...]
    query: tuple[tuple[str, str | None], ...]
    literal_length: int

    @classmethod
    def compile(cls, operation: OperationModel) -> Route:
        path, _, query = str(operation.http["requestUri"]).partition("?")
        parts = _LABEL.split(path)
        regex = "".join(
            (_label_regex(part) if index % 2 else re.escape(part))
            for index, part in enumerate(parts)
        )
        return cls(
            operation=operation,
            method=str(operation.http["method"]).upper(),
            pattern=re.compile(f"^{regex}$"),
            labels=tuple(label.rstrip("+") for label in parts[1::2]),
            query=tuple(_query_literal(item) for item in query.split("&") if item),
            literal_length=sum(len(part) for part in parts[0::2]),
        )

    def match(self, method: str, raw_path: str, query: Mapping[str, str]) -> Match | None:
        if method != self.method:
            return None
        found = self.pattern.match(raw_path)
        if found is None or not all(_has(query, key, value) for key, value in self.query):
            return None
        labels = {
            name: unquote(value) for name, value in zip(self.labels, found.groups(), strict=True)
        }
        return Match(self.operation, labels)


@dataclass(frozen=True)
class Match:
    """The operation a request is for, and its URI labels, decoded."""

    operation: OperationModel
    labels: dict[str, str]


class Router:
    """All of the services' routes, most specific first (services on one endpoint must not
    share a route: Connect's and Contact Lens' do not)."""

    def __init__(self, *models: ServiceModel) -> None:
        routes = (
            Route.compile(model.operation_model(name))
            for model in models
            for name in model.operation_names
        )
        self.routes = sorted(routes, key=lambda route: (-route.literal_length, len(route.labels)))

    def match(self, method: str, raw_path: str, query_string: str = "") -> Match | None:
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        for route in self.routes:
            found = route.match(method.upper(), raw_path, query)
            if found is not None:
                return found
        return None

    @property
    def operation_names(self) -> Iterable[str]:
        return (route.operation.name for route in self.routes)


def _label_regex(label: str) -> str:
    return "(.+)" if label.endswith("+") else "([^/]+)"


def _query_literal(item: str) -> tuple[str, str | None]:
    key, sep, value = item.partition("=")
    return key, (value if sep else None)


def _has(query: Mapping[str, str], key: str, value: str | None) -> bool:
    return key in query and (value is None or query[key] == value)
