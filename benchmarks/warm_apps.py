"""The reference servers of benchmarks/warm_path.py, on Starlette and uvicorn. Two hold the
contacts in a dict (Connect's JSON records, as DescribeContact answers them):

- naive: the afternoon prototype: Strawberry types with one resolver per field, reading the
  record; strawberry's defaults (no parser or validation cache);
- raw: graphql-core alone on camelCase dicts (its default resolver reads keys), the parsed
  and validated document kept per query text: the floor of executing this query in Python.

The third holds one answer:

- bare: a Starlette endpoint that reads the body and returns the bytes of the file it was
  given (the gateway's answer to the benchmark's query), as `application/json`: the floor
  of answering over HTTP in Python, which a response cache hit is measured against.

    .venv/bin/python benchmarks/warm_apps.py naive|raw|bare RECORDS.json|ANSWER PORT
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from functools import lru_cache
from typing import Any

import strawberry
import uvicorn
from graphql import (
    DocumentNode,
    build_schema,
    execute,
    parse,
    validate,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

__all__ = ["bare_app", "naive_app", "raw_app"]

Record = dict[str, Any]


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@strawberry.type
class AgentInfo:
    data: strawberry.Private[Record]

    @strawberry.field
    def id(self) -> strawberry.ID | None:
        return self.data.get("Id")

    @strawberry.field
    def connected_to_agent_timestamp(self) -> datetime | None:
        return _time(self.data.get("ConnectedToAgentTimestamp"))


@strawberry.type
class QueueInfo:
    data: strawberry.Private[Record]

    @strawberry.field
    def id(self) -> strawberry.ID | None:
        return self.data.get("Id")

    @strawberry.field
    def enqueue_timestamp(self) -> datetime | None:
        return _time(self.data.get("EnqueueTimestamp"))


CONTACTS: dict[str, Record] = {}


def _contact(contact_id: str | None) -> Contact | None:
    record = CONTACTS.get(contact_id or "")
    return None if record is None else Contact(data=record)


@strawberry.type
class Contact:
    data: strawberry.Private[Record]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.data["Id"])

    @strawberry.field
    def arn(self) -> str | None:
        return self.data.get("Arn")

    @strawberry.field
    def channel(self) -> str | None:
        return self.data.get("Channel")

    @strawberry.field
    def initiation_method(self) -> str | None:
        return self.data.get("InitiationMethod")

    @strawberry.field
    def name(self) -> str | None:
        return self.data.get("Name")

    @strawberry.field
    def description(self) -> str | None:
        return self.data.get("Description")

    @strawberry.field
    def initiation_timestamp(self) -> datetime | None:
        return _time(self.data.get("InitiationTimestamp"))

    @strawberry.field
    def disconnect_timestamp(self) -> datetime | None:
        return _time(self.data.get("DisconnectTimestamp"))

    @strawberry.field
    def last_update_timestamp(self) -> datetime | None:
        return _time(self.data.get("LastUpdateTimestamp"))

    @strawberry.field
    def previous_contact_id(self) -> strawberry.ID | None:
        return self.data.get("PreviousContactId")

    @strawberry.field
    def initial_contact_id(self) -> strawberry.ID | None:
        return self.data.get("InitialContactId")

    @strawberry.field
    def related_contact_id(self) -> strawberry.ID | None:
        return self.data.get("RelatedContactId")

    @strawberry.field
    def agent_info(self) -> AgentInfo | None:
        info = self.data.get("AgentInfo")
        return None if info is None else AgentInfo(data=info)

    @strawberry.field
    def queue_info(self) -> QueueInfo | None:
        info = self.data.get("QueueInfo")
        return None if info is None else QueueInfo(data=info)

    @strawberry.field
    def previous_contact(self) -> Contact | None:
        return _contact(self.data.get("PreviousContactId"))

    @strawberry.field
    def initial_contact(self) -> Contact | None:
        return _contact(self.data.get("InitialContactId"))

    @strawberry.field
    def related_contact(self) -> Contact | None:
        return _contact(self.data.get("RelatedContactId"))


@strawberry.type
class Query:
    @strawberry.field
    def contact(self, contact_id: strawberry.ID) -> Contact | None:
        return _contact(contact_id)


async def _healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def naive_app(records: dict[str, Record]) -> Starlette:
    CONTACTS.update(records)
    view = GraphQL[None, None](strawberry.Schema(query=Query))
    return Starlette(routes=[Route("/graphql", view), Route("/healthz", _healthz)])


SDL = """
type Query { contact(contactId: ID!): Contact }
type AgentInfo { id: ID connectedToAgentTimestamp: String }
type QueueInfo { id: ID enqueueTimestamp: String }
type Contact {
  id: ID! arn: String channel: String initiationMethod: String name: String
  description: String initiationTimestamp: String disconnectTimestamp: String
  lastUpdateTimestamp: String previousContactId: ID initialContactId: ID
  relatedContactId: ID agentInfo: AgentInfo queueInfo: QueueInfo
  previousContact: Contact initialContact: Contact relatedContact: Contact
}
"""


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {key[0].lower() + key[1:]: _camel(item) for key, item in value.items()}
    return value


def raw_app(records: dict[str, Record]) -> Starlette:
    contacts = {key: _camel(record) for key, record in records.items()}
    schema = build_schema(SDL)
    fields = schema.type_map["Contact"].fields  # type: ignore[union-attr]
    for link in ("previous", "initial", "related"):
        member = f"{link}ContactId"
        fields[f"{link}Contact"].resolve = lambda obj, _, m=member: contacts.get(obj.get(m))
    schema.query_type.fields["contact"].resolve = (  # type: ignore[union-attr]
        lambda _, __, contactId: contacts.get(contactId)
    )

    @lru_cache(maxsize=64)
    def document(query: str) -> DocumentNode:
        parsed = parse(query)
        errors = validate(schema, parsed)
        if errors:
            raise ValueError(errors[0].message)
        return parsed

    async def endpoint(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        result = execute(
            schema,
            document(body["query"]),
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
        )
        return JSONResponse(result.formatted)  # type: ignore[union-attr]

    return Starlette(
        routes=[Route("/graphql", endpoint, methods=["POST"]), Route("/healthz", _healthz)]
    )


def bare_app(answer: bytes) -> Starlette:
    async def endpoint(request: Request) -> Response:
        await request.body()
        return Response(answer, media_type="application/json")

    return Starlette(
        routes=[Route("/graphql", endpoint, methods=["POST"]), Route("/healthz", _healthz)]
    )


def main() -> None:
    kind, path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "bare":
        with open(path, "rb") as answer:
            app = bare_app(answer.read())
    else:
        with open(path) as file:
            records: dict[str, Record] = json.load(file)
        app = naive_app(records) if kind == "naive" else raw_app(records)
    # The gateway's own choice of loop (GATEWAY_EVENT_LOOP, as benchmarks/warm_path.py sets
    # it for every server), so that each server runs on the same one.
    loop: Any = os.environ.get("GATEWAY_EVENT_LOOP", "auto")
    uvicorn.run(app, host="127.0.0.1", port=port, loop=loop, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
