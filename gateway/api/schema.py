"""The one strawberry.Schema, with the limits and caches every deployment wants on."""

from __future__ import annotations

import functools
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.api.documents import DocumentCaches, DocumentLimits
from gateway.api.errors import code_errors, log_unexpected
from gateway.api.execution import executor_for
from gateway.api.limits import Limits
from gateway.api.members import SCALARS
from gateway.api.query import Query
from gateway.api.subscription import Subscription
from gateway.api.tracing import TracingExtension

__all__ = ["GatewaySchema", "create_schema"]


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors (NOT_FOUND, BAD_USER_INPUT, ...) are answers, not incidents.
        log_unexpected(errors)
        code_errors(errors)


def create_schema(
    limits: Limits | None = None, *, tracing: bool = False, introspection: bool = True
) -> GatewaySchema:
    # A factory: strawberry builds the extension afresh for each request; the caches it
    # reads (parse, limits, validation) span requests.
    caches = DocumentCaches(limits or Limits())
    extensions: list[Any] = [functools.partial(DocumentLimits, caches)]
    if tracing:
        extensions.append(TracingExtension)
    if not introspection:
        extensions.append(DisableIntrospection)
    schema = GatewaySchema(
        query=Query,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )
    schema.execution_context_class = executor_for(schema._schema)
    return schema
