"""The emulator as one Starlette app: test endpoints first, then Connect's whole API."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from gateway.emulator.control import Control
from gateway.emulator.options import EmulatorOptions
from gateway.emulator.service import ConnectService
from gateway.emulator.state import EmulatorState

__all__ = ["create_emulator_app"]

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def create_emulator_app(options: EmulatorOptions | None = None) -> Starlette:
    """A fresh emulator: its own dataset, counters, buckets and faults.

    Its state is on `app.state.emulator` (an EmulatorState) for in-process inspection.
    """
    state = EmulatorState.create(options or EmulatorOptions())
    service = ConnectService(state)
    routes = [*Control(state).routes(), Route("/{path:path}", service.handle, methods=_METHODS)]
    app = Starlette(routes=routes)
    app.state.emulator = state
    return app
