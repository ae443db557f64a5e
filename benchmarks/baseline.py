"""The naive baseline of benchmarks/quota.py: the gateway's own GraphQL schema, with every
entity fetched from Connect by a direct boto3 call each time a resolver asks for it. No
DataLoader, no cache, no single-flight, no quota guard: the same schema minus the economy.

    GATEWAY_CONNECT_ENDPOINT_URL=http://127.0.0.1:8001 \\
        .venv/bin/python benchmarks/baseline.py --port 8002

Settings come from the environment (GATEWAY_*), as the gateway's do; only those that shape
a boto3 call are used (endpoint, region, timeouts, attempts, concurrency).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import boto3
import uvicorn
from botocore.config import Config
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from gateway.api.context import Context
from gateway.api.errors import format_error
from gateway.api.limits import limits_of
from gateway.api.schema import create_schema
from gateway.connect import ConnectClient
from gateway.connect.client import to_json
from gateway.connect.errors import translate
from gateway.core.errors import GatewayError, NotFound
from gateway.core.settings import Settings
from gateway.data.kinds import Kind
from gateway.data.loaders import Loaders, Reads
from gateway.data.store import EntityStore, Fetched
from gateway.emulator import DEMO_INSTANCE_ID
from gateway.http.middleware import RequestIdMiddleware
from gateway.observability.logs import configure, request_id

__all__ = ["create_baseline_app"]

Fetch = Callable[[str, str], Awaitable[Any]]


class DirectConnect:
    """boto3's Connect client, called in a thread pool: one HTTP request per call."""

    def __init__(self, settings: Settings) -> None:
        config = Config(
            connect_timeout=settings.connect_connect_timeout,
            read_timeout=settings.connect_read_timeout,
            max_pool_connections=settings.connect_max_concurrency,
            # botocore's standard retries, as any service calling Connect would have them.
            retries={"mode": "standard", "total_max_attempts": settings.connect_max_attempts},
        )
        self._client: Any = boto3.client(
            "connect",
            endpoint_url=settings.connect_endpoint_url,
            region_name=settings.aws_region or "us-east-1",
            aws_access_key_id="emulator",
            aws_secret_access_key="emulator",
            config=config,
        )
        self._pool = ThreadPoolExecutor(settings.connect_max_concurrency)

    async def call(self, operation: str, what: str, **params: Any) -> Any:
        loop = asyncio.get_running_loop()
        method = functools.partial(getattr(self._client, operation), **params)
        try:
            return to_json(await loop.run_in_executor(self._pool, method))
        except GatewayError:
            raise
        except Exception as error:
            raise translate(error, what) from error

    async def contact(self, instance_id: str, contact_id: str) -> Any:
        params = {"InstanceId": instance_id, "ContactId": contact_id}
        return (await self.call("describe_contact", "contact", **params))["Contact"]

    async def agent(self, instance_id: str, user_id: str) -> Any:
        params = {"InstanceId": instance_id, "UserId": user_id}
        return (await self.call("describe_user", "agent", **params))["User"]

    async def queue(self, instance_id: str, queue_id: str) -> Any:
        params = {"InstanceId": instance_id, "QueueId": queue_id}
        return (await self.call("describe_queue", "queue", **params))["Queue"]

    async def attributes(self, instance_id: str, initial_id: str) -> Any:
        params = {"InstanceId": instance_id, "InitialContactId": initial_id}
        return (await self.call("get_contact_attributes", "contact", **params)).get(
            "Attributes", {}
        )

    async def references(self, instance_id: str, contact_id: str) -> Any:
        # Connect takes at most `max` reference types a call: every group, every page.
        shape = self._client.meta.service_model.shape_for("ReferenceTypes")
        every, size = shape.member.enum, shape.metadata.get("max", 6)
        summaries: list[Any] = []
        for start in range(0, len(every), size):
            params = {"InstanceId": instance_id, "ContactId": contact_id}
            params["ReferenceTypes"] = every[start : start + size]
            while True:
                page = await self.call("list_contact_references", "contact", **params)
                summaries += page.get("ReferenceSummaryList", [])
                if not page.get("NextToken"):
                    break
                params["NextToken"] = page["NextToken"]
        return summaries

    async def get(self, kind: Kind, instance_id: str, entity_id: str) -> Fetched:
        """The store's interface, for search pages: each one a SearchContacts call."""
        return Fetched(await kind.fetch(cast(ConnectClient, self), instance_id, entity_id))

    async def search_contacts(self, **params: Any) -> Any:
        return await self.call("search_contacts", "instance", **params)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()


class DirectLoader:
    """Stands in for a DataLoader: every `load` is an upstream call, nothing is shared."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch

    async def load(self, key: tuple[str, str]) -> Any:
        try:
            return await self._fetch(*key)
        except NotFound:
            return None  # what the store answers for a missing entity


@dataclass(frozen=True)
class DirectLoaders:
    contact: DirectLoader
    agent: DirectLoader
    queue: DirectLoader
    attributes: DirectLoader
    references: DirectLoader
    stale: list[Any] = field(default_factory=list)
    reads: Reads = field(default_factory=Reads)


class DirectView(GraphQL[Context, None]):
    """The gateway's schema over HTTP, its resolvers handed DirectLoaders (duck typing)."""

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(schema, graphql_ide=None, multipart_uploads_enabled=False)
        self.settings = settings

    async def get_context(self, request: Any, response: Any) -> Context:
        connect: DirectConnect = request.state.connect
        loaders = DirectLoaders(
            contact=DirectLoader(connect.contact),
            agent=DirectLoader(connect.agent),
            queue=DirectLoader(connect.queue),
            attributes=DirectLoader(connect.attributes),
            references=DirectLoader(connect.references),
        )
        return Context(
            settings=self.settings,
            store=cast(EntityStore, connect),  # searchContacts asks the store for its pages
            loaders=cast(Loaders, loaders),
            request_id=request_id.get(),
        )

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            data["errors"] = [format_error(error, request_id.get()) for error in result.errors]
        return data


def create_baseline_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, object]]:
        connect = await asyncio.to_thread(DirectConnect, settings)
        try:
            yield {"connect": connect}
        finally:
            connect.close()

    async def readyz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ready"})

    schema = create_schema(limits_of(settings))
    return Starlette(
        routes=[Route("/graphql", DirectView(schema, settings)), Route("/readyz", readyz)],
        middleware=[Middleware(RequestIdMiddleware)],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args()
    settings = Settings()
    if settings.instance_id is None:
        settings = settings.model_copy(update={"instance_id": DEMO_INSTANCE_ID})
    configure(settings.log_level, settings.log_format)
    print(f"baseline: serving GraphQL at http://{args.host}:{args.port}/graphql", flush=True)
    uvicorn.run(
        create_baseline_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
