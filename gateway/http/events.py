"""`POST /events`: Connect's contact events from an EventBridge API destination (the
events themselves: gateway/data/events.py). Its body is read only for a caller with
`events:write`, and bounded here (GATEWAY_MAX_EVENT_BODY_BYTES), not by BodyLimitMiddleware."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.core.caller import EVENTS_WRITE, Caller
from gateway.core.errors import BadUserInput, Forbidden, GatewayError
from gateway.core.settings import Settings
from gateway.data.events import apply, judge
from gateway.http.errors import gateway_error_response
from gateway.http.state import caller_of, services_of
from gateway.observability.metrics import Metrics

__all__ = ["events_endpoint"]


def events_endpoint(
    settings: Settings, metrics: Metrics
) -> Callable[[Request], Awaitable[Response]]:
    """POST /events. Its body is bounded here, not by BodyLimitMiddleware: EventBridge sends
    up to 256 KiB, and only a caller that may post events gets that much read."""
    limit = settings.max_event_body_bytes
    # The accounts of the instances served; None when one is a bare ID (account unknown).
    owners = {instance.account for instance in settings.connect_instances}
    accounts = None if None in owners or not owners else frozenset(str(a) for a in owners)

    async def endpoint(request: Request) -> Response:
        refused: list[BadUserInput] = []
        try:
            _check(caller_of(request))
            body = await _body(request, limit)
            events, refused = judge(body, accounts)
            if refused and (not events or not isinstance(body, list)):
                raise refused[0]
        except GatewayError as error:
            if isinstance(error, BadUserInput):
                metrics.events.labels("rejected").inc(max(1, len(refused)))
            return _error(error)
        # In a batch, one event that cannot be tied to a contact does not lose the others:
        # they are applied, it is refused, counted and named in the answer.
        metrics.events.labels("rejected").inc(len(refused))
        ours = [event for event in events if event.instance_id in settings.instance_ids]
        if ours:
            services = services_of(request)
            await apply(ours, services.invalidations, services.store, services.writer.echoes)
        metrics.events.labels("accepted").inc(len(ours))
        metrics.events.labels("foreign_instance").inc(len(events) - len(ours))
        answer: dict[str, Any] = {"accepted": len(ours), "ignored": len(events) - len(ours)}
        if refused:
            answer["refused"] = [
                {"message": error.message, "extensions": {"code": error.code}} for error in refused
            ]
        return JSONResponse(answer, status_code=202)

    return endpoint


def _check(caller: Caller) -> None:
    if not caller.has(EVENTS_WRITE):
        raise Forbidden("POST /events needs the events:write scope")


async def _body(request: Request, limit: int) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise _Unsupported("POST /events takes a JSON body: Content-Type: application/json")
    too_large = _TooLarge(
        f"The request body is larger than {limit} bytes (GATEWAY_MAX_EVENT_BODY_BYTES)"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except RecursionError:
        raise BadUserInput("The request body nests JSON too deeply for an event") from None
    except ValueError:
        raise BadUserInput("Unable to parse request body as JSON") from None


class _Unsupported(BadUserInput):
    status = 415


class _TooLarge(BadUserInput):
    status = 413


def _error(error: GatewayError) -> JSONResponse:
    status = getattr(error, "status", 403 if isinstance(error, Forbidden) else 400)
    # A 413 leaves the rest of the body unread: closing is cheaper than draining it.
    headers = {"connection": "close"} if status == 413 else None
    return gateway_error_response(error, status, headers)
