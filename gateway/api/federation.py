"""The gateway as a Federation v2 subgraph (GATEWAY_FEDERATION=on): Contact, Agent and Queue
are entities a supergraph (Apollo Router or Gateway, Hive Gateway, Cosmo) can join on.

- **Keys.** `Contact @key(fields: "arn") @key(fields: "id instanceId")`, `Agent` the same,
  `Queue @key(fields: "queueArn") @key(fields: "queueId instanceId")`. A representation
  without `instanceId` names the default instance. The keys (and the `instanceId` field
  Agent and Queue carry only here) are added to this schema's copies of the three types'
  definitions (`FederatedSchema`), so the schema without federation stays as it is.
- **`_entities`** resolves each representation like `contact(contactId:, instanceId:)`:
  the same checks before any call (the caller's scopes and instances, per representation:
  a refused one is null with FORBIDDEN, its siblings answer), the same loaders (N
  representations of one contact: one DescribeContact; a warm one: none), cost (each
  representation costs like `contact`, COSTS["Query._entities"]), audit and response cache.
- **`_service { sdl }`** is Strawberry's federation printer: the SDL with its `@link` to
  the federation spec.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, cast

import strawberry
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.types.base import StrawberryObjectDefinition

from gateway.api import inputs
from gateway.api.contact import Agent, Contact, Queue, load_contact, load_directory
from gateway.api.context import Info
from gateway.api.members import Node, Place
from gateway.api.permissions import check_read
from gateway.api.query import Query
from gateway.core.errors import BadUserInput
from gateway.data.kinds import AGENT, QUEUE, Kind

__all__ = ["ENTITIES", "MAX_REPRESENTATIONS", "FederatedQuery", "entity_definition"]

MAX_REPRESENTATIONS = 100
"""The most representations one `_entities` resolves (as `contacts` takes 100 IDs)."""

_ARN = re.compile(r"^(arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance/[^/]+)/([a-z-]+)/([^/]+)$")


@dataclasses.dataclass(frozen=True)
class Entity:
    """One entity type: its ARN member and the segment its ARNs name it by, its ID member,
    and how one is loaded (`load(info, instance, id)`)."""

    arn: str
    segment: str
    id: str
    load: Callable[[Info, str, str], Awaitable[Any]]

    @property
    def keys(self) -> tuple[str, str]:
        return self.arn, f"{self.id} instanceId"


def _directory(kind: Kind, type_: type[Node], what: str) -> Callable[..., Awaitable[Any]]:
    async def load(info: Info, instance: str, entity_id: str) -> Any:
        record = await load_directory(info.context.loaders[kind], instance, entity_id, what)
        return type_.of(record, Place(instance))

    return load


ENTITIES: dict[str, Entity] = {
    "Contact": Entity("arn", "contact", "id", load_contact),
    "Agent": Entity("arn", "agent", "id", _directory(AGENT, Agent, "agent")),
    "Queue": Entity("queueArn", "queue", "queueId", _directory(QUEUE, Queue, "queue")),
}
"""The entity types by GraphQL name. Connect's user ARNs name an agent `.../agent/<id>`."""


@strawberry.type
class _InInstance:
    @strawberry.field(description="The Amazon Connect instance it belongs to.")
    def instance_id(self) -> strawberry.ID:
        return strawberry.ID(self._instance)  # type: ignore[attr-defined]


_INSTANCE_FIELD = _InInstance.__strawberry_definition__.fields[0]  # type: ignore[attr-defined]


def entity_definition(definition: StrawberryObjectDefinition) -> StrawberryObjectDefinition:
    """The definition the federated schema builds for `definition`: an entity type's with
    its keys (and an `instanceId` field when it has none), any other as it is."""
    entity = ENTITIES.get(definition.name)
    if entity is None:
        return definition
    fields = list(definition.fields)
    if not any(field.python_name == "instance_id" for field in fields):
        fields.append(_INSTANCE_FIELD)
    keys = [Key(fields=key) for key in entity.keys]  # type: ignore[arg-type]
    origin = definition.origin
    return dataclasses.replace(
        definition,
        directives=[*(definition.directives or ()), *keys],
        fields=fields,
        # Strawberry tells a union's member by definition identity, which a copy lacks.
        is_type_of=lambda value, _info: isinstance(value, origin),
    )


def _reference(representation: Any, info: Info) -> tuple[Entity, str, str]:
    """(entity, instance, id) a representation names, once the caller may read it."""
    if not isinstance(representation, dict):
        raise BadUserInput("a representation must be an object with __typename and a key")
    typename = representation.get("__typename")
    entity = ENTITIES.get(typename) if isinstance(typename, str) else None
    if entity is None:
        raise BadUserInput(f"__typename must be one of {', '.join(ENTITIES)} (got {typename!r})")
    settings = info.context.settings
    arn, entity_id = representation.get(entity.arn), representation.get(entity.id)
    if isinstance(arn, str):
        match = _ARN.match(arn)
        if match is None or match.group(2) != entity.segment:
            raise BadUserInput(f"{entity.arn} is not the ARN of a Connect {entity.segment}")
        instance = inputs.instance_id(match.group(1), settings)
        entity_id = match.group(3)
    elif isinstance(entity_id, str):
        given = representation.get("instanceId")
        if given is not None and not isinstance(given, str):
            raise BadUserInput("instanceId must be a string")
        instance = inputs.instance_id(given, settings)
    else:
        raise BadUserInput(
            f"a {typename} representation needs {entity.arn}, or {entity.id} (and instanceId)"
        )
    check_read(info.context.caller, instance)
    return entity, instance, inputs.contact_id(entity_id, entity.id)


async def _resolve(representation: Any, info: Info) -> Any:
    entity, instance, entity_id = _reference(representation, info)
    return await entity.load(info, instance, entity_id)


_EntityUnion = Annotated[Contact | Agent | Queue, strawberry.union("_Entity")]


@strawberry.type(name="Query")
class FederatedQuery(Query):
    @strawberry.field(
        name="_entities",
        description=(
            "The entities a supergraph's router asks for by key (Apollo Federation), in the "
            f"order asked, at most {MAX_REPRESENTATIONS}; null (with its error at its index) "
            "for one that is refused or Connect does not have."
        ),
    )
    def entities(
        self, info: Info, representations: list[FederationAny]
    ) -> list[_EntityUnion | None]:
        if len(representations) > MAX_REPRESENTATIONS:
            raise BadUserInput(
                f"_entities takes at most {MAX_REPRESENTATIONS} representations "
                f"(got {len(representations)})"
            )
        # Awaitables, not values: each one completes (or fails) at its own index.
        items = [_resolve(representation, info) for representation in representations]
        return cast(list[Contact | Agent | Queue | None], items)
