"""The emulator as one Starlette app: test endpoints first, then the media bucket's S3 under
/_s3, STS's AssumeRole at POST /, then Connect's whole API (and Contact Lens' on its own paths); its
lifespan runs the timeline of active contacts and the sender of contact events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.emulator.protocol.control import Control
from gateway.emulator.protocol.options import EmulatorOptions
from gateway.emulator.protocol.s3 import S3Service
from gateway.emulator.protocol.service import ConnectService
from gateway.emulator.protocol.state import EmulatorState
from gateway.emulator.protocol.sts import StsService

__all__ = ["create_emulator_app"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def create_emulator_app(options: EmulatorOptions | None = None) -> Starlette:
    """A fresh emulator: its own dataset, counters, buckets, faults, clock and events.

    Its state is on `app.state.emulator` (an EmulatorState) for in-process inspection.
    """
    state = EmulatorState.create(options or EmulatorOptions())
    service = ConnectService(state)
    s3 = S3Service(state)
    sts = StsService(state.options, state.stats)

    async def root(request: Request) -> Response:
        """POST /: STS's AssumeRole, else Connect's API (which has no operation there)."""
        fields = await sts.form(request)
        return await (sts.handle(request, fields) if fields else service.handle(request))

    routes = [
        *Control(state).routes(),
        Route("/", root, methods=["POST"]),
        Route("/_s3/{path:path}", s3.handle, methods=_METHODS),
        Route("/{path:path}", service.handle, methods=_METHODS),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.sender.start()
        timeline = asyncio.create_task(state.lifecycle.run(), name="emulator-timeline")
        try:
            yield
        finally:
            timeline.cancel()
            await asyncio.gather(timeline, return_exceptions=True)
            await state.sender.stop()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.emulator = state
    return app
