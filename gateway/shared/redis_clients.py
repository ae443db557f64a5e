"""Redis clients for the shared store: one Redis, or a Redis Cluster (ElastiCache
Serverless and cluster-mode ElastiCache, MemoryDB, Valkey, Redis OSS Cluster), chosen by
GATEWAY_CACHE_CLUSTER: `on`, `off`, or `auto` (ask the node: `INFO cluster`).

In cluster mode, redis-py's asyncio `RedisCluster` starts from the one node of the URL (an
ElastiCache configuration endpoint is one name), follows MOVED and ASK, refreshes the
topology after a failover, and serves whatever slots are reachable (no full coverage
needed: a failed primary degrades only its slots). TLS (`rediss://`), ACL users and
passwords come from the URL as for one Redis; a database other than 0 does not exist there.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlparse

import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

__all__ = ["ClusterSetting", "Unavailable", "check_database", "detect_cluster", "make_client"]

ClusterSetting = Literal["auto", "on", "off"]


class Unavailable(Exception):
    """Redis is not configured, down, or did not answer in time."""


def database_of(url: str) -> int:
    path = urlparse(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def check_database(url: str) -> None:
    """ValueError when `url` names a database other than 0, which a cluster has not."""
    if database_of(url) != 0:
        raise ValueError(
            f"GATEWAY_CACHE_URL names database {database_of(url)}, but a Redis Cluster has "
            "only database 0: drop the /N from the URL"
        )


async def detect_cluster(url: str, setting: ClusterSetting, socket_timeout: float) -> bool:
    """Whether the Redis at `url` is (to be used as) a cluster; for `auto`, asks it
    (raises redis errors while it cannot be reached)."""
    if setting != "auto":
        return setting == "on"
    # Database 0: a cluster refuses SELECT, and says so less clearly than check_database.
    node = urlparse(url)._replace(path="/0").geturl()
    client = redis.Redis.from_url(
        node, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
    )
    try:
        info = await client.info("cluster")
    finally:
        await client.aclose()
    return bool(int(info.get("cluster_enabled", 0)))


def make_client(url: str, *, cluster: bool, timeout: float | None) -> Any:
    """A client for `url`: every socket bounded by `timeout` (None: none, for pub/sub)."""
    # One try, bounded: the caller falls back. Except that a pooled connection Redis
    # closed (it restarted) is replaced and the command sent again at once: that is not
    # Redis failing, and each one found would otherwise mark it down anew.
    retry = Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
    if cluster:
        check_database(url)
        return RedisCluster.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            require_full_coverage=False,
            retry=retry,
        )
    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=retry
    )
