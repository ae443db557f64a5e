"""One boto3 Connect client per process, called off the event loop in a bounded pool."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from gateway.connect.errors import translate
from gateway.errors import GatewayError
from gateway.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_connect import ConnectClient as BotoConnectClient

__all__ = ["ConnectClient", "Record", "to_json"]

log = logging.getLogger(__name__)

Record = dict[str, Any]
"""An entity as Connect returns it (member names as in the API), JSON-safe:
timestamps are ISO-8601 strings in UTC, so records cache as JSON unchanged."""

# Only for an emulator: with an endpoint_url and no credentials found the boto3 way.
_EMULATOR_CREDENTIALS = {"aws_access_key_id": "emulator", "aws_secret_access_key": "emulator"}


class ConnectClient:
    """Connect's API as coroutines returning `Record`s or raising `GatewayError`s."""

    def __init__(self, client: BotoConnectClient, max_concurrency: int) -> None:
        self._client = client
        self._pool = ThreadPoolExecutor(max_concurrency, thread_name_prefix="connect")

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectClient:
        config = Config(
            connect_timeout=settings.connect_connect_timeout,
            read_timeout=settings.connect_read_timeout,
            max_pool_connections=settings.connect_max_concurrency,
            retries={
                "mode": settings.connect_retry_mode,
                "total_max_attempts": settings.connect_max_attempts,
            },
            user_agent_extra="connect-graphql-gateway",
        )
        session = boto3.session.Session(region_name=settings.aws_region)
        kwargs: dict[str, Any] = {}
        if settings.connect_endpoint_url:
            kwargs["endpoint_url"] = settings.connect_endpoint_url
            if session.region_name is None:
                kwargs["region_name"] = "us-east-1"
            if session.get_credentials() is None:
                log.info("no AWS credentials found; using placeholder ones for the emulator")
                kwargs.update(_EMULATOR_CREDENTIALS)
        client = session.client("connect", config=config, **kwargs)
        return cls(client, settings.connect_max_concurrency)

    async def describe_contact(self, instance_id: str, contact_id: str) -> Record:
        response = await self._call(
            self._client.describe_contact, "contact", InstanceId=instance_id, ContactId=contact_id
        )
        record: Record = to_json(response["Contact"])
        return record

    async def describe_user(self, instance_id: str, user_id: str) -> Record:
        response = await self._call(
            self._client.describe_user, "agent", InstanceId=instance_id, UserId=user_id
        )
        record: Record = to_json(response["User"])
        return record

    async def describe_queue(self, instance_id: str, queue_id: str) -> Record:
        response = await self._call(
            self._client.describe_queue, "queue", InstanceId=instance_id, QueueId=queue_id
        )
        record: Record = to_json(response["Queue"])
        return record

    async def get_contact_attributes(self, instance_id: str, initial_contact_id: str) -> Record:
        response = await self._call(
            self._client.get_contact_attributes,
            "contact",
            InstanceId=instance_id,
            InitialContactId=initial_contact_id,
        )
        return dict(response.get("Attributes", {}))

    async def list_contact_references(self, instance_id: str, contact_id: str) -> list[Record]:
        """Every reference of the contact, of every type, all pages (one call a page)."""
        pages = await self._call(
            self._all_references, "contact", instance_id=instance_id, contact_id=contact_id
        )
        references: list[Record] = to_json(pages)
        return references

    def _all_references(self, instance_id: str, contact_id: str) -> list[Any]:
        every_type = self._client.meta.service_model.shape_for("ReferenceType").enum  # type: ignore[attr-defined]
        paginator = self._client.get_paginator("list_contact_references")
        pages = paginator.paginate(
            InstanceId=instance_id, ContactId=contact_id, ReferenceTypes=every_type
        )
        return [summary for page in pages for summary in page.get("ReferenceSummaryList", [])]

    async def search_contacts(self, **params: Any) -> Record:
        response = await self._call(self._client.search_contacts, "instance", **params)
        record: Record = to_json(response)
        return record

    async def _call(self, method: Callable[..., Any], what: str, **params: Any) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, functools.partial(method, **params))
        except GatewayError:
            raise
        except Exception as error:
            raise translate(error, what) from error

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()


def to_json(value: Any) -> Any:
    """A boto3 response value made JSON-safe: datetimes become ISO-8601 strings in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value
