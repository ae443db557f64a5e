"""The Redis connection, and the coordination between replicas on it: leases (one replica
fetches an entity, the others wait for what it stores) and atomic scripts (the quota).

Redis is an optimisation, never a dependency. Every call is bounded by `timeout` (socket
timeouts, and a deadline around the whole call, so a Redis that accepts and never answers
costs at most that); a failing call marks Redis down for a few seconds, during which calls
fail at once with `Unavailable` and each user falls back on its own (the cache to process
memory, the quota to this replica's share, a lease to fetching itself).

Keys: a cached value `K` lives at `<ns>:{K}`, its lease at `<ns>:lease:{K}` and its
generation at `<ns>:gen:{K}`: one hash tag, so the three share a Redis Cluster slot (a
script may touch them together) while different entities spread over every slot. What a
lease holds, and how it is released, is gateway/shared/lease.py's.

The generation counts invalidations of a key (`invalidate`: delete the value, add one, in
one script). A fetch reads it when it takes the lease; `store` writes the fetched value as
fresh only if the generation is still the one read, atomically, else as overtaken (only
where nothing newer is stored): a value fetched before an event is never stored as fresh
after it. No clock is compared across replicas.

Only connection errors and timeouts mean "Redis down"; any other error (a script's, the
server's) is a bug: logged and counted, that call fails, the next one tries again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import redis.asyncio as redis

from gateway.core.errors import (
    GatewayError,
    UpstreamUnavailable,
)
from gateway.shared.lease import Lease
from gateway.shared.redis_clients import ClusterSetting, Unavailable, detect_cluster, make_client

__all__ = ["RETRY_SECONDS", "Coordinator", "Lease", "Unavailable"]

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_SECONDS = 5.0
"""How long Redis is left alone after a failure (then the next call tries it again)."""
_LEASE = (
    "local mine = redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) "
    "local generation = redis.call('get', KEYS[2]) or '0' "
    "if mine then return {1, generation} end return {0, generation}"
)
_STORE = (
    "if (redis.call('get', KEYS[2]) or '0') == ARGV[1] then "
    "redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[4]) return 1 end "
    "redis.call('set', KEYS[1], ARGV[3], 'EX', ARGV[4], 'NX') return 0"
)
_REPLACE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3]) "
    "redis.call('incr', KEYS[2]) redis.call('expire', KEYS[2], ARGV[4]) return 1 end return 0"
)
_CREATE = (
    "if redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX') then "
    "redis.call('incr', KEYS[2]) redis.call('expire', KEYS[2], ARGV[3]) return 1 end return 0"
)
_INVALIDATE = (
    "redis.call('del', KEYS[1]) local generation = redis.call('incr', KEYS[2]) "
    "redis.call('expire', KEYS[2], ARGV[1]) return generation"
)
_GENERATION_SECONDS = 86_400  # outlives any fetch in flight; a lost count only overtakes
_DOWN_ERRORS = (redis.ConnectionError, redis.TimeoutError, TimeoutError, OSError)


class Coordinator:
    def __init__(
        self,
        url: str,
        namespace: str,
        timeout: float,
        on_failure: Callable[[str], None] = lambda kind: None,
        cluster: ClusterSetting = "off",
    ) -> None:
        self.namespace, self.timeout = namespace, timeout
        self._on_failure = on_failure
        self._background: set[asyncio.Task[Any]] = set()
        self.shared = not url.startswith("memory://")
        self._url, self._cluster_setting = url, cluster
        self.cluster: bool | None = None if self.shared else False  # None: not asked yet
        self._client: Any = None
        self._connecting = asyncio.Lock()
        self._down_until = 0.0
        self._failed_at = -1.0
        # In a cluster, a node that fails is left alone by itself: the others' slots serve.
        self._nodes_down: dict[str, float] = {}
        self._last_failure: tuple[float, str] | None = None
        # redis-py's registered scripts, by their text: EVALSHA, loading the script where
        # a node does not have it yet (a new primary after a failover included).
        self._scripts: dict[str, Any] = {}

    @property
    def degraded(self) -> bool:
        """True while Redis (or, in a cluster, one of its nodes) is configured but failing."""
        now = time.monotonic()
        return self._down_until > 0 or any(until > now for until in self._nodes_down.values())

    def failing(self) -> str | None:
        """What failed in shared operations lately (connection, timeout, error), if any:
        for /readyz, which must not say ok while PING answers and every GET fails."""
        if self._last_failure is not None:
            at, kind = self._last_failure
            if time.monotonic() - at < RETRY_SECONDS:
                return kind
        return "connection" if self.degraded else None

    async def cluster_mode(self) -> bool:
        """Whether the shared store is a cluster (asking it if need be); Unavailable while
        that cannot be known."""
        await self._connected()
        return bool(self.cluster)

    async def connect(self) -> None:
        """Asks the node whether it is a cluster (GATEWAY_CACHE_CLUSTER=auto) and builds
        the client; ValueError for a configuration a cluster refuses (database other than
        0). Unreachable: the next call tries again. Nothing to do with `memory://`."""
        if not self.shared:
            return
        try:
            await self._connected()
        except Unavailable:
            log.warning("Redis not reachable at start-up: each replica on its own until it is")

    def key(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    def tagged(self, key: str, role: str | None = None) -> str:
        """The Redis key of cache key `key` (role None), or of its `lease` or `gen`."""
        return (
            f"{self.namespace}:{{{key}}}" if role is None else f"{self.namespace}:{role}:{{{key}}}"
        )

    async def _connected(self) -> Any:
        if self._client is not None:
            return self._client
        if not self.shared:
            raise Unavailable("not configured")
        async with self._connecting:
            if self._client is None:
                try:
                    self.cluster = await asyncio.wait_for(
                        detect_cluster(self._url, self._cluster_setting, self.timeout),
                        self.timeout * 2,
                    )
                except _DOWN_ERRORS as error:
                    self._failed("connect", error)
                    raise Unavailable("connect") from error
                client = make_client(self._url, cluster=self.cluster, timeout=self.timeout)
                if self.cluster:
                    # The topology first: commands racing redis-py's own first look at
                    # it fail with connection errors.
                    try:
                        await asyncio.wait_for(client.initialize(), self.timeout * 4)
                    except (*_DOWN_ERRORS, redis.RedisError) as error:
                        self._failed("connect", error)
                        await client.aclose()
                        raise Unavailable("connect") from error
                    log.info("the shared store is a Redis Cluster")
                self._client = client
        return self._client

    async def run(
        self,
        what: str,
        call: Callable[[Any], Awaitable[T]],
        *,
        force: bool = False,
        key: str | None = None,
    ) -> T:
        """`call(client)`, bounded; Unavailable when Redis is not there (now). `force`
        tries even while Redis is left alone after a failure. `key`, the Redis key the call
        is about: in a cluster, only its node's failures keep it from trying."""
        started = time.monotonic()
        if not self.shared or (started < self._down_until and not force):
            raise Unavailable(what)
        client = await self._connected()
        node = self._node(client, key)
        if node is not None and started < self._nodes_down.get(node, 0) and not force:
            raise Unavailable(what)
        try:
            result = await asyncio.wait_for(call(client), self.timeout)
        except _DOWN_ERRORS as error:
            self._failed(what, error, node)
            raise Unavailable(what) from error
        except Exception as error:
            self._on_failure("error")
            self._last_failure = (time.monotonic(), "error")
            log.error("Redis %s failed: %s: %s", what, type(error).__name__, error)
            raise Unavailable(what) from error
        if node is not None:
            self._nodes_down.pop(node, None)
        if started > self._failed_at:
            # Only a call begun after the last failure says Redis is back: one in flight
            # across the failure must not end the fallback a moment after it began.
            self._recovered()
        return result

    async def eval(self, script: str, keys: list[str], *args: Any, force: bool = False) -> Any:
        def call(client: Any) -> Any:
            registered = self._scripts.get(script)
            if registered is None:
                registered = self._scripts[script] = client.register_script(script)
            return registered(keys=keys, args=args, client=client)

        return await self.run("script", call, force=force, key=keys[0] if keys else None)

    def _node(self, client: Any, key: str | None) -> str | None:
        """The name of the cluster node serving `key` now (None: not a cluster)."""
        if not self.cluster or key is None:
            return None
        try:
            return str(client.get_node_from_key(key).name)
        except Exception:  # topology not known yet: the call itself will tell
            return None

    async def store(
        self, key: str, generation: str | None, fresh: str, overtaken: str, seconds: int
    ) -> bool:
        """Writes cache key `key`: `fresh` if its generation is still `generation` (None:
        unknown), else `overtaken` where nothing is stored; True for fresh. Unavailable
        while Redis is."""
        stored = await self.eval(
            _STORE,
            [self.tagged(key), self.tagged(key, "gen")],
            generation if generation is not None else "unknown",
            fresh,
            overtaken,
            seconds,
        )
        return bool(stored)

    async def create(self, key: str, value: str, seconds: int) -> bool:
        """Writes cache key `key` where nothing is stored, moving its generation on (a
        fetch begun before stores what it got as overtaken); False when one was."""
        created = await self.eval(
            _CREATE,
            [self.tagged(key), self.tagged(key, "gen")],
            value,
            seconds,
            _GENERATION_SECONDS,
        )
        return bool(created)

    async def replace(self, key: str, expected: bytes, value: str, seconds: int) -> bool:
        """Writes cache key `key` if it still holds `expected`, and moves on its generation
        (so that a fetch begun before stores what it got as overtaken); False when another
        write came first."""
        replaced = await self.eval(
            _REPLACE,
            [self.tagged(key), self.tagged(key, "gen")],
            expected,
            value,
            seconds,
            _GENERATION_SECONDS,
        )
        return bool(replaced)

    async def invalidate(self, keys: list[str]) -> None:
        """Deletes cache keys `keys` and moves on their generations (one script per key:
        each key's own slot); Unavailable if any failed."""
        results = await asyncio.gather(
            *(
                self.eval(_INVALIDATE, [self.tagged(k), self.tagged(k, "gen")], _GENERATION_SECONDS)
                for k in keys
            ),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def ping(self) -> bool:
        """True when Redis answers now (False when not configured), for /readyz."""
        if not self.shared:
            return False
        self._down_until = min(self._down_until, time.monotonic())  # try, even if down
        try:
            await self.run("ping", lambda c: c.ping())
        except Unavailable:
            return False
        return True

    @asynccontextmanager
    async def lease(self, key: str, seconds: float) -> AsyncIterator[Lease]:
        """A lease on `key` across replicas for at most `seconds`: `mine` when this process
        holds it (or Redis is not there: then every replica fetches for itself)."""
        lease = Lease(self, self.tagged(key, "lease"), uuid.uuid4().hex)
        millis = max(1, int(seconds * 1000))
        lease.expires = time.monotonic() + seconds
        try:
            mine, generation = await self.eval(
                _LEASE, [lease.name, self.tagged(key, "gen")], lease.token, millis
            )
        except Unavailable:
            # Perhaps set all the same (a timeout after Redis ran it): released as ours.
            lease.mine = True
        else:
            lease.mine = bool(mine)
            lease.generation = (
                generation.decode() if isinstance(generation, bytes) else str(generation)
            )
        try:
            yield lease
        except GatewayError as error:
            if lease.mine:
                await lease.fail(error)
            raise
        except BaseException:
            if lease.mine:
                await lease.fail(UpstreamUnavailable("the replica fetching it failed"))
            raise
        else:
            if lease.mine:
                await lease.release()

    def later(self, work: Awaitable[Any]) -> None:
        """Runs `work` in the background, kept until done (closing waits for nothing)."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._client is not None:
            try:
                await self._client.aclose()
            except Exception as error:
                log.warning("Redis close failed: %s", type(error).__name__)

    def _failed(self, what: str, error: Exception, node: str | None = None) -> None:
        kind = "timeout" if isinstance(error, TimeoutError | redis.TimeoutError) else "connection"
        self._on_failure(kind)
        self._last_failure = (time.monotonic(), kind)
        if node is not None:
            if self._nodes_down.get(node, 0) < time.monotonic():
                log.warning(
                    "Redis node %s failed (%s): its slots on their own until it is back",
                    node,
                    type(error).__name__,
                )
            self._nodes_down[node] = time.monotonic() + RETRY_SECONDS
            return
        if not self.degraded:
            log.warning(
                "Redis %s failed (%s): each replica on its own until it is back",
                what,
                type(error).__name__,
            )
        self._failed_at = time.monotonic()
        self._down_until = self._failed_at + RETRY_SECONDS

    def _recovered(self) -> None:
        if self.degraded:
            log.warning("Redis is answering again")
        self._down_until = 0.0
