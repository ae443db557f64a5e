"""A TCP proxy in front of the real Redis that a test drives at a chosen moment, to make
a race or an outage a deterministic test instead of a sleep that hopes to hit it:

- `pause()`: the bytes stop both ways (buffered, not lost) until `resume()`: a Redis that
  stops answering;
- `hold_replies()`: commands reach Redis, their answers wait: Redis runs them, the client
  times out;
- `down()` / `up()`: the port closes with every connection on it, then listens again on
  the same port: a Redis outage.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["RedisProxy", "redis_proxy"]


class RedisProxy:
    def __init__(self, upstream_port: int = 6379) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self._to_server = asyncio.Event()
        self._to_client = asyncio.Event()
        self.resume()
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._relays: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def pause(self) -> None:
        self._to_server.clear()
        self._to_client.clear()

    def hold_replies(self) -> None:
        self._to_client.clear()

    def resume(self) -> None:
        self._to_server.set()
        self._to_client.set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._links):
            writer.close()
        await asyncio.gather(*self._relays, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._relays.add(task)
        task.add_done_callback(self._relays.discard)
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self.upstream_port
        )
        self._links |= {writer, upstream_writer}
        await asyncio.gather(
            _pipe(reader, upstream_writer, self._to_server),
            _pipe(upstream_reader, writer, self._to_client),
        )
        self._links -= {writer, upstream_writer}


async def _pipe(
    source: asyncio.StreamReader, sink: asyncio.StreamWriter, gate: asyncio.Event
) -> None:
    try:
        while data := await source.read(65536):
            await gate.wait()
            sink.write(data)
            await sink.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        sink.close()
        with contextlib.suppress(ConnectionError, OSError):
            await sink.wait_closed()


@asynccontextmanager
async def redis_proxy(upstream_port: int = 6379) -> AsyncIterator[RedisProxy]:
    proxy = RedisProxy(upstream_port)
    await proxy.up()
    try:
        yield proxy
    finally:
        proxy.resume()
        await proxy.down()
