"""The entity store: Connect's entities from the cache, else from Connect, one upstream
call per key at a time in the process (single-flight).

Below the per-request loaders and above the Connect client: it knows neither GraphQL
nor boto3. Each kind of entity has its own freshness: a contact that has ended changes
rarely and is kept longer than an active one; agents and queues change rarely; an entity
Connect does not have is remembered briefly (negative caching).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gateway.cache import Cache
from gateway.connect import ConnectClient
from gateway.errors import NotFound
from gateway.flights import SingleFlight
from gateway.settings import Settings

__all__ = ["AGENT", "ATTRIBUTES", "CONTACT", "QUEUE", "REFERENCES", "EntityStore", "Kind"]


@dataclass(frozen=True)
class Kind:
    """A kind of entity: how to fetch one by (instance, id), and how long to keep it."""

    name: str
    fetch: Callable[[ConnectClient, str, str], Awaitable[Any]]
    ttl: Callable[[Settings, Any], float]

    def key(self, instance_id: str, entity_id: str) -> str:
        return f"{self.name}:v1:{instance_id}:{entity_id}"


def _contact_ttl(settings: Settings, record: Any) -> float:
    if record.get("DisconnectTimestamp"):
        return settings.ttl_ended_seconds
    return settings.ttl_active_seconds


CONTACT = Kind("contact", ConnectClient.describe_contact, _contact_ttl)
AGENT = Kind("agent", ConnectClient.describe_user, lambda s, _: s.ttl_directory_seconds)
QUEUE = Kind("queue", ConnectClient.describe_queue, lambda s, _: s.ttl_directory_seconds)
ATTRIBUTES = Kind(
    "attributes", ConnectClient.get_contact_attributes, lambda s, _: s.ttl_contact_data_seconds
)
REFERENCES = Kind(
    "references", ConnectClient.list_contact_references, lambda s, _: s.ttl_contact_data_seconds
)


class EntityStore:
    def __init__(self, connect: ConnectClient, cache: Cache, settings: Settings) -> None:
        self.connect = connect
        self._cache = cache
        self._settings = settings
        self._flights: SingleFlight[Any] = SingleFlight()

    async def get(self, kind: Kind, instance_id: str, entity_id: str) -> Any | None:
        """The entity, or None when Connect has no such entity in that instance."""
        key = kind.key(instance_id, entity_id)
        entry = await self._cache.get(key)
        if entry is not None:
            return entry["value"]
        return await self._flights.run(key, lambda: self._fill(kind, key, instance_id, entity_id))

    async def _fill(self, kind: Kind, key: str, instance_id: str, entity_id: str) -> Any | None:
        # Read again inside the flight: a flight that ended between our miss and now has
        # filled the cache, and a second upstream call would be waste.
        entry = await self._cache.get(key)
        if entry is not None:
            return entry["value"]
        try:
            value = await kind.fetch(self.connect, instance_id, entity_id)
        except NotFound:
            value = None
        ttl = (
            self._settings.ttl_not_found_seconds
            if value is None
            else kind.ttl(self._settings, value)
        )
        await self._cache.set(key, {"value": value}, ttl)
        return value
