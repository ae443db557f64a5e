"""A real Redis Cluster for tests: 3 primaries with a replica each, on ports the OS gives,
in a temporary directory, made with `redis-server --cluster-enabled yes` and `redis-cli
--cluster create`, as an operator would. One per test run (it takes a few seconds)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

__all__ = ["Cluster", "running_cluster"]


@dataclass
class Cluster:
    directory: Path
    ports: list[int]
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """One node's URL: as an ElastiCache configuration endpoint, the gateway needs one."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def start(self, port: int) -> None:
        node = self.directory / str(port)
        node.mkdir(exist_ok=True)
        self.processes[port] = subprocess.Popen(
            [
                "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no",
                "--dir", str(node), "--logfile", "redis.log",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(port)

    def stop(self, port: int) -> None:
        process = self.processes.pop(port)
        process.terminate()
        process.wait(10)

    def primaries(self) -> list[int]:
        """The ports of the primaries now."""
        client = redis.RedisCluster(host="127.0.0.1", port=next(iter(self.processes)))
        try:
            return sorted(int(node.port) for node in client.get_primaries())
        finally:
            client.close()

    def primary_of(self, key: str) -> int:
        """The port of the primary serving `key`'s slot now."""
        client = redis.RedisCluster(host="127.0.0.1", port=self.ports[0])
        try:
            node = client.get_node_from_key(key)
            return int(node.port)
        finally:
            client.close()

    def wait_ok(self, seconds: float = 30) -> None:
        """Until every running node says the cluster is ok."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            states = []
            for port in self.processes:
                with redis.Redis(port=port) as client:
                    try:
                        states.append(client.cluster("info").get("cluster_state"))  # type: ignore[no-untyped-call]
                    except redis.RedisError:
                        states.append(None)
            if states and all(state == "ok" for state in states):
                return
            time.sleep(0.1)
        raise TimeoutError("the Redis Cluster did not become ok")


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    directory = Path(tempfile.mkdtemp(prefix="cgg-cluster-"))
    cluster = Cluster(directory, [_free_port() for _ in range(6)])
    try:
        for port in cluster.ports:
            cluster.start(port)
        subprocess.run(
            ["redis-cli", "--cluster", "create",
             *(f"127.0.0.1:{port}" for port in cluster.ports),
             "--cluster-replicas", "1", "--cluster-yes"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip
        cluster.wait_ok()
        yield cluster
    finally:
        for port in list(cluster.processes):
            cluster.stop(port)
        shutil.rmtree(directory, ignore_errors=True)


def _free_port() -> int:
    # redis-server takes a port number, and its cluster bus port + 10000: both must be free.
    while True:
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
        if port + 10000 > 65535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def _wait_for_port(port: int, seconds: float = 10) -> None:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"redis-server did not listen on {port}")
