from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import redis

from gateway.core.clock import SYSTEM, Clock
from gateway.core.settings import Settings
from gateway.emulator import (
    DEMO_INSTANCE_ID,
    SECOND_INSTANCE_ID,
    EmulatorOptions,
    create_emulator_app,
)
from gateway.http.servers import ServerThread
from tests.chains import demo_contacts
from tests.clock import FakeClock
from tests.cluster import Cluster, running_cluster
from tests.stores import StoreFor, store_factory
from tests.support import Emulator, Gateway, running_gateway

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_namespace() -> Iterator[str]:
    """A key prefix of this test's own in the shared Redis, its keys deleted after."""
    name = f"test-{uuid.uuid4().hex}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)
    client.close()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[Cluster]:
    """A real Redis Cluster (3 primaries, 3 replicas), one for the whole run."""
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture(params=["redis", "cluster"])
def shared_url(request: pytest.FixtureRequest, redis_namespace: str) -> Iterator[str]:
    """The shared store's URL: one Redis, then a Redis Cluster (one node's URL, as an
    ElastiCache configuration endpoint): each test using it runs on both."""
    if request.param == "redis":
        yield REDIS_URL
        return
    cluster: Cluster = request.getfixturevalue("redis_cluster")
    yield cluster.url
    client = redis.RedisCluster.from_url(cluster.url)
    for key in client.scan_iter(f"{redis_namespace}:*"):
        client.delete(key)
    client.close()


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[str]:
    with ServerThread(create_emulator_app(EmulatorOptions())) as server:
        yield server.url


@pytest.fixture
def emulator(emulator_server: str) -> Iterator[Emulator]:
    """The shared emulator, its counters and faults reset for this test."""
    client = Emulator(emulator_server)
    client.reset()
    yield client
    client.reset()
    client.http.close()


@pytest.fixture
def settings_for(emulator: Emulator) -> Callable[..., Settings]:
    """Settings for a gateway in front of the emulator, with its own cache namespace."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "instance_id": DEMO_INSTANCE_ID,
            "allowed_instances": (DEMO_INSTANCE_ID, SECOND_INSTANCE_ID),
            "connect_endpoint_url": emulator.url,
            "cache_namespace": f"test-{uuid.uuid4().hex}",
            "connect_max_attempts": 1,
            "quota_rate": "off",  # tests of the quota guard turn it on
            "auth": "none",  # like demo mode; tests of authentication set it
            "graphiql": True,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def start_gateway(settings_for: Callable[..., Settings]) -> Iterator[Callable[..., Gateway]]:
    """Starts gateways (stopped after the test): `start_gateway(**settings)`, or
    `start_gateway(clock=FakeClock(), **settings)` for one whose time the test moves."""
    with ExitStack() as stack:

        def start(clock: Clock = SYSTEM, **overrides: Any) -> Gateway:
            return stack.enter_context(running_gateway(settings_for(**overrides), clock))

        yield start


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves (`clock.advance(seconds)`) instead of sleeping."""
    return FakeClock()


@pytest.fixture
def gateway(start_gateway: Callable[..., Gateway]) -> Gateway:
    return start_gateway()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(port: int) -> subprocess.Popen[bytes]:
    """A redis-server on `port` (nothing kept on disk), once it answers."""
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if server.poll() is not None:
                raise PortTaken(port) from None
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)
    client.close()
    return server


class PortTaken(Exception):
    """redis-server exited at start: another process took the port meanwhile."""


def start_private_redis() -> tuple[int, subprocess.Popen[bytes]]:
    """A redis-server on a port the OS picked. Redis cannot bind port 0 and say which port
    it got, so the port is asked of the OS first, and another one asked if it was taken
    before redis-server bound it."""
    for _ in range(5):
        port = _free_port()
        try:
            return port, start_redis(port)
        except PortTaken:
            continue
    raise RuntimeError("no free port for redis-server after 5 tries")


def restart_redis(url: str) -> subprocess.Popen[bytes]:
    """A new, empty redis-server where the private one at `url` was (stop that first)."""
    return start_redis(int(url.rsplit(":", 1)[1].split("/")[0]))


@pytest.fixture
def private_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis of this test's own, to stop mid-test (the shared one must stay up)."""
    port, server = start_private_redis()
    yield f"redis://127.0.0.1:{port}/0", server
    server.kill()
    server.wait()


@pytest.fixture
def store_for(emulator: Emulator) -> StoreFor:
    """Entity stores on the emulator (no quota guard, one attempt per call)."""
    return store_factory(emulator.url)


@pytest.fixture
def ended(emulator: Emulator) -> str:
    """A demo contact that has ended."""
    contacts = demo_contacts(emulator.contacts()).values()
    return next(c["id"] for c in contacts if c["disconnected"])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first, the longest first (`long(seconds)`, else 5): handed out two at a
    time to the workers, they spread over them and end early instead of making the run's
    tail. The sort is stable: the others keep pytest's order."""

    def seconds(item: pytest.Item) -> float:
        mark = item.get_closest_marker("long")
        return 0.0 if mark is None else float(mark.args[0] if mark.args else 5)

    items.sort(key=seconds, reverse=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Captured output as UTF-8 can carry it: the log tests log lone surrogates on purpose,
    and a report holding one cannot cross from an xdist worker to its controller."""
    outcome: Any = yield
    report = outcome.get_result()
    report.sections = [
        (name, text.encode("utf-8", "backslashreplace").decode("utf-8"))
        for name, text in report.sections
    ]
