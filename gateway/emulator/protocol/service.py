"""Connect's API as the emulator answers it: one endpoint for every operation.

A request goes through the steps a real service front end takes, in order: route (404
UnknownOperationException), count, authenticate (403 without an Authorization header, or
with credentials the emulator's region or account refuses: `sts.check_caller`),
throttle (429, immediately), wait the configured latency, bind and validate (400:
InvalidParameterException, or InvalidRequestException for the operations whose model does
not declare the former, such as GetContactAttributes), apply an injected fault, then run
the operation's handler (a fault marked `after` answers its error once the handler is
done). An operation the model has but the emulator does not implement
answers 400 InvalidRequestException, the way a service answers a request it cannot carry
out, rather than a 5xx a client would retry. Every answer with status 429, from the rate
limit or an injected ThrottlingException, counts as throttled.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any
from urllib.parse import parse_qsl, quote

from botocore.model import OperationModel
from starlette.requests import Request
from starlette.responses import Response

from gateway.emulator.operations.handlers import HANDLERS
from gateway.emulator.protocol.binding import bind
from gateway.emulator.protocol.errors import ConnectError, error_response
from gateway.emulator.protocol.faults import MALFORMED_RESPONSE, patched
from gateway.emulator.protocol.routing import Match
from gateway.emulator.protocol.serialization import serialize_output
from gateway.emulator.protocol.state import EmulatorState
from gateway.emulator.protocol.sts import Denied, check_caller
from gateway.emulator.protocol.validation import check, invalid_input_code

__all__ = ["ConnectService"]

logger = logging.getLogger(__name__)


class ConnectService:
    """The request/response endpoint that stands in for Connect's API."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        operation: OperationModel | None = None
        try:
            match = self._route(request)
            operation = match.operation
            output = await self._answer(request, match)
        except ConnectError as error:
            if error.status == 429 and operation is not None:
                self.state.stats.throttled(operation.name)
            return error_response(error, request_id)
        except _Malformed:
            assert operation is not None
            return _malformed_response(operation, request_id)
        except Exception:
            logger.exception("emulator: %s failed", operation.name if operation else "request")
            internal = ConnectError("InternalServiceException", "Internal service error")
            return error_response(internal, request_id)
        headers, body = serialize_output(operation.output_shape, output)
        headers["x-amzn-RequestId"] = request_id
        return Response(body, headers=headers, media_type="application/json")

    def _route(self, request: Request) -> Match:
        raw = request.scope.get("raw_path") or quote(request.url.path).encode()
        path = raw.decode("latin-1")
        match = self.state.router.match(request.method, path, request.url.query)
        if match is None:
            message = f"No Connect operation matches {request.method} {path}"
            raise ConnectError("UnknownOperationException", message, 404)
        return match

    async def _answer(self, request: Request, match: Match) -> dict[str, Any]:
        state, operation, name = self.state, match.operation, match.operation.name
        state.stats.called(name)
        if "authorization" not in request.headers and "X-Amz-Signature" not in request.query_params:
            raise ConnectError("AccessDeniedException", "Missing Authentication Token")
        try:
            check_caller(request, state.options)
        except Denied as denied:
            raise ConnectError(denied.code, denied.message, denied.status) from None
        if not state.throttle.allow(name):
            raise ConnectError("ThrottlingException", "Rate exceeded")
        await _sleep(state.options.latency_ms)
        query = parse_qsl(request.url.query, keep_blank_values=True)
        body = await request.body()
        params = bind(operation, match.labels, query, request.headers, body)
        if operation.input_shape is not None:
            check(operation.input_shape, params, code=invalid_input_code(operation))
        fault = state.faults.take(name, params)
        if fault is not None:
            await _sleep(fault.delay_ms)
            if fault.error == MALFORMED_RESPONSE:
                raise _Malformed
            if fault.error is not None and not fault.after:
                raise ConnectError(fault.error, fault.message)
        handler = HANDLERS.get(name)
        if handler is None:
            raise ConnectError("InvalidRequestException", f"The emulator does not implement {name}")
        output = handler(state, _capped(operation, params, state.options.max_page_size))
        if fault is not None and fault.after and fault.error is not None:
            if fault.error == MALFORMED_RESPONSE:
                raise _Malformed
            raise ConnectError(fault.error, fault.message)  # done, and its answer lost
        if fault is not None and fault.patch:
            output = patched(output, fault.patch)
        return output


def _capped(operation: OperationModel, params: dict[str, Any], cap: int | None) -> dict[str, Any]:
    """`params` with MaxResults at most `cap`, for the operations that take it."""
    shape = operation.input_shape
    if cap is None or shape is None or "MaxResults" not in shape.members:
        return params
    return params | {"MaxResults": min(params.get("MaxResults") or cap, cap)}


class _Malformed(Exception):
    """An injected fault asks for a garbled response."""


def _malformed_response(operation: OperationModel, request_id: str) -> Response:
    members = list(operation.output_shape.members) if operation.output_shape else []
    body = f'{{"{members[0]}": {{' if members else "{"
    headers = {"x-amzn-RequestId": request_id}
    return Response(body, headers=headers, media_type="application/json")


async def _sleep(milliseconds: float) -> None:
    if milliseconds > 0:
        await asyncio.sleep(milliseconds / 1000)
