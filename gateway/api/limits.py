"""Depth, aliases and cost of an operation, in one pass that evaluates each fragment once.

Library limiters walk a fragment again at every spread: 24 fragments that each spread the
next twice are 2^24 walks. Here fragments are evaluated in dependency order, each once, and
a spread reads its fragment's result; a cycle (which validation refuses anyway) counts as
nothing. Nested fields are not followed past the depth limit, so the recursion stays
shallow whatever the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    get_named_type,
    value_from_ast_untyped,
)

from gateway.api.cost import Arguments, FieldCost, cost_of
from gateway.core.settings import Settings

__all__ = ["CAP", "Limits", "Measure", "check", "limits_of", "measure"]

CAP = 10**12
"""Costs and alias counts saturate here: past it, the exact number changes nothing."""


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_cost: int = 500


@dataclass(frozen=True)
class Measure:
    """An operation's depth (nested fields with selections), aliases and worst-case cost."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def __add__(self, other: Measure) -> Measure:
        return Measure(
            max(self.depth, other.depth),
            min(self.aliases + other.aliases, CAP),
            min(self.cost + other.cost, CAP),
        )


_NOTHING = Measure()


def limits_of(settings: Settings) -> Limits:
    return Limits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_cost,
    )


def check(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    limits: Limits,
) -> list[GraphQLError]:
    """The limits the operation breaks, as errors (none: it may run)."""
    errors: list[GraphQLError] = []
    for name, found in measure(schema, document, operation_name, variables, limits).items():
        label = f"Operation {name!r}" if name else "The operation"
        if found.depth > limits.max_depth:
            errors.append(
                GraphQLError(
                    f"{label} exceeds maximum operation depth of {limits.max_depth} "
                    "(GATEWAY_MAX_QUERY_DEPTH)"
                )
            )
        elif found.aliases > limits.max_aliases:
            errors.append(
                GraphQLError(
                    f"{found.aliases} aliases found. Allowed: {limits.max_aliases} "
                    "(GATEWAY_MAX_ALIASES)"
                )
            )
        elif found.cost > limits.max_cost:
            worst = f"more than {CAP}" if found.cost >= CAP else str(found.cost)
            errors.append(
                GraphQLError(
                    f"{label} could make up to {worst} upstream calls; the limit is "
                    f"{limits.max_cost} (GATEWAY_MAX_COST)"
                )
            )
    return errors


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    limits: Limits,
) -> dict[str | None, Measure]:
    """The measure of the named operation (or of each, when the name does not pick one)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    named = [o for o in operations if o.name is not None and o.name.value == operation_name]
    chosen = named or operations
    walk = _Walk(schema, document, limits.max_depth)
    results: dict[str | None, Measure] = {}
    for operation in chosen:
        walk.variables = _variables(operation, variables or {})
        walk.memo = {}
        walk.evaluate_fragments()
        root = schema.get_root_type(operation.operation)
        name = operation.name.value if operation.name else None
        results[name] = walk.selections(operation.selection_set, root, 0)
    return results


def _variables(operation: OperationDefinitionNode, given: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if definition.default_value is not None:
            values[name] = _untyped(definition.default_value, {})
    return values | dict(given)


def _untyped(node: Any, variables: Mapping[str, Any]) -> Any:
    try:
        found = value_from_ast_untyped(node, dict(variables))
    except Exception:  # a malformed value: validation refuses it, the cost takes the worst case
        return None
    return None if found is Undefined else found


class _Walk:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, max_depth: int) -> None:
        self.schema = schema
        self.max_depth = max_depth
        self.fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self.fragments.setdefault(definition.name.value, definition)
        self.order = _dependency_order(self.fragments)
        self.variables: dict[str, Any] = {}
        self.memo: dict[str, Measure] = {}

    def evaluate_fragments(self) -> None:
        # Fragments a fragment spreads come first in `order`, so each spread finds its
        # fragment's measure in the memo (relative to the spread's own depth).
        for name in self.order:
            fragment = self.fragments[name]
            parent = self.schema.get_type(fragment.type_condition.name.value)
            self.memo[name] = self.selections(fragment.selection_set, parent, 0)

    def selections(self, selection_set: SelectionSetNode, parent: Any, depth: int) -> Measure:
        total = _NOTHING
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total = total + self.field(selection, parent, depth)
            elif isinstance(selection, FragmentSpreadNode):
                found = self.memo.get(selection.name.value, _NOTHING)
                total = total + Measure(depth + found.depth, found.aliases, found.cost)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total = total + self.selections(selection.selection_set, inner, depth)
        return total

    def field(self, node: FieldNode, parent: Any, depth: int) -> Measure:
        name = node.name.value
        aliases = 1 if node.alias is not None else 0
        if name.startswith("__"):  # introspection: no upstream call, no depth (as strawberry)
            return Measure(0, aliases, 0)
        fields = getattr(parent, "fields", None) or {}
        cost = cost_of(getattr(parent, "name", ""), name, fields.get(name))
        calls, items, each = (0, 1, 0) if cost is None else self._resolve(cost, node)
        if node.selection_set is None:
            return Measure(depth, aliases, min(calls + items * each, CAP))
        if depth >= self.max_depth:  # too deep already: refused, so no need to look further
            return Measure(depth + 1, aliases, calls)
        inner = self.selections(node.selection_set, _field_type(parent, name), depth + 1)
        cost_total = min(calls + items * (each + inner.cost), CAP)
        return Measure(max(inner.depth, depth + 1), min(aliases + inner.aliases, CAP), cost_total)

    def _resolve(self, cost: FieldCost, node: FieldNode) -> tuple[int, int, int]:
        def arguments() -> Arguments:
            return {
                argument.name.value: _untyped(argument.value, self.variables)
                for argument in node.arguments or ()
            }

        return cost.resolve(arguments)


def _field_type(parent: Any, name: str) -> Any:
    if not isinstance(parent, GraphQLObjectType):
        return None
    field = parent.fields.get(name)
    return None if field is None else get_named_type(field.type)


def _dependency_order(fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """Fragment names, each after the fragments it spreads (iterative: no recursion limit)."""
    spreads = {name: _spreads(fragment.selection_set) for name, fragment in fragments.items()}
    order: list[str] = []
    state: dict[str, int] = {}  # 1: being visited, 2: done
    for start in fragments:
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, list(spreads[start]))]
        state[start] = 1
        while stack:
            name, pending = stack[-1]
            if pending:
                child = pending.pop()
                if child in fragments and not state.get(child):  # 1 = a cycle: skipped
                    state[child] = 1
                    stack.append((child, list(spreads[child])))
                continue
            stack.pop()
            state[name] = 2
            order.append(name)
    return order


def _spreads(selection_set: SelectionSetNode) -> set[str]:
    names: set[str] = set()
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.add(selection.name.value)
            elif isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set:
                stack.append(selection.selection_set)
    return names
