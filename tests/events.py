"""Helpers for event tests: EventBridge contact events, and a real graphql-transport-ws
client (the `websockets` package) for subscriptions."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets

__all__ = ["GraphQLWebSocket", "contact_event", "instance_arn"]


def instance_arn(instance_id: str) -> str:
    return f"arn:aws:connect:us-east-1:123456789012:instance/{instance_id}"


def contact_event(
    instance_id: str, contact_id: str, event_type: str = "CONTACT_DATA_UPDATED", **links: str
) -> dict[str, Any]:
    """An "Amazon Connect Contact Event" as EventBridge delivers it; `links` are detail
    members such as initialContactId."""
    arn = instance_arn(instance_id)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Amazon Connect Contact Event",
        "source": "aws.connect",
        "account": "123456789012",
        "time": "2026-11-25T20:00:00Z",
        "region": "us-east-1",
        "resources": [f"{arn}/contact/{contact_id}"],
        "detail": {
            "eventType": event_type,
            "contactId": contact_id,
            "instanceArn": arn,
            "channel": "VOICE",
            **links,
        },
    }


class GraphQLWebSocket:
    """One graphql-transport-ws connection."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, http_url: str, payload: dict[str, Any] | None = None
    ) -> AsyncIterator[GraphQLWebSocket]:
        url = http_url.replace("http://", "ws://", 1) + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as connection:
            client = cls(connection)
            await client.send({"type": "connection_init", "payload": payload or {}})
            yield client

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, seconds: float = 30) -> dict[str, Any]:
        async with asyncio.timeout(seconds):
            message: dict[str, Any] = json.loads(await self.connection.recv())
        return message

    async def subscribe(self, operation: str, query: str, **variables: Any) -> None:
        await self.send(
            {
                "type": "subscribe",
                "id": operation,
                "payload": {"query": query, "variables": variables},
            }
        )
