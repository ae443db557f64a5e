"""The one strawberry.Schema, with the limits and caches every deployment wants on."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLError, execute
from strawberry.exceptions import MissingQueryError
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.extensions import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from gateway.api.documents import DocumentCaches, DocumentLimits
from gateway.api.errors import code_errors, log_unexpected
from gateway.api.execution import executor_for
from gateway.api.federation import FederatedQuery, entity_definition
from gateway.api.internals import (
    DEFAULT_ALLOWED_OPERATION_TYPES,
    coerce_error,
    core_schema,
    create_execution_context,
    hook_object_definitions,
    process_errors,
)
from gateway.api.limits import Limits
from gateway.api.members import SCALARS
from gateway.api.mutation import Mutation
from gateway.api.query import Query
from gateway.api.subscription import Subscription
from gateway.api.tracing import TracingExtension

__all__ = ["FederatedSchema", "GatewaySchema", "create_schema"]


class GatewaySchema(strawberry.Schema):
    # Set by create_schema when the only extension is the document caches' (no tracing, no
    # introspection rule): then `execute` runs its steps itself, without strawberry's
    # extension runner (a few async context managers and hooks a request, for nothing).
    lean: DocumentCaches | None = None

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """strawberry's `execute`, step for step: parse, operation type, validate (with the
        limits), execute, process errors; the same results, errors and exceptions."""
        context_value = _per_operation(context_value)
        # Subscriptions run over websockets only (`subscribe`), never over GET or POST.
        allowed_operation_types = set(
            allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES
        ) - {OperationType.SUBSCRIPTION}
        caches = self.lean
        if caches is None:
            return await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
        context = create_execution_context(
            self,
            query=query,
            allowed_operation_types=allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
        )
        if not query:
            raise MissingQueryError
        try:
            context.graphql_document = document = caches.parse(query)
        except Exception as error:
            return self._refused(context, [coerce_error(error)])
        try:
            operation_type = context.operation_type
        except RuntimeError as error:
            raise CannotGetOperationTypeError(context.operation_name) from error
        if operation_type not in context.allowed_operations:
            raise InvalidOperationTypeError(operation_type)
        try:
            errors = caches.validate(
                core_schema(self),
                query,
                document,
                context.operation_name,
                variable_values,
                context.validation_rules,
            )
            if errors:
                return self._refused(context, errors)
            result = await await_maybe(
                execute(
                    core_schema(self),
                    document,
                    root_value=root_value,
                    variable_values=variable_values,
                    operation_name=context.operation_name,
                    context_value=context_value,
                    is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                    executor_class=self.execution_context_class,
                    operation_extensions=operation_extensions,
                )
            )
        except Exception as error:
            return self._refused(context, [coerce_error(error)])
        if result.errors:
            process_errors(self, result.errors, context)
        return ExecutionResult(data=result.data, errors=result.errors, extensions={})

    async def subscribe(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> Any:
        return await super().subscribe(
            query,
            variable_values,
            _per_operation(context_value),
            root_value,
            operation_name,
            operation_extensions,
        )

    def _refused(self, context: ExecutionContext, errors: list[GraphQLError]) -> ExecutionResult:
        context.pre_execution_errors = errors
        process_errors(self, errors, context)
        return PreExecutionError(data=None, errors=errors, extensions={})

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors (NOT_FOUND, BAD_USER_INPUT, ...) are answers, not incidents.
        log_unexpected(errors)
        code_errors(errors)


class FederatedSchema(GatewaySchema, strawberry.federation.Schema):
    """The schema as a Federation v2 subgraph (api/federation.py): Strawberry's federation
    schema (`_service`, the `@link`), built from the entity types' federated definitions."""

    @property
    def schema_converter(self) -> Any:
        return self.__dict__["schema_converter"]

    @schema_converter.setter
    def schema_converter(self, converter: Any) -> None:
        # Set once, by strawberry.Schema.__init__, before it converts the first type.
        hook_object_definitions(converter, entity_definition)
        self.__dict__["schema_converter"] = converter


def _per_operation(context: Any) -> Any:
    """A websocket connection's context for one of its operations (fresh loaders), so
    that operations neither share nor grow one set of loaders; any other context as is."""
    for_operation = getattr(context, "for_operation", None)
    return context if for_operation is None else for_operation()


def create_schema(
    limits: Limits | None = None,
    *,
    tracing: bool = False,
    introspection: bool = True,
    federation: bool = False,
) -> GatewaySchema:
    """The schema, one per process and configuration: Strawberry converts every type to
    build it (tens of milliseconds), so the apps of one process with the same limits (the
    tests', a benchmark's) share it, with its document caches (per process, as they say).
    Never change the one returned: copy it."""
    return _schema(limits or Limits(), tracing, introspection, federation)


@functools.lru_cache(maxsize=16)
def _schema(limits: Limits, tracing: bool, introspection: bool, federation: bool) -> GatewaySchema:
    # A factory: strawberry builds the extension afresh for each request; the caches it
    # reads (parse, limits, validation) span requests.
    caches = DocumentCaches(limits)
    extensions: list[Any] = [functools.partial(DocumentLimits, caches)]
    if tracing:
        extensions.append(TracingExtension)
    if not introspection:
        extensions.append(DisableIntrospection)
    schema = (FederatedSchema if federation else GatewaySchema)(
        query=FederatedQuery if federation else Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )
    schema.execution_context_class = executor_for(core_schema(schema))
    if len(extensions) == 1:
        schema.lean = caches
    return schema
