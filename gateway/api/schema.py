"""The one strawberry.Schema, with the limits and caches every deployment wants on."""

from __future__ import annotations

import functools
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.api.errors import log_unexpected
from gateway.api.members import SCALARS
from gateway.api.query import Query
from gateway.api.tracing import TracingExtension

__all__ = ["GatewaySchema", "create_schema"]


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors (NOT_FOUND, BAD_USER_INPUT, ...) are answers, not incidents.
        log_unexpected(errors)


def create_schema(
    max_depth: int = 12, max_aliases: int = 30, *, tracing: bool = False
) -> GatewaySchema:
    # Factories: strawberry builds the extensions afresh for each request. The parse and
    # validation caches still span requests (strawberry keeps one LRU per maxsize).
    extensions: list[Any] = [
        functools.partial(QueryDepthLimiter, max_depth=max_depth),
        functools.partial(MaxAliasesLimiter, max_alias_count=max_aliases),
        functools.partial(ParserCache, maxsize=256),
        functools.partial(ValidationCache, maxsize=256),
    ]
    if tracing:
        extensions.append(TracingExtension)
    return GatewaySchema(
        query=Query, extensions=extensions, config=StrawberryConfig(scalar_map=SCALARS)
    )
