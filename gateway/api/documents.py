"""Parsing and validation, each done once per document text, with the gateway's limits.

A strawberry extension (built per request from shared `DocumentCaches`) replaces the
parser and the validation step: the parse is bounded by GATEWAY_MAX_TOKENS; the limits
(depth, aliases, cost) are measured in one pass (`gateway.api.limits`), cached per
document, operation and the few variable values a cost depends on; graphql-core's rules
run only on a document within the limits, and their result is cached per document text
and rule set.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.extensions import SchemaExtension

from gateway.api.internals import core_schema, validate_document
from gateway.api.limits import Limits, check

__all__ = ["LRU", "DocumentCaches", "DocumentLimits"]

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A bounded mapping that forgets the least recently used entry (event loop only)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: K, item: V) -> V:
        self._items[key] = item
        self._items.move_to_end(key)
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return item


class DocumentCaches:
    """Per process: parsed documents, validation results and limit checks."""

    def __init__(self, limits: Limits, size: int = 512) -> None:
        self.limits = limits
        self.documents: LRU[str, DocumentNode] = LRU(size)
        self.validations: LRU[tuple[str, tuple[Any, ...]], list[GraphQLError]] = LRU(size)
        self.checks: LRU[tuple[str, str | None, tuple[Any, ...]], list[GraphQLError]] = LRU(
            size * 4
        )

    def parse(self, query: str) -> DocumentNode:
        document = self.documents.get(query)
        if document is None:
            try:
                document = parse(query, max_tokens=self.limits.max_tokens)
            except RecursionError:
                raise GraphQLError("Document is nested too deeply.") from None
            self.documents.put(query, document)
        return document

    def validate(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        rules: tuple[Any, ...],
    ) -> list[GraphQLError]:
        if not query:  # a document given without its text: nothing to key a cache on
            return check(schema, document, operation_name, variables, self.limits) or (
                validate_document(schema, document, rules)
            )
        key = (query, operation_name, _signature(variables))
        errors = self.checks.get(key)
        if errors is None:
            errors = self.checks.put(
                key, check(schema, document, operation_name, variables, self.limits)
            )
        if errors:
            return errors
        found = self.validations.get((query, rules))
        if found is None:
            found = self.validations.put((query, rules), validate_document(schema, document, rules))
        return found


def _signature(variables: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """What a cost can depend on in the variables: list lengths, integers, null or not."""
    if not variables:
        return ()
    return tuple(sorted((name, _shape(value)) for name, value in variables.items()))


def _shape(value: Any) -> Any:
    if isinstance(value, list):
        return ("list", len(value))
    if isinstance(value, int):
        return ("int", value)
    return ("null",) if value is None else ("other",)


class DocumentLimits(SchemaExtension):
    """Parse and validate through `DocumentCaches` (pass a factory to the schema)."""

    def __init__(self, caches: DocumentCaches) -> None:
        super().__init__()
        self.caches = caches

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            context.graphql_document = self.caches.parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        context.pre_execution_errors = self.caches.validate(
            core_schema(context.schema),
            context.query or "",
            context.graphql_document,
            context.operation_name,
            context.variables,
            tuple(context.validation_rules),
        )
        yield
