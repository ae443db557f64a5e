"""The composition root: the app's services, built once per process by `build_services`
and handed to every request as one typed object (gateway/http/state.py's `Services`).

What it builds, in order: the Redis coordinator (or none: memory only), the cache, the
quota of each account and region, the Connect client, the response cache, the
invalidations, the entity store, the subscriptions; then what each of them does with an
invalidation (`_listen`), said once, here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from gateway.api.cursors import warn_if_per_process
from gateway.connect import ConnectClient
from gateway.connect.quota import Quota
from gateway.core import memory
from gateway.core.clock import SYSTEM, Clock
from gateway.core.settings import Settings
from gateway.data.cache import Cache
from gateway.data.invalidation import Change, Invalidations
from gateway.data.responses import ResponseCache
from gateway.data.store import EntityStore
from gateway.data.subscriptions import Subscriptions
from gateway.data.writes import Echoes, Writer
from gateway.http.auth import Authenticator
from gateway.http.state import Services
from gateway.observability.metrics import Metrics
from gateway.shared.coordination import Coordinator

__all__ = ["build_services"]

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def build_services(
    settings: Settings, metrics: Metrics, authenticator: Authenticator, clock: Clock = SYSTEM
) -> AsyncIterator[Services]:
    """The services for `settings`, closed (Redis, the Connect client, the metrics' own
    collectors) when the block ends."""
    redis = Coordinator(
        settings.cache_url,
        settings.cache_namespace,
        settings.cache_timeout_seconds,
        on_failure=lambda kind: metrics.shared_store_failures.labels(kind).inc(),
        cluster=settings.cache_cluster,
    )
    await redis.connect()  # a cluster with a database other than 0 stops the start
    cache = Cache(redis, int(settings.memory_cache_mb * 2**20))
    rates = settings.rates
    # Token grants reach Connect with some jitter: keep a little under its quota.
    guarded = (
        None
        if rates is None
        else rates.shared(settings.quota_share).guarded(settings.quota_headroom)
    )

    def quota(scope: str) -> Quota:
        # One guard per account and region: Connect counts each apart. Without Redis,
        # every worker process of every replica keeps to its share.
        return Quota(
            guarded,
            settings.quota_wait_seconds,
            redis,
            replicas=settings.quota_replicas * settings.workers,
            scope=scope,
        )

    # Building boto3 clients reads botocore's model files: keep it off the loop.
    connect = await asyncio.to_thread(ConnectClient.from_settings, settings, quota, metrics, clock)
    responses = (
        ResponseCache(int(settings.response_cache_mb * 2**20), metrics, clock)
        if settings.response_cache
        else None
    )
    invalidations = Invalidations(
        settings.cache_url if cache.shared else None,
        settings.cache_namespace,
        settings.cache_timeout_seconds,
        cluster=redis.cluster_mode,
    )

    async def changed(tags: list[str]) -> None:
        # A fetch that found an entity changed (and stored the new value): every
        # replica drops the responses (and copies) holding the old value.
        await invalidations.publish(Change.of(stored=tags))

    store = EntityStore(connect, cache, redis, settings, metrics, changed, clock)
    subscriptions = Subscriptions(
        settings.max_subscriptions,
        per_caller=settings.max_subscriptions_per_caller,
        connections_per_caller=settings.max_websockets_per_caller,
    )
    await _listen(invalidations, store, responses, subscriptions, metrics)
    warn_if_per_process(settings)
    log.info(
        "gateway ready: instance %s (of %d), cache %s",
        settings.default_instance,
        max(1, len(settings.connect_instances)),
        _safe(settings.cache_url),
    )
    try:
        writer = Writer(connect, store, invalidations, Echoes(cache))
        yield Services(store, cache, responses, invalidations, authenticator, subscriptions, writer)
    finally:
        await invalidations.close()
        await cache.close()
        await redis.close()
        connect.close()
        metrics.close()


async def _listen(
    invalidations: Invalidations,
    store: EntityStore,
    responses: ResponseCache | None,
    subscriptions: Subscriptions,
    metrics: Metrics,
) -> None:
    """What each service does with an invalidation, whichever replica published it: the
    store drops its memory copies, the response cache its answers, subscriptions push
    (after every drop, `reads=True`); in the publishing replica the store also deletes the
    shared Redis entries, once."""
    invalidations.subscribe(metrics.count_invalidations)
    invalidations.subscribe(store.drop_local, copies=True)
    invalidations.subscribe(store.note_changes)  # search pages older than a change
    invalidations.on_resubscribed(store.drop_all_local)
    if responses is not None:
        invalidations.subscribe(responses.drop)
        invalidations.on_resubscribed(responses.clear)
    # Last: what those drops freed goes back to the system, not kept as a high-water mark.
    invalidations.on_resubscribed(memory.release)
    invalidations.subscribe(subscriptions.notify, reads=True)
    invalidations.on_publish(store.drop_shared)
    await invalidations.start()


def _safe(url: str) -> str:
    """The URL without a password, for logs."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
