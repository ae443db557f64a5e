"""GraphQL over HTTP (strawberry's ASGI view): per-request context, coded errors for
malformed requests, and GraphiQL opened on a working example query."""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from cross_web import HTTPException
from graphql import (
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    parse,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from gateway.api.context import Context
from gateway.api.errors import MASKED_MESSAGE, format_error
from gateway.api.payloads import check_members, decode_object
from gateway.api.persisted import PersistedOperations
from gateway.connect import budget
from gateway.connect.allowances import Allowances
from gateway.core import deadline
from gateway.core.caller import EVERYONE
from gateway.core.clock import SYSTEM, Clock
from gateway.core.errors import (
    INTERNAL_SERVER_ERROR,
    GatewayError,
    NotFound,
    ScopeRefused,
)
from gateway.core.settings import Settings
from gateway.data.loaders import Loaders
from gateway.data.responses import headers_of, replay, request_key
from gateway.http import connection
from gateway.http.assets import Assets
from gateway.http.errors import error_response
from gateway.http.graphiql import graphiql_page
from gateway.http.hits import count_hit, wants_fresh
from gateway.http.protocol import HTTPProtocol, MethodNotAllowed, is_request_error
from gateway.http.state import caller_of, request_state, services_of
from gateway.observability.audit import Audit
from gateway.observability.logs import request_id
from gateway.observability.metrics import Metrics

__all__ = ["EXAMPLE_QUERY", "EXAMPLE_WRITE", "GraphQLView"]

EXAMPLE_QUERY = """\
# A contact and the contacts linked to it, in one query. Press Ctrl-Enter to run it.
query ContactWithLinks($contactId: ID!, $instanceId: ID) {
  contact(contactId: $contactId, instanceId: $instanceId) {
    id
    instanceId
    channel
    initiationMethod
    initiationTimestamp
    disconnectTimestamp
    agentInfo { id connectedToAgentTimestamp }
    queueInfo { id enqueueTimestamp }
    previousContact { id instanceId initiationMethod initiationTimestamp }
    initialContact { id instanceId channel initiationMethod initiationTimestamp }
    relatedContact { id instanceId channel initiationMethod name }
  }
}
"""

EXAMPLE_WRITE = """\
# An agent desktop sets the call's disposition and notes: attributes of the whole chain,
# read back in the same round trip.
mutation SetDisposition($contactId: ID!) {
  updateContactAttributes(
    input: {
      contactId: $contactId
      attributes: [
        { key: "disposition", value: "callback" }
        { key: "notes", value: "Asked for a refund" }
      ]
    }
  ) {
    contact {
      id
      instanceId
      attributes(keys: ["disposition", "notes"]) {
        key
        value
      }
    }
  }
}
"""
"""A write, GraphiQL's second tab (schema/operations/SetDisposition.graphql)."""

log = logging.getLogger(__name__)


class GraphQLView(HTTPProtocol, GraphQL[Context, None]):
    websocket_adapter_class = connection.WebSocketAdapter

    def __init__(
        self,
        schema: Any,
        settings: Settings,
        metrics: Metrics,
        assets: Assets | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            multipart_uploads_enabled=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            allowed_origins=settings.cors_origins,
        )
        self.settings = settings
        self.metrics = metrics
        self.assets = assets or Assets()
        self.persisted = PersistedOperations.from_settings(settings)
        self.refreshes = Allowances(settings.no_cache_per_minute, clock)
        per_minute = settings.caller_upstream_calls_per_minute
        self.upstream = Allowances(per_minute, clock) if per_minute else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            websocket = WebSocket(scope, receive, send)
            try:
                await self.run(websocket)
            finally:
                connection.connection_closed(websocket)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = self.refuse(request)
        if response is None:
            response = await self._answer(request)
        else:
            response.headers["cache-control"] = "no-store"
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        """From the response cache when it has the answer, else executed (and kept). A POST
        the hit path (gateway/http/hits.py) looked up and missed comes with its key."""
        started = time.perf_counter()
        responses = services_of(request).responses
        if responses is None:
            return self._finished(request, await self._execute(request))
        caller = caller_of(request)
        state = request_state(request)
        key = state.response_key
        if key is None:
            key = await request_key(request, caller.scope_key, self.settings.default_instance)
        if key is not None and not state.looked_up:
            if _no_cache(request.headers):
                responses.count_bypass()
            elif (entry := responses.get(key)) is not None:
                count_hit(self.metrics, entry, caller, started)
                return replay(entry)
        since = responses.epoch
        response = self._finished(request, await self._execute(request))
        if key is not None and response.status_code == 200 and state.reusable:
            assert state.loaders is not None  # a reusable answer was executed
            reads = state.loaders.reads
            headers = headers_of(response)
            operation = state.operation_label or ""
            responses.put(
                key, bytes(response.body), headers, reads.tags, reads.fresh_for, since, operation
            )
        return response

    def _finished(self, request: Request, response: Response) -> Response:
        """The answer as sent, and as the response cache keeps it."""
        response = self.finish(request, response)
        # Contact data must not linger in browser or proxy caches.
        response.headers["cache-control"] = "no-store"
        return response

    async def _execute(self, request: Request) -> Response:
        try:
            return await self.run(request)
        except HTTPException as error:
            return error_response(error.reason, error.status_code)
        except MethodNotAllowed as error:
            return error_response(error.message, 405, headers={"allow": error.allow})
        except GatewayError as error:
            return error_response(error.message, getattr(error, "status", 400), error.code)
        except Exception:
            log.exception("unexpected error handling the request")
            return error_response(MASKED_MESSAGE, 500, INTERNAL_SERVER_ERROR)

    def decode_json(self, data: str | bytes) -> object:
        # Strawberry expects an object here (the body, or GET's variables or extensions).
        return decode_object(data)

    async def parse_http_body(self, request: Any) -> GraphQLRequestData:
        data: GraphQLRequestData | list[GraphQLRequestData] = await super().parse_http_body(request)
        assert not isinstance(data, list)  # decode_json refuses batches
        check_members(data.query, data.variables, data.operation_name, data.extensions)
        return data

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        await connection.authenticate(context)
        unset: UnsetType = UNSET
        return unset

    async def get_context(self, request: Any, response: Any) -> Context:
        if isinstance(request, WebSocket):
            return connection.connection_context(request, self.settings, request_id.get())
        deadline.start(self.settings.request_timeout_seconds)
        store = services_of(request).store
        # Set by the authentication middleware: a request it never saw reads as nobody.
        caller = caller_of(request)
        state = request_state(request)
        fresh = _no_cache(request.headers)
        state.no_cache_refused = fresh and not self.refreshes.allow(caller.id)
        loaders = Loaders.for_request(store, fresh=fresh and not state.no_cache_refused)
        state.loaders = loaders
        state.audit = audit = Audit(caller.id)
        # Without authentication every caller is one (EVERYONE): a share would be a cap.
        budget.charge(None if caller is EVERYONE else self.upstream, caller.id)
        return Context(
            settings=self.settings,
            store=store,
            loaders=loaders,
            request_id=request_id.get(),
            caller=caller,
            audit=audit,
            writer=services_of(request).writer if request.method == "POST" else None,
        )

    async def execute_operation(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        state = request_state(request)
        cache = services_of(request).cache
        kwargs["request_data"] = await self.persisted.resolve_request(kwargs["request_data"], cache)
        data = kwargs.get("request_data", args[1] if len(args) > 1 else None)
        state.operation = data
        # For metrics and the audit line, also when a client sends no operationName for a
        # document's sole operation (as many do).
        operation_name = getattr(data, "operation_name", None)
        if not operation_name:
            sole = _operation(getattr(data, "query", None), None, self.settings.max_tokens)
            operation_name = None if sole is None or sole.name is None else sole.name.value
        name = self.metrics.operation_label(operation_name)
        state.operation_label = name
        requests, latency = self.metrics.of_operation(name)
        requests.inc()
        with latency.time():
            result = await super().execute_operation(request, *args, **kwargs)
        errors = getattr(result, "errors", None) or []
        if state.audit is not None:
            state.audit.write(operation_name, len(errors))
        return result

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = {} if is_request_error(result) else {"data": result.data}
        codes: set[str] = set()
        if result.errors:
            errors = [format_error(error, request_id.get()) for error in result.errors]
            for error in errors:
                codes.add(error["extensions"]["code"])
                self.metrics.errors.labels(error["extensions"]["code"]).inc()
            data["errors"] = list[object](errors)
        extensions = dict(result.extensions or {})
        state = request_state(request)
        loaders = state.loaders
        if loaders is not None and loaders.stale:
            extensions["stale"] = [entry.to_json() for entry in loaders.stale]
        operation = state.operation
        state.reusable = (
            loaders is not None
            and not loaders.stale
            and _deterministic(result.errors or [])
            and _is_query(operation, self.settings.max_tokens)
        )
        if state.no_cache_refused:
            extensions["noCache"] = "refused: too many fresh reads; served from the cache"
            state.reusable = False  # the note is for this caller, this time
        if extensions:
            data["extensions"] = extensions
        return data

    async def render_graphql_ide(self, request: Any) -> HTMLResponse:
        variables = {"contactId": self.settings.example_contact_id or "<a contact id>"}
        tabs = [(EXAMPLE_QUERY, variables), (EXAMPLE_WRITE, variables)]
        return graphiql_page(self.assets, request.url.path, tabs)


@functools.lru_cache(maxsize=256)
def _operation(
    document: str | None, operation_name: str | None, max_tokens: int
) -> OperationDefinitionNode | None:
    """The operation of `document` a request runs (its only one when no name is given),
    parsed once per document text; None when there is none or the document is invalid."""
    if not document:
        return None
    try:
        return get_operation_ast(parse(document, max_tokens=max_tokens), operation_name)
    except (GraphQLError, RecursionError):
        return None


def _is_query(data: Any, max_tokens: int) -> bool:
    """True for a query (mutations and subscriptions are never reused)."""
    operation = _operation(
        getattr(data, "query", None), getattr(data, "operation_name", None), max_tokens
    )
    return operation is not None and operation.operation == OperationType.QUERY


def _no_cache(headers: Any) -> bool:
    """True when the caller asks for fresh data (see hits.wants_fresh)."""
    return wants_fresh(headers.get("cache-control"), headers.get("pragma"))


def _deterministic(errors: list[GraphQLError]) -> bool:
    """Errors a cached response may repeat: no such entity, or outside the caller's scopes
    (the cache key holds the scopes). Anything else may be gone on the next try."""
    return all(isinstance(e.original_error, NotFound | ScopeRefused) for e in errors)
