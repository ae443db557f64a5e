"""The private names of Strawberry and graphql-core this gateway relies on, in one place.

Two hot paths need more than the libraries' public hooks give: `GatewaySchema.execute`
(api/schema.py) runs Strawberry's execution with the gateway's document caches (parse,
limits and validation once per document, not per request), and `GatewayExecutor`
(api/execution.py) resolves plain member fields without a resolver call each. They read
Strawberry's schema internals and override graphql-core's `execute_fields` and
`collect_subfields`. Everything private they touch is named here, with the versions it was
checked against: tests/api/test_internals.py fails on any other version, so an upgrade
fails loudly until someone re-reads these against it and moves CHECKED on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import GraphQLError, GraphQLSchema
from strawberry.schema.schema import (
    DEFAULT_ALLOWED_OPERATION_TYPES,
    StrawberryGraphQLCoreExecutionContext,
    validate_document,
)
from strawberry.schema.schema import _coerce_error as _strawberry_coerce_error
from strawberry.schema.schema_converter import GraphQLCoreConverter

__all__ = [
    "CHECKED",
    "DEFAULT_ALLOWED_OPERATION_TYPES",
    "OVERRIDDEN",
    "StrawberryGraphQLCoreExecutionContext",
    "coerce_error",
    "core_schema",
    "create_execution_context",
    "declared_metadata",
    "hook_object_definitions",
    "middleware_resolvers",
    "process_errors",
    "validate_document",
]

CHECKED = {"strawberry-graphql": "0.341.2", "graphql-core": "3.3.2"}
"""The versions these names were read against."""

OVERRIDDEN = {
    "execute_fields": (
        "self",
        "parent_type",
        "source_value",
        "path",
        "grouped_field_set",
        "position_context",
    ),
    "collect_subfields": ("self", "return_type", "field_details_list"),
}
"""graphql-core ExecutionContext methods GatewayExecutor overrides, with their parameters."""


def core_schema(schema: Any) -> GraphQLSchema:
    """The graphql-core schema a Strawberry schema built (`Schema._schema`)."""
    core: GraphQLSchema = schema._schema
    return core


def create_execution_context(schema: Any, **options: Any) -> Any:
    """Strawberry's ExecutionContext for one operation (`Schema._create_execution_context`)."""
    return schema._create_execution_context(**options)


def process_errors(schema: Any, errors: list[GraphQLError], context: Any) -> None:
    """Strawberry's error processing, extensions' hooks included (`Schema._process_errors`)."""
    schema._process_errors(errors, context)


def coerce_error(error: Exception) -> GraphQLError:
    """An exception as the GraphQLError Strawberry answers (`schema._coerce_error`)."""
    coerced: GraphQLError = _strawberry_coerce_error(error)
    return coerced


def middleware_resolvers(manager: Any) -> Iterable[Any] | None:
    """graphql-core's resolver middleware, None when there is none
    (`MiddlewareManager._middleware_resolvers`)."""
    resolvers: Iterable[Any] | None = manager._middleware_resolvers
    return resolvers


def declared_metadata(field: Any) -> Mapping[str, Any]:
    """The `metadata` a graphql-core field's Strawberry declaration was given (the
    StrawberryField graphql-core's field keeps under `extensions["strawberry-definition"]`,
    GraphQLCoreConverter.DEFINITION_BACKREF); empty for others."""
    extensions = getattr(field, "extensions", None) or {}
    definition = extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    metadata: Mapping[str, Any] = getattr(definition, "metadata", None) or {}
    return metadata


def hook_object_definitions(converter: Any, substitute: Any) -> None:
    """Makes `converter` (a GraphQLCoreConverter) build each object type from
    `substitute(definition)` instead of `definition` (its `from_object`, which every object
    type of a schema goes through; the GraphQL type keeps the definition it was built from,
    and the printer and the directive collector read that one)."""
    original = converter.from_object

    def from_object(definition: Any) -> Any:
        return original(substitute(definition))

    converter.from_object = from_object
