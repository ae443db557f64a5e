"""The edge's one error envelope: `{"errors": [{"message", "extensions": {"code",
"requestId"}}]}`, as GraphQL over HTTP answers a request refused before execution, for
/graphql, /events, /metrics and the middleware alike."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse

from gateway.core.errors import BadUserInput, GatewayError
from gateway.observability.logs import request_id

__all__ = ["error_body", "error_bytes", "error_response", "gateway_error_response"]


def error_body(message: str, code: str = BadUserInput.code) -> dict[str, Any]:
    error = {"message": message, "extensions": {"code": code, "requestId": request_id.get()}}
    return {"errors": [error]}


def error_bytes(message: str, code: str = BadUserInput.code) -> bytes:
    """The envelope as a body, for middleware that answers with raw ASGI messages."""
    return json.dumps(error_body(message, code)).encode()


def error_response(
    message: str,
    status: int,
    code: str = BadUserInput.code,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(message, code), status_code=status, headers=headers)


def gateway_error_response(
    error: GatewayError, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    return error_response(error.message, status, error.code, headers)
