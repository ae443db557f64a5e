"""Connect's errors, and the responses that carry them the way Connect sends them.

botocore's RestJSONParser takes the code from the `x-amzn-ErrorType` header and the
message from the body's `message` or `Message` key; we send `Message`, as most of
Connect's error shapes spell it.
"""

from __future__ import annotations

import json

from starlette.responses import Response

from gateway.emulator.protocol.model import error_status

__all__ = ["ConnectError", "error_response"]


class ConnectError(Exception):
    """An error the emulator answers with, as Connect would: a code, a message, a status."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else (error_status(code) or 400)


def error_response(error: ConnectError, request_id: str) -> Response:
    """The HTTP response for `error`: its status, `x-amzn-ErrorType`, `{"Message": ...}`."""
    return Response(
        json.dumps({"Message": error.message}),
        status_code=error.status,
        media_type="application/json",
        headers={"x-amzn-ErrorType": error.code, "x-amzn-RequestId": request_id},
    )
