"""Replicas of the data path without the HTTP edge: a real entity store on the emulator,
with its cache, coordinator and invalidations on a real Redis (or memory)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.connect import ConnectClient
from gateway.connect.quota import Quota
from gateway.core.settings import Settings
from gateway.data.cache import Cache
from gateway.data.invalidation import Invalidations
from gateway.data.store import EntityStore
from gateway.observability.metrics import Metrics
from gateway.shared.coordination import Coordinator

__all__ = ["StoreFor", "close", "replica", "store_factory"]

StoreFor = Callable[[Cache], EntityStore]
Replica = tuple[Cache, EntityStore, Invalidations]


def store_factory(emulator_url: str, quota: Quota | None = None, **settings: Any) -> StoreFor:
    """Makes entity stores that call the emulator at `emulator_url`."""
    values = {
        "instance_id": "unused",
        "auth": "none",
        "connect_endpoint_url": emulator_url,
        "connect_max_attempts": 1,
        "quota_rate": "off",
    } | settings

    def make(cache: Cache) -> EntityStore:
        metrics = Metrics()
        connect = ConnectClient.from_settings(
            Settings(**values), lambda _: quota or Quota(None, 0), metrics
        )
        return EntityStore(connect, cache, cache.coordinator, Settings(**values), metrics)

    return make


async def replica(
    store_for: StoreFor, url: str | None, namespace: str, redis_timeout: float = 0.5
) -> Replica:
    """A replica: memory only (url None), or sharing the Redis at `url`."""
    cache = Cache(Coordinator(url or "memory://", namespace, redis_timeout))
    store = store_for(cache)
    invalidations = Invalidations(url, namespace, redis_timeout)
    invalidations.subscribe(store.drop_local, copies=True)
    invalidations.on_resubscribed(store.drop_all_local)
    invalidations.on_publish(store.drop_shared)
    await invalidations.start()
    return cache, store, invalidations


async def close(*replicas: Replica) -> None:
    for cache, _, invalidations in replicas:
        await invalidations.close()
        await cache.close()
        await cache.coordinator.close()
