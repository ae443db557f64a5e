"""The entity store: contacts from the cache, else from Connect, one call per key at a time.

Below the per-request loaders and above the Connect client: it knows neither GraphQL
nor boto3. A contact that has ended changes rarely and is kept longer than an active
one; a contact Connect does not have is remembered briefly (negative caching).
"""

from __future__ import annotations

from typing import Any

from gateway.cache import Cache
from gateway.connect import ConnectClient, Record
from gateway.errors import NotFound
from gateway.flights import SingleFlight
from gateway.settings import Settings

__all__ = ["ContactStore", "contact_key"]


def contact_key(instance_id: str, contact_id: str) -> str:
    return f"contact:v1:{instance_id}:{contact_id}"


class ContactStore:
    def __init__(self, connect: ConnectClient, cache: Cache, settings: Settings) -> None:
        self._connect = connect
        self._cache = cache
        self._settings = settings
        self._flights: SingleFlight[Record | None] = SingleFlight()

    async def contact(self, instance_id: str, contact_id: str) -> Record | None:
        """The contact, or None when Connect has no such contact in that instance."""
        key = contact_key(instance_id, contact_id)
        entry = await self._cache.get(key)
        if entry is not None:
            return _record(entry)
        return await self._flights.run(key, lambda: self._fill(key, instance_id, contact_id))

    async def _fill(self, key: str, instance_id: str, contact_id: str) -> Record | None:
        # Read again inside the flight: a flight that ended between our miss and now has
        # filled the cache, and a second upstream call would be waste.
        entry = await self._cache.get(key)
        if entry is not None:
            return _record(entry)
        try:
            record: Record | None = await self._connect.describe_contact(instance_id, contact_id)
        except NotFound:
            record = None
        await self._cache.set(key, {"contact": record}, self._ttl(record))
        return record

    def _ttl(self, record: Record | None) -> float:
        if record is None:
            return self._settings.ttl_not_found_seconds
        if record.get("DisconnectTimestamp"):
            return self._settings.ttl_ended_seconds
        return self._settings.ttl_active_seconds


def _record(entry: Any) -> Record | None:
    record: Record | None = entry.get("contact")
    return record
