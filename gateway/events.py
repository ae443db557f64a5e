"""Contact events in: `POST /events` takes what an EventBridge API destination sends (one
event, or a JSON array of them) and invalidates, in every replica, what the events name.

Events are hints, never data: Connect publishes them best-effort and unordered, so an
event only makes the gateway ask Connect again. A duplicate or a late event costs at most
one more call; a lost one leaves the data stale until its TTL ends.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.caller import EVENTS_WRITE, EVERYONE, Caller
from gateway.errors import BadUserInput, Forbidden, GatewayError
from gateway.invalidation import Invalidations, tag
from gateway.logs import request_id
from gateway.metrics import Metrics
from gateway.settings import Settings, instance_id_of

__all__ = ["CONTACT_EVENT", "MAX_BODY_BYTES", "MAX_EVENTS", "ContactEvent", "events_endpoint"]

CONTACT_EVENT = "Amazon Connect Contact Event"
MAX_EVENTS = 100
MAX_BODY_BYTES = 262_144  # EventBridge's largest event
_MAX_ID = 256
_LINKS = ("initialContactId", "previousContactId", "relatedContactId")


@dataclass(frozen=True)
class ContactEvent:
    instance_id: str
    contact_id: str
    links: tuple[str, ...]  # the initial, previous and related contacts it names
    initial_contact_id: str | None = None

    def tags(self) -> list[str]:
        """What may have changed: the contact, its references and search rows, and what
        its chain shares (attributes, kept by the initial contact; the associated tree)."""
        instance, contact = self.instance_id, self.contact_id
        chain = [contact, *self.links]
        return [
            tag("contact", instance, contact),
            tag("references", instance, contact),
            tag("search", instance, contact),
            *(tag("attributes", instance, c) for c in (contact, self.initial_contact_id) if c),
            *(tag("associated", instance, c) for c in chain),
        ]


def events_endpoint(
    settings: Settings, metrics: Metrics
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            _check(getattr(request.state, "caller", EVERYONE))
            events = parse(await _body(request))
        except GatewayError as error:
            if isinstance(error, BadUserInput):
                metrics.events.labels("rejected").inc()
            return _error(error)
        ours = [event for event in events if event.instance_id in settings.instances]
        if ours:
            invalidations: Invalidations = request.state.invalidations
            await invalidations.publish(tag for event in ours for tag in event.tags())
        metrics.events.labels("accepted").inc(len(ours))
        metrics.events.labels("foreign_instance").inc(len(events) - len(ours))
        return JSONResponse(
            {"accepted": len(ours), "ignored": len(events) - len(ours)}, status_code=202
        )

    return endpoint


def parse(body: object) -> list[ContactEvent]:
    """The contact events in an EventBridge body; BadUserInput naming the first problem."""
    items = body if isinstance(body, list) else [body]
    if not 1 <= len(items) <= MAX_EVENTS:
        raise BadUserInput(f"POST /events takes 1 to {MAX_EVENTS} events (got {len(items)})")
    return [
        _event(item, f"events[{n}]" if isinstance(body, list) else "event")
        for n, item in enumerate(items)
    ]


def _event(item: object, where: str) -> ContactEvent:
    if not isinstance(item, dict):
        raise BadUserInput(f"{where} must be an EventBridge event (a JSON object)")
    if item.get("detail-type") != CONTACT_EVENT:
        raise BadUserInput(f'{where}["detail-type"] must be "{CONTACT_EVENT}"')
    detail = item.get("detail")
    if not isinstance(detail, dict):
        raise BadUserInput(f"{where}.detail must be an object")
    arn = detail.get("instanceArn")
    try:
        instance = instance_id_of(arn) if isinstance(arn, str) else None
    except ValueError:
        instance = None
    if instance is None:
        raise BadUserInput(f"{where}.detail.instanceArn must be a Connect instance ARN")
    contact = _id(detail.get("contactId"), f"{where}.detail.contactId")
    if contact is None:
        raise BadUserInput(f"{where}.detail.contactId is required")
    links = {name: _id(detail.get(name), f"{where}.detail.{name}") for name in _LINKS}
    return ContactEvent(
        instance,
        contact,
        tuple(value for value in links.values() if value is not None),
        links["initialContactId"],
    )


def _id(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= _MAX_ID or not value.isprintable():
        raise BadUserInput(f"{where} must be a contact ID (1 to {_MAX_ID} characters)")
    return value


def _check(caller: Caller) -> None:
    if not caller.has(EVENTS_WRITE):
        raise Forbidden("POST /events needs the events:write scope")


async def _body(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise _Unsupported("POST /events takes a JSON body: Content-Type: application/json")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge(f"The request body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        raise BadUserInput("Unable to parse request body as JSON") from None


class _Unsupported(BadUserInput):
    status = 415


class _TooLarge(BadUserInput):
    status = 413


def _error(error: GatewayError) -> JSONResponse:
    status = getattr(error, "status", 403 if isinstance(error, Forbidden) else 400)
    body = {
        "errors": [
            {
                "message": error.message,
                "extensions": {"code": error.code, "requestId": request_id.get()},
            }
        ]
    }
    return JSONResponse(body, status_code=status)
