"""GraphQL over HTTP (the GraphQL Foundation's spec): which requests /graphql takes, and in
which media type and with which status it answers.

- Response media type from `Accept`: `application/graphql-response+json` when the client
  prefers it, `application/json` for older clients (also for `*/*`, `application/*` and no
  Accept at all); 406 when neither is acceptable (or only in another charset than UTF-8).
- Under `application/graphql-response+json` a request that fails before execution (JSON,
  parse, validation, variable coercion, the limits) is answered 400 with no `data` entry;
  under `application/json` it stays 200, as older clients expect.
- POST takes `application/json` bodies (415 otherwise); GET runs queries only (405 for a
  mutation or subscription, `Allow: POST`); other methods 405 (`Allow: GET, POST`).
"""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from gateway.core.errors import BadUserInput
from gateway.http.errors import error_response
from gateway.http.state import request_state

__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "HTTPProtocol",
    "MethodNotAllowed",
    "is_request_error",
    "response_media_type",
]

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
_REQUEST_TYPES = (JSON, GRAPHQL_RESPONSE_JSON)
# Among equally preferred types, the spec's own first, then JSON named, then wildcards.
_RANK = {GRAPHQL_RESPONSE_JSON: 3, JSON: 2, "application/*": 1, "*/*": 1}


class MethodNotAllowed(Exception):
    def __init__(self, message: str, allow: str) -> None:
        super().__init__(message)
        self.message = message
        self.allow = allow


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer in, or None when `accept` allows neither JSON type."""
    if accept is None or not accept.strip():
        return JSON
    best: tuple[float, int] = (0.0, 0)
    chosen: str | None = None
    for item in accept.split(","):
        media, *parameters = (part.strip() for part in item.split(";"))
        media = media.lower()
        rank = _RANK.get(media)
        quality = _quality(parameters)
        if rank is None or quality is None or (quality, rank) <= best:
            continue
        best = (quality, rank)
        chosen = GRAPHQL_RESPONSE_JSON if media == GRAPHQL_RESPONSE_JSON else JSON
    return chosen


def _quality(parameters: list[str]) -> float | None:
    """The q of an Accept item; None when it is 0, malformed, or names a charset not UTF-8."""
    quality = 1.0
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        name, value = name.strip().lower(), value.strip().strip('"').lower()
        if name == "q":
            try:
                quality = float(value)
            except ValueError:
                return None
        elif name == "charset" and value not in ("utf-8", "utf8"):
            return None
    return quality if quality > 0 else None


def is_request_error(result: ExecutionResult) -> bool:
    """True for a result of a request that failed before execution (no `data` entry):
    parsing, validation, or variable coercion, whose errors are the only ones with no path
    (graphql-core reports a coercion failure as a plain result, not strawberry's
    PreExecutionError)."""
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None
        and bool(result.errors)
        and all(e.path is None for e in result.errors or ())
    )


def _refusal(request: Request) -> Response | None:
    """The answer to a request /graphql does not take, before anything reads its body."""
    if request.method not in ("GET", "POST"):
        return error_response(
            "/graphql takes GET (queries) and POST", 405, headers={"allow": "GET, POST"}
        )
    if request.method == "POST":
        media, *parameters = (p.strip() for p in request.headers.get("content-type", "").split(";"))
        charset = next(
            (
                p.partition("=")[2].strip('" ').lower()
                for p in parameters
                if p.lower().startswith("charset=")
            ),
            "utf-8",
        )
        if media.lower() not in _REQUEST_TYPES or charset not in ("utf-8", "utf8"):
            return error_response(
                "POST /graphql takes a JSON body in UTF-8: Content-Type: application/json", 415
            )
    if response_media_type(request.headers.get("accept")) is None and not _wants_page(request):
        return error_response(
            f"/graphql answers in {GRAPHQL_RESPONSE_JSON} or {JSON}: Accept allows neither",
            406,
        )
    return None


def _wants_page(request: Request) -> bool:
    """A browser's GET for GraphiQL (or its 404 when GraphiQL is off): HTML, not JSON."""
    accept = request.headers.get("accept", "")
    return request.method == "GET" and "query" not in request.query_params and "text/html" in accept


class HTTPProtocol:
    """Mixed into the Strawberry view: refusals before the body is read, GET limited to
    queries with 405, and the status and media type of every answer from /graphql."""

    def refuse(self, request: Request) -> Response | None:
        return _refusal(request)

    def finish(self, request: Request, response: Response) -> Response:
        """`response` in the negotiated media type, 400 for a request error under
        application/graphql-response+json."""
        if response.media_type == "text/html" or response.headers.get(
            "content-type", ""
        ).startswith("text/html"):
            return response
        media = response_media_type(request.headers.get("accept")) or JSON
        response.headers["content-type"] = media
        response.headers["vary"] = (
            "Accept" if "vary" not in response.headers else f"{response.headers['vary']}, Accept"
        )
        if (
            media == GRAPHQL_RESPONSE_JSON
            and request_state(request).request_error
            and response.status_code == 200
        ):
            response.status_code = 400
        return response

    async def parse_http_body(self, request: Any) -> Any:
        data = await self._json_post(request)
        if data is None:
            data = await super().parse_http_body(request)  # type: ignore[misc]
        if not isinstance(getattr(data, "operation_name", None), str | None):
            raise HTTPException(400, "The operation's `operationName` must be a string or null")
        return data

    async def _json_post(self, request: Any) -> GraphQLRequestData | None:
        """Strawberry's reading of a POST of JSON (the common request), without what it
        does for the others (parsing Content-Type with the email package, looking for a
        streaming transport in Accept); None for any other request: strawberry reads it."""
        if request.method != "POST":
            return None
        media = (request.content_type or "").partition(";")[0].strip().lower()
        accept = request.headers.get("accept") or ""
        if media != JSON or "multipart" in accept or "event-stream" in accept:
            return None
        data = self.parse_json(await request.get_body())  # type: ignore[attr-defined]
        if not isinstance(data, dict):
            return None  # strawberry's own words for it
        query, variables, extensions = (data.get(k) for k in ("query", "variables", "extensions"))
        if not isinstance(query, str | None):
            raise HTTPException(
                400, "The GraphQL operation's `query` must be a string or null, if provided."
            )
        if not isinstance(variables, dict | None):
            raise HTTPException(
                400, "The GraphQL operation's `variables` must be an object or null, if provided."
            )
        if not isinstance(extensions, dict | None):
            raise HTTPException(
                400,
                "The GraphQL operation's `extensions` must be an object or null, if provided.",
            )
        return GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=data.get("operationName"),
            extensions=extensions,
            protocol="http",
        )

    async def execute_single(self, request: Any, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            result: ExecutionResult = await super().execute_single(request, *args, **kwargs)  # type: ignore[misc]
        except HTTPException as error:
            cause = error.__cause__
            if not isinstance(cause, InvalidOperationTypeError):
                raise
            if cause.operation_type == OperationType.SUBSCRIPTION:
                message = (
                    "subscriptions run over a websocket (graphql-transport-ws on /graphql), "
                    "not over HTTP"
                )
                if request.method == "GET":
                    raise MethodNotAllowed(message, "POST") from error
                raise BadUserInput(message) from error
            if request.method == "GET":
                raise MethodNotAllowed(
                    "GET /graphql runs queries only: mutations take POST", "POST"
                ) from error
            raise
        request_state(request).request_error = is_request_error(result)
        return result
