"""Connect's structures as GraphQL objects: the runtime behind `gateway/api/generated.py`.

A `Node` is a view of one JSON record (Connect's member names) and each generated field
reads one member, converted by the member's shape in botocore's model: structures become
nodes, lists and maps are converted element by element (maps into key/value entries),
timestamps into datetimes, enum strings into enums (UNRECOGNIZED for a value newer than
this gateway). A member field is a plain attribute to GraphQL (graphql-core's default
resolution reads it, with no resolver of ours in between): the node converts the member
the first time the attribute is read (`__getattr__`) and keeps it, so a query pays only for
what it selects, and once; the node of a complete record is kept across requests while the
cache hands out that same record (`Node.of`), so a warm contact is converted once per process.

A node may hold a *summary* (SearchContacts answers ContactSearchSummary, a subset of
Contact): a member the summary's shape has is read from it; a member it lacks is read from
the complete record, loaded once through `_complete` (the per-request contact loader).
"""

from __future__ import annotations

import functools
import inspect
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, ClassVar, NewType, TypeVar

import strawberry
from strawberry.types.scalar import ScalarDefinition

from gateway.api.enums import enum_value
from gateway.api.personal import PERSONAL_NOTE, PersonalData
from gateway.connect.model import Shape, doc, model
from gateway.core.records import Record
from gateway.data.cache import DECODED, when_dropped
from gateway.data.kinds import Kind

__all__ = [
    "LOADS",
    "SCALARS",
    "Long",
    "Node",
    "Place",
    "loads",
    "member",
    "registered",
    "resolved",
    "shape",
]

T = TypeVar("T")
Loader = Callable[[], Awaitable[Any]]
Convert = Callable[[Any, "Place"], Any]

Long = NewType("Long", int)
"""Connect's 64-bit integers; the schema maps it to the `Long` scalar (`SCALARS`)."""

SCALARS: dict[object, ScalarDefinition] = {
    Long: strawberry.scalar(
        name="Long",
        description="A 64-bit integer (Connect's long), as a JSON number.",
        serialize=int,
        parse_value=int,
    )
}

_MEMBER = "gateway.member"  # a member field's metadata: (shape, member name)
_TYPES: dict[str, type[Any]] = {}
_ENUMS: dict[str, type[Enum]] = {}


def shape(name: str) -> Callable[[type[T]], type[T]]:
    """Registers the GraphQL type (object or enum) for a shape of Connect's model, so that
    values of that shape convert to it. Stacked on strawberry's own decorator."""

    def register(cls: type[T]) -> type[T]:
        if issubclass(cls, Enum):
            _ENUMS[name] = cls
        else:
            _TYPES[name] = cls
            if issubclass(cls, Node):
                cls._readers = _readers(cls)
        return cls

    return register


def registered(shape: str) -> type[Any]:
    return _TYPES[shape]


def _readers(cls: type[Node]) -> dict[str, tuple[str, Convert]]:
    readers: dict[str, tuple[str, Convert]] = {}
    for field in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        where = field.metadata.get(_MEMBER)
        if where is not None:
            shape, name = where
            readers[field.python_name] = (name, converter(model().shape_for(shape).members[name]))
    return readers


# The nodes of the last records read, by record identity (the record is held with its
# node, so its id cannot be reused while the entry lives). The cache hands out the same
# record object while an entry is unchanged (gateway/data/cache.py), so a warm contact's members
# are converted once per process, not once per request. Only complete records: a summary's
# node holds a request's loader.
_kept: OrderedDict[tuple[type[Any], str, int], tuple[Record, Any]] = OrderedDict()
# The keys of `_kept` by record identity: when the cache drops a record (a newer one replaced
# it, or it was evicted), its nodes go too. Kept past that, the old records of refetched
# contacts stayed alive until DECODED newer nodes pushed them out (issue 31's growth).
_kept_by_record: dict[int, list[tuple[type[Any], str, int]]] = {}


def _forget_nodes(value: Any) -> None:
    """Drops the nodes of a record the cache no longer hands out (a list's: its items')."""
    for record in value if isinstance(value, list) else (value,):
        for key in _kept_by_record.pop(id(record), ()):
            _kept.pop(key, None)


when_dropped(_forget_nodes)


def _keep(key: tuple[type[Any], str, int], record: Record, node: Any) -> None:
    if key not in _kept:
        _kept_by_record.setdefault(key[2], []).append(key)
    _kept[key] = (record, node)
    while len(_kept) > DECODED:
        oldest, _ = _kept.popitem(last=False)
        keys = _kept_by_record.get(oldest[2])
        if keys is not None:
            keys.remove(oldest)
            if not keys:
                del _kept_by_record[oldest[2]]


@dataclass(frozen=True)
class Place:
    """Where a value sits: its instance and, for a summary, how to get the complete value."""

    instance: str
    summary: Shape | None = None
    complete: Loader | None = None


@strawberry.type
class Node:
    _record: strawberry.Private[Record]
    _instance: strawberry.Private[str]
    _summary: strawberry.Private[Shape | None] = None
    _complete: strawberry.Private[Loader | None] = None
    _place: strawberry.Private[Place | None] = None
    # Python field name -> (member name, converter); filled by `shape` for each type.
    _readers: ClassVar[dict[str, tuple[str, Convert]]] = {}

    @classmethod
    def of(cls: type[T], record: Record | None, place: Place) -> T | None:
        if record is None:
            return None
        shared = place.summary is None and place.complete is None
        if shared:
            kept = _kept.get((cls, place.instance, id(record)))
            if kept is not None and kept[0] is record:
                _kept.move_to_end((cls, place.instance, id(record)))
                return kept[1]  # type: ignore[no-any-return]
        # Not the dataclass __init__: every member is an attribute read on first use.
        node: Any = cls.__new__(cls)
        node._record = record
        node._instance = place.instance
        node._summary = place.summary
        node._complete = place.complete
        node._place = Place(place.instance) if place.summary is not None else place
        if shared:
            _keep((cls, place.instance, id(record)), record, node)
        return node  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        # Only called for an attribute not set yet: a member field read the first time.
        reader = type(self)._readers.get(name)
        if reader is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        value = self.read(*reader)
        if not inspect.isawaitable(value):
            self.__dict__[name] = value
        return value

    def read(self, name: str, convert: Convert) -> Any:
        """Member `name` converted; an awaitable when it must come from the complete record."""
        if self._summary is None or self._complete is None:
            return convert(self._record.get(name), self._place or Place(self._instance))
        sub = self._summary.members.get(name)  # type: ignore[attr-defined]
        if sub is None:
            return self._read_complete(name, convert)
        complete = self._complete

        async def complete_member() -> Any:
            full = await complete()
            return None if full is None else full.get(name)

        return convert(self._record.get(name), Place(self._instance, sub, complete_member))

    async def raw(self, name: str) -> Any:
        """Member `name` as Connect sent it (JSON), from the complete record if need be."""
        return await resolved(self.read(name, _plain))

    async def _read_complete(self, name: str, convert: Convert) -> Any:
        assert self._complete is not None
        full = await self._complete()
        return convert(None if full is None else full.get(name), Place(self._instance))


async def resolved(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def member(shape: str, name: str, field: str, *, personal: bool = False, **options: Any) -> Any:
    """The field `field` for member `name` of `shape`, described by Connect's documentation
    (`options` go to strawberry.field). A map takes a `keys` argument, so it has a resolver;
    any other member is a plain attribute of the node. A `personal` member (classified in
    gateway/api/personal_data.py) answers only callers with the contacts:pii scope."""
    target = model().shape_for(shape).members[name]
    description = doc(shape, name)
    if personal:
        description = f"{description} {PERSONAL_NOTE}"
        options["permission_classes"] = [PersonalData]
    if target.type_name == "map":

        def resolve_map(
            self: Node,
            keys: Annotated[
                list[str] | None,
                strawberry.argument(description="Only the entries with these keys."),
            ] = None,
        ) -> Any:
            return self.read(name, functools.partial(_entries, target, keys))

        return strawberry.field(
            resolver=resolve_map, name=field, description=description, **options
        )

    return strawberry.field(
        name=field, description=description, metadata={_MEMBER: (shape, name)}, **options
    )


@functools.cache
def converter(shape: Shape) -> Convert:
    kind = shape.type_name
    if kind == "structure":
        return functools.partial(_structure, shape)
    if kind == "list":
        return functools.partial(_list, shape)
    if kind == "map":
        return functools.partial(_entries, shape, None)
    if kind == "timestamp":
        return _timestamp
    if kind == "string" and getattr(shape, "enum", None):
        return functools.partial(_enum, shape.name)
    return _plain


def _plain(value: Any, place: Place) -> Any:
    return value


def _timestamp(value: str | None, place: Place) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _enum(shape: str, value: str | None, place: Place) -> Enum | None:
    return enum_value(_ENUMS[shape], value)


def _structure(shape: Shape, value: Record | None, place: Place) -> Any:
    if place.summary is not None and place.summary.name == shape.name:
        place = Place(place.instance)  # the summary has the complete structure
    cls: Any = _TYPES[shape.name]
    return cls.of(value, place)


def _list(shape: Shape, value: list[Any] | None, place: Place) -> list[Any] | None:
    if value is None:
        return None
    element = converter(shape.member)  # type: ignore[attr-defined]
    if place.summary is None or place.complete is None:
        return [element(item, Place(place.instance)) for item in value]
    summary_element = place.summary.member  # type: ignore[attr-defined]
    return [
        element(item, Place(place.instance, summary_element, _element_loader(place.complete, n)))
        for n, item in enumerate(value)
    ]


def _element_loader(complete: Loader, index: int) -> Loader:
    async def load() -> Any:
        full = await complete()
        return full[index] if full is not None and index < len(full) else None

    return load


def _entries(shape: Shape, keys: list[str] | None, value: Record | None, place: Place) -> Any:
    if value is None:
        return None
    entry: Any = _TYPES[f"{shape.name}Entry"]
    convert = converter(shape.value)  # type: ignore[attr-defined]
    summary_value = place.summary.value if place.summary is not None else None  # type: ignore[attr-defined]
    chosen = value if keys is None else {k: value[k] for k in keys if k in value}
    return [
        entry(key=key, value=convert(item, _entry_place(place, summary_value, key)))
        for key, item in chosen.items()
    ]


def _entry_place(place: Place, summary_value: Shape | None, key: str) -> Place:
    if summary_value is None or place.complete is None:
        return Place(place.instance)
    complete = place.complete

    async def load() -> Any:
        full = await complete()
        return None if full is None else full.get(key)

    return Place(place.instance, summary_value, load)


LOADS = "gateway.loads"
"""A field's metadata key: the kind of the one entity its resolver loads
(gateway/api/cost.py counts the kind's `calls` for it)."""


def loads(kind: Kind) -> dict[str, Kind]:
    """The metadata of a field whose resolver loads one `kind` entity:
    `@strawberry.field(metadata=loads(QUEUE))`; its cost is the kind's `calls`."""
    return {LOADS: kind}
