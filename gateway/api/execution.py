"""Executing a cached document cheaply: graphql-core's executor with three shortcuts.

Most of a warm request is graphql-core visiting the fields of a document it has executed
before, on values the gateway already holds. This module removes the work that repeats:

- **Links resolve directly.** A field whose metadata names a `DIRECT` resolver (the links
  to another contact) gets it as graphql-core's resolver, without strawberry's wrapper.
- **Plain fields read their attribute directly.** A strawberry field with no resolver, no
  permission and no extension (a member of Connect's shapes, `key`/`value` of entries) is
  given a resolver that reads the attribute, instead of strawberry's three-call wrapper.
- **Plain nullable leaves skip the per-field machinery.** For such a field of scalar or
  enum type, `GatewayExecutor.execute_fields` reads the attribute and serializes it without
  building a resolve info, a path or a completion; anything unusual (an error, an
  awaitable, a value the type refuses) takes graphql-core's general path, so the answer
  and its errors are the same as graphql-core's own.
- **Sibling fields that need not wait run without a task.** graphql-core gathers a
  selection's awaitable fields as tasks (a task each, scheduled, stepped, collected); a link
  to a contact the cache holds never actually waits. `gather_eagerly` steps each one here
  first, in a context of its own as a task would have: one that finishes costs no task,
  one that waits goes on in a task from where it stopped.
- **Field collection is memoized across requests** for a document without `@skip`,
  `@include`, `@defer` or `@stream` (then it depends on nothing but the document): each
  selection set is collected once per process, not once per request.

`tests/api/test_execution.py` runs queries through both this executor and graphql-core's plain
one and compares the answers.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import weakref
from collections.abc import Callable
from types import CoroutineType
from typing import Any, NamedTuple

from graphql import (
    DirectiveNode,
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    visit,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList, GroupedFieldSet
from graphql.language import Node, OperationDefinitionNode, Visitor
from graphql.pyutils import Path, gather_with_cancel
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from gateway.api.internals import StrawberryGraphQLCoreExecutionContext, middleware_resolvers
from gateway.api.personal import PersonalData

__all__ = ["DIRECT", "GatewayExecutor", "executor_for"]

DIRECT = "gateway.direct"
"""Field metadata: a resolver graphql-core may call as it is, `(source, info)`, with no
argument of its own and graphql-core's info (`info.context` is the request's Context)."""


class Leaf(NamedTuple):
    """A plain nullable leaf: the Python attribute it reads, how its value is serialized,
    and whether it is personal data (then only a caller allowed to read it is shortcut)."""

    attribute: str
    serialize: Callable[[Any], Any]
    personal: bool


Leaves = dict[str, dict[str, Leaf]]
"""Object type name -> field name -> its plain leaf."""

_CONDITIONAL = frozenset({"skip", "include", "defer", "stream"})


def executor_for(schema: GraphQLSchema) -> type[GatewayExecutor]:
    """Gives the plain fields of `schema` their attribute readers and returns the executor
    class that knows its plain leaves (strawberry's `execution_context_class`)."""
    leaves: Leaves = {}
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for name, field in graphql_type.fields.items():
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(definition, StrawberryField):
                continue
            direct = definition.metadata.get(DIRECT)
            if direct is not None and not definition.extensions:
                field.resolve = direct
                continue
            if definition.base_resolver:
                continue
            if not getattr(field.resolve, "_is_default", False):
                continue  # strawberry wrapped it for a reason of its own (an exception handler)
            personal = _personal_only(definition)
            if not definition.is_basic_field and not personal:
                continue
            if definition.is_basic_field:
                field.resolve = _attribute_reader(definition.python_name)
            if isinstance(field.type, GraphQLScalarType | GraphQLEnumType) and not field.args:
                leaves.setdefault(graphql_type.name, {})[name] = Leaf(
                    definition.python_name, _serializer(field.type), personal
                )
    return type("GatewayExecutor", (GatewayExecutor,), {"leaves": leaves})


def _personal_only(definition: StrawberryField) -> bool:
    """True for a member whose only extension is the personal data permission."""
    return len(definition.extensions) == 1 and all(
        isinstance(extension, PermissionExtension)
        and all(isinstance(p, PersonalData) for p in extension.permissions)
        for extension in definition.extensions
    )


def _serializer(leaf: GraphQLScalarType | GraphQLEnumType) -> Callable[[Any], Any]:
    wrapped = getattr(leaf, "wrapped_cls", None)
    if isinstance(leaf, GraphQLEnumType) and wrapped is not None:
        # strawberry's enum type finds a member's name by scanning its values; a dict
        # lookup gives the same name (None for anything else: the general path answers).
        names = {
            member: name
            for name, value in leaf.values.items()
            for member in wrapped
            if member.value == value.value
        }
        return names.get
    return leaf.serialize


def _attribute_reader(attribute: str) -> Callable[..., Any]:
    def read(source: Any, info: Any) -> Any:
        return getattr(source, attribute)

    return read


class GatewayExecutor(StrawberryGraphQLCoreExecutionContext):
    leaves: Leaves = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        # Resolver middleware (tracing) must see every field: no shortcut then.
        self._shortcuts = middleware is None or middleware_resolvers(middleware) is None
        self._collected = _collections(self.operation, self.fragments) if self._shortcuts else None
        self._personal: bool | None = None

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """graphql-core's `execute_fields`, with plain leaves answered in line."""
        leaves = self.leaves.get(parent_type.name) if self._shortcuts else None
        if not leaves:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                leaf = leaves.get(field_details_list[0].node.name.value)
                if leaf is not None and (not leaf.personal or self._personal_allowed()):
                    value = _plain_leaf(source_value, leaf)
                    if value is not Undefined:
                        results[response_name] = value
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_eagerly([results[f] for f in awaitable_fields])
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _personal_allowed(self) -> bool:
        allowed = self._personal
        if allowed is None:
            allowed = self._personal = PersonalData.allows(self.context_value)
        return allowed

    def collect_subfields(
        self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> CollectedFields:
        collected = self._collected
        if collected is None or any(
            d.defer_usage is not None or d.fragment_variable_values is not None
            for d in field_details_list
        ):
            return super().collect_subfields(return_type, field_details_list)
        key = (return_type.name, *(id(d.node) for d in field_details_list))
        found = collected.get(key)
        if found is None:
            found = collected[key] = super().collect_subfields(return_type, field_details_list)
        return found


async def gather_eagerly(awaitables: list[Any]) -> list[Any]:
    """graphql-core's `gather_with_cancel` (results in order; the first error cancels the
    rest and is raised), each coroutine first run here up to its first wait, in a copy of
    the context (as a task runs it): one that finishes without waiting costs no task and no
    turn of the loop; one that waits goes on in a task, from where it stopped."""
    results: list[Any] = [None] * len(awaitables)
    waiting: dict[int, asyncio.Future[Any]] = {}
    loop = asyncio.get_running_loop()
    for index, awaitable in enumerate(awaitables):
        if not isinstance(awaitable, CoroutineType):
            waiting[index] = asyncio.ensure_future(awaitable)
            continue
        context = contextvars.copy_context()
        try:
            yielded = context.run(awaitable.send, None)
        except StopIteration as done:
            results[index] = done.value
            continue
        except BaseException:
            for rest in awaitables[index + 1 :]:
                if isinstance(rest, CoroutineType):
                    rest.close()  # never started
            for future in waiting.values():
                future.cancel()
            if waiting:
                await asyncio.gather(*waiting.values(), return_exceptions=True)
            raise
        task = loop.create_task(_resumed(awaitable, yielded), context=context)
        task.add_done_callback(functools.partial(_unwind, awaitable))
        waiting[index] = task
    if waiting:
        awaited = await gather_with_cancel(*waiting.values())
        for index, value in zip(waiting, awaited, strict=True):
            results[index] = value
    return results


async def _resumed(coroutine: Any, yielded: Any) -> Any:
    """The rest of `coroutine`, which has just yielded `yielded` (the future it waits on,
    or None for a bare yield) to the event loop: in a task, as if it had run there."""
    while True:
        try:
            await _Yield(yielded)
        except BaseException as error:  # a cancellation, thrown in while it waited
            try:
                yielded = coroutine.throw(error)
            except StopIteration as done:
                return done.value
        else:
            try:
                yielded = coroutine.send(None)
            except StopIteration as done:
                return done.value


def _unwind(coroutine: Any, task: asyncio.Task[Any]) -> None:
    """A task cancelled before its first step never ran `_resumed`: the coroutine, still
    where it stopped, is cancelled here (its handlers and cleanup run, as in a task)."""
    if coroutine.cr_frame is None or coroutine.cr_running:
        return  # it finished (or unwound) in its task
    try:
        coroutine.throw(asyncio.CancelledError())
    except BaseException:  # the cancellation, or whatever it ended with
        return
    coroutine.close()  # it waits again: nothing will ever resume it


class _Yield:
    """Hands a future a coroutine yielded on to the task that now runs it."""

    __slots__ = ("future",)

    def __init__(self, future: Any) -> None:
        self.future = future

    def __await__(self) -> Any:
        yield self.future


def _plain_leaf(source: Any, leaf: Leaf) -> Any:
    """The serialized value, or Undefined for graphql-core's general path to answer."""
    try:
        value = getattr(source, leaf.attribute)
    except Exception:
        return Undefined  # the general path reads it again and reports the error
    if value is None:
        return None
    try:
        serialized = leaf.serialize(value)
    except Exception:
        serialized = None
    if serialized is None or serialized is Undefined:
        close = getattr(value, "close", None)
        if close is not None and hasattr(value, "cr_frame"):
            close()  # a coroutine (a member a summary lacks): the general path awaits its own
        return Undefined
    return serialized


# Field collections per operation, for operations whose collection depends on nothing else.
# The operations come from the parse cache (gateway.api.documents), which keeps their
# documents alive; an operation it forgets drops its collections with it. Keys hold the ids
# of field nodes, which stay those of the same nodes while the operation and the fragments
# (held by the entry) live.
# (AST nodes hash deeply, so entries are keyed by the operation's id and leave with it.)
Collections = dict[tuple[Any, ...], CollectedFields]
_collections_of: dict[int, tuple[weakref.ref[Any], dict[str, Any], Collections | None]] = {}


def _collections(
    operation: OperationDefinitionNode, fragments: dict[str, Any]
) -> Collections | None:
    entry = _collections_of.get(id(operation))
    if entry is None or entry[0]() is not operation:
        key = id(operation)
        definitions = [operation, *(f.definition for f in fragments.values())]
        collected: Collections | None = None if any(_conditional(d) for d in definitions) else {}
        gone = functools.partial(_forget, key)
        entry = _collections_of[key] = (weakref.ref(operation, gone), dict(fragments), collected)
    return entry[2]


def _forget(key: int, reference: weakref.ref[Any]) -> None:
    entry = _collections_of.get(key)
    if entry is not None and entry[0] is reference:
        del _collections_of[key]


def _conditional(node: Node) -> bool:
    """True when collecting the fields of `node` depends on variables or delivery."""
    found = False

    class Finder(Visitor):
        def enter_directive(self, directive: DirectiveNode, *_: Any) -> None:
            nonlocal found
            found = found or directive.name.value in _CONDITIONAL

    visit(node, Finder())
    return found
