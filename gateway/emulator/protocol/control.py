"""The emulator's own test endpoints under /_emulator: stats, reset, contacts, faults,
events (where contact events go and how they are mistreated), new contacts, and each
contact's history (what DescribeContact answered over time).

They are not Connect operations: they are never counted, throttled, delayed or faulted.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.emulator.operations.trees import tree_root
from gateway.emulator.protocol.faults import FaultError, parse_fault
from gateway.emulator.protocol.s3 import S3_OPERATIONS
from gateway.emulator.protocol.state import EmulatorState
from gateway.emulator.world.arrivals import CHANNELS
from gateway.emulator.world.attributes import chain_key
from gateway.emulator.world.dataset import DEMO_INSTANCE_ID, Instance

__all__ = ["Control", "contact_row"]


class Control:
    """The handlers behind /_emulator/*, over one emulator's state."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            Route("/_emulator/stats", self.stats, methods=["GET"]),
            Route("/_emulator/reset", self.reset, methods=["POST"]),
            Route("/_emulator/contacts", self.contacts, methods=["GET"]),
            Route("/_emulator/contacts", self.start_contact, methods=["POST"]),
            Route("/_emulator/history", self.history, methods=["GET"]),
            Route("/_emulator/events", self.events, methods=["GET"]),
            Route("/_emulator/events", self.configure_events, methods=["POST"]),
            Route("/_emulator/faults", self.list_faults, methods=["GET"]),
            Route("/_emulator/faults", self.add_fault, methods=["POST"]),
            Route("/_emulator/faults", self.clear_faults, methods=["DELETE"]),
        ]

    async def stats(self, request: Request) -> JSONResponse:
        return JSONResponse(self.state.stats.snapshot() | {"events": self.state.sender.stats()})

    async def reset(self, request: Request) -> JSONResponse:
        self.state.stats.reset()
        self.state.faults.clear()
        self.state.sender.reset()
        return JSONResponse({"ok": True})

    async def start_contact(self, request: Request) -> JSONResponse:
        try:
            data = _object(await request.body())
            channel = data.get("channel", "VOICE")
            if channel not in CHANNELS:
                raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
            instance = self.state.dataset.instance(str(data.get("instanceId", DEMO_INSTANCE_ID)))
            if instance is None:
                raise ValueError("no such instance")
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        record = self.state.arrive(instance, channel)
        return JSONResponse(contact_row(instance, record), status_code=201)

    async def history(self, request: Request) -> JSONResponse:
        """`?contactId=ID[&instanceId=ID]`: what DescribeContact answered for it over time."""
        contact_id = request.query_params.get("contactId", "")
        instance_id = request.query_params.get("instanceId", DEMO_INSTANCE_ID)
        return JSONResponse({"versions": self.state.history.of(instance_id, contact_id)})

    async def events(self, request: Request) -> JSONResponse:
        return JSONResponse(self._events_json())

    async def configure_events(self, request: Request) -> JSONResponse:
        sender = self.state.sender
        try:
            data = _object(await request.body())
            url, key = data.pop("url", sender.url), data.pop("apiKey", sender.api_key)
            if url is not None and not str(url).startswith(("http://", "https://")):
                raise ValueError("url must be an http:// or https:// URL, or null")
            knobs = sender.knobs.updated(data)
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        sender.url, sender.api_key, sender.knobs = url, key, knobs
        return JSONResponse(self._events_json())

    def _events_json(self) -> dict[str, Any]:
        sender = self.state.sender
        return {"url": sender.url, "apiKey": sender.api_key is not None} | sender.knobs.to_json()

    async def contacts(self, request: Request) -> JSONResponse:
        rows = [contact_row(instance, record) for instance, record in self.state.dataset.contacts()]
        return JSONResponse({"contacts": rows})

    async def list_faults(self, request: Request) -> JSONResponse:
        return JSONResponse({"faults": [fault.to_json() for fault in self.state.faults.listed()]})

    async def add_fault(self, request: Request) -> JSONResponse:
        try:
            data = json.loads(await request.body())
            operations = {*self.state.router.operation_names, *S3_OPERATIONS}
            fault = parse_fault(data, operations)
        except (ValueError, FaultError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        self.state.faults.add(fault)
        return JSONResponse({"id": fault.id}, status_code=201)

    async def clear_faults(self, request: Request) -> JSONResponse:
        self.state.faults.clear()
        return JSONResponse({"ok": True})


def contact_row(instance: Instance, record: dict[str, Any]) -> dict[str, Any]:
    """One contact and its links, as `GET /_emulator/contacts` lists it, with the root of
    its tree (what ListAssociatedContacts lists) and how many attributes (its chain's) and
    references it has."""
    return {
        "instanceId": instance.id,
        "id": record["Id"],
        "arn": record["Arn"],
        "channel": record["Channel"],
        "initiationMethod": record["InitiationMethod"],
        "initiationTimestamp": _iso(record["InitiationTimestamp"]),
        "disconnectTimestamp": _iso(record.get("DisconnectTimestamp")),
        "disconnected": "DisconnectTimestamp" in record,
        "queued": "DisconnectTimestamp" not in record
        and "EnqueueTimestamp" in record.get("QueueInfo", {})
        and "ConnectedToAgentTimestamp" not in record.get("AgentInfo", {}),
        "initialContactId": record.get("InitialContactId"),
        "previousContactId": record.get("PreviousContactId"),
        "relatedContactId": record.get("RelatedContactId"),
        "contactAssociationId": record.get("ContactAssociationId"),
        "rootContactId": tree_root(instance, record),
        "agentId": record.get("AgentInfo", {}).get("Id"),
        "queueId": record.get("QueueInfo", {}).get("Id"),
        "name": record.get("Name"),
        "attributeCount": len(instance.attributes.get(chain_key(record), {})),
        "referenceCount": len(instance.references.get(record["Id"], [])),
    }


def _object(body: bytes) -> dict[str, Any]:
    data = json.loads(body or b"{}")
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
