"""The GraphQL part of a trace (see gateway/observability/tracing.py): a span for the
operation, named by its type and name, and one for each resolver that waits on data.
Installed only when tracing is on."""

from __future__ import annotations

from collections.abc import Callable, Generator
from inspect import isawaitable
from typing import Any

from graphql import GraphQLResolveInfo
from opentelemetry import trace
from strawberry.extensions import SchemaExtension

__all__ = ["TracingExtension"]

_tracer = trace.get_tracer("gateway.api")


class TracingExtension(SchemaExtension):
    def on_operation(self) -> Generator[None, None, None]:
        with _tracer.start_as_current_span("GraphQL") as span:
            yield
            context = self.execution_context
            kind = _operation_type(context)
            name = context.operation_name
            span.update_name(f"{kind} {name}" if name else kind)
            span.set_attribute("graphql.operation.type", kind)
            if name:
                span.set_attribute("graphql.operation.name", name)

    async def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        result = _next(root, info, *args, **kwargs)
        if not isawaitable(result):
            return result
        # Only a resolver that waits (a loader, an upstream call) gets a span of its own.
        name = f"{info.parent_type.name}.{info.field_name}"
        with _tracer.start_as_current_span(name) as span:
            span.set_attribute("graphql.field.path", _path(info))
            return await result


def _operation_type(context: Any) -> str:
    try:
        return str(context.operation_type.value)
    except (AttributeError, RuntimeError):
        return "query"


def _path(info: GraphQLResolveInfo[Any]) -> str:
    return ".".join(str(part) for part in info.path.as_list())
