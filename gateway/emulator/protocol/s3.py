"""A small, read-only S3 serving the media bucket (`gateway.emulator.operations.media`) path-style
under `/_s3`: `boto3.client("s3", endpoint_url=url + "/_s3",
config=Config(s3={"addressing_style": "path"}))` sends `/_s3/<bucket>/<key>`, a path no
Connect route has.

ListObjectsV2 (prefix, delimiter, start-after, max-keys, continuation tokens,
encoding-type=url), GetObject (one byte range, `response-*` header overrides) and
HeadObject answer as S3 does, in its XML; any other request answers 501 NotImplemented
(405 MethodNotAllowed for writes). A request needs a SigV4 (or SigV2) Authorization header
or a presigned query string; signatures are not checked, but a presigned URL past its
expiry (X-Amz-Date plus X-Amz-Expires, or SigV2's Expires, against the real time, as S3's
clock is) answers 403 AccessDenied "Request has expired". Like Connect's operations, each
request is counted in the stats under its operation name, rate-limited (503 SlowDown, and
counted as throttled), delayed and subject to injected faults, whose errors take S3's
codes (ThrottlingException is SlowDown, ResourceNotFoundException NoSuchKey, and so on);
a fault's `patch` does not apply to S3.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote_plus, unquote
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

from gateway.emulator.operations.media import S3Object, bucket_objects
from gateway.emulator.protocol.faults import MALFORMED_RESPONSE
from gateway.emulator.protocol.state import EmulatorState
from gateway.emulator.protocol.sts import Denied, check_caller

__all__ = ["S3_OPERATIONS", "S3Error", "S3Service"]

S3_OPERATIONS = ("ListObjectsV2", "GetObject", "HeadObject")

_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_MAX_KEYS = 1000
_MAX_EXPIRES = 604800
_FAULTS = {
    "InternalServiceException": ("InternalError", 500),
    "ThrottlingException": ("SlowDown", 503),
    "AccessDeniedException": ("AccessDenied", 403),
    "ResourceNotFoundException": ("NoSuchKey", 404),
    "InvalidParameterException": ("InvalidArgument", 400),
    "InvalidRequestException": ("InvalidRequest", 400),
}
_MESSAGES = {
    "InternalError": "We encountered an internal error. Please try again.",
    "SlowDown": "Please reduce your request rate.",
    "AccessDenied": "Access Denied",
    "NoSuchKey": "The specified key does not exist.",
    "NoSuchBucket": "The specified bucket does not exist",
    "InvalidArgument": "Invalid Argument",
    "InvalidRequest": "Invalid Request",
}
_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-disposition": "Content-Disposition",
    "response-content-language": "Content-Language",
    "response-content-encoding": "Content-Encoding",
    "response-cache-control": "Cache-Control",
    "response-expires": "Expires",
}


# How S3 names what Connect answers as check_caller's codes.
_S3_DENIALS = {
    "InvalidSignatureException": ("AuthorizationHeaderMalformed", 400),
    "UnrecognizedClientException": ("InvalidToken", 400),
    "ExpiredTokenException": ("ExpiredToken", 400),
}


class S3Error(Exception):
    """An S3 error: its code, status, message and the extra elements S3 adds."""

    def __init__(self, code: str, status: int, message: str | None = None, **extra: str) -> None:
        super().__init__(code)
        self.code, self.status = code, status
        self.message = message or _MESSAGES.get(code, code)
        self.extra = extra


class S3Service:
    """The handler behind `/_s3/...`."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._objects: dict[str, dict[str, S3Object]] | None = None
        self._built_for = -1

    async def handle(self, request: Request) -> Response:
        request_id = uuid.uuid4().hex[:16].upper()
        headers = {
            "x-amz-request-id": request_id,
            "x-amz-id-2": base64.b64encode(request_id.encode()).decode(),
        }
        head = request.method == "HEAD"
        operation: str | None = None
        try:
            operation, bucket, key = _route(request)
            response = await self._answer(request, operation, bucket, key)
        except S3Error as error:
            if error.code == "SlowDown" and operation is not None:
                self.state.stats.throttled(operation)
            return _error_response(error, headers, request_id, head)
        except _Malformed as cut:
            return Response(cut.body, headers=headers, media_type="application/xml")
        response.headers.update(headers)
        return response

    async def _answer(self, request: Request, operation: str, bucket: str, key: str) -> Response:
        state = self.state
        state.stats.called(operation)
        _authenticate(request)
        try:
            check_caller(request, state.options)
        except Denied as denied:
            code, status = _S3_DENIALS.get(denied.code, ("AccessDenied", 403))
            raise S3Error(code, status, denied.message) from None
        if not state.throttle.allow(operation):
            raise S3Error("SlowDown", 503)
        await _sleep(state.options.latency_ms)
        fault = state.faults.take(operation, {"Bucket": bucket, "Key": key})
        if fault is not None:
            await _sleep(fault.delay_ms)
            if fault.error is not None and fault.error != MALFORMED_RESPONSE:
                code, status = _FAULTS.get(fault.error, ("InternalError", 500))
                raise S3Error(code, status)
        objects = self._bucket(bucket)
        if operation == "ListObjectsV2":
            body = _list(bucket, objects, dict(request.query_params), state.options.max_page_size)
            if fault is not None and fault.error == MALFORMED_RESPONSE:
                raise _Malformed(body[: len(body) // 2])
            return Response(body, media_type="application/xml")
        item = objects.get(key)
        if item is None:
            raise S3Error("NoSuchKey", 404, Key=key)
        return _object_response(request, item, head=operation == "HeadObject")

    def _bucket(self, bucket: str) -> dict[str, S3Object]:
        count = sum(len(instance.contacts) for instance in self.state.dataset.instances.values())
        if self._objects is None or count != self._built_for:
            self._objects, self._built_for = bucket_objects(self.state.dataset), count
        found = self._objects.get(bucket)
        if found is None:
            raise S3Error("NoSuchBucket", 404, BucketName=bucket)
        return found


class _Malformed(Exception):
    def __init__(self, body: bytes) -> None:
        super().__init__("malformed")
        self.body = body


def _route(request: Request) -> tuple[str, str, str]:
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = raw.decode("latin-1").split("?", 1)[0]
    rest = path[len("/_s3") :].lstrip("/")
    bucket, _, key = rest.partition("/")
    bucket, key = unquote(bucket), unquote(key)
    method = request.method
    if method not in ("GET", "HEAD"):
        raise S3Error("MethodNotAllowed", 405, "The emulator's S3 is read-only.")
    if bucket and key:
        return ("GetObject" if method == "GET" else "HeadObject"), bucket, key
    if bucket and method == "GET" and request.query_params.get("list-type") == "2":
        return "ListObjectsV2", bucket, ""
    raise S3Error("NotImplemented", 501, "The emulator's S3 does not implement this request.")


def _authenticate(request: Request) -> None:
    query = request.query_params
    if "authorization" in request.headers:
        return
    now = datetime.now(UTC)
    if "X-Amz-Signature" in query:
        try:
            signed = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            expires = int(query["X-Amz-Expires"])
        except (KeyError, ValueError):
            raise S3Error(
                "AuthorizationQueryParametersError",
                400,
                "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                "and X-Amz-Expires parameters.",
            ) from None
        if not 0 <= expires <= _MAX_EXPIRES:
            raise S3Error(
                "AuthorizationQueryParametersError",
                400,
                "X-Amz-Expires must be less than a week (in seconds) that is 604800",
            )
        if now > signed + timedelta(seconds=expires):
            raise S3Error(
                "AccessDenied",
                403,
                "Request has expired",
                **{
                    "X-Amz-Expires": str(expires),
                    "Expires": _iso(signed + timedelta(seconds=expires)),
                    "ServerTime": _iso(now),
                },
            )
        return
    if "Signature" in query and "Expires" in query:
        try:
            deadline = datetime.fromtimestamp(int(query["Expires"]), UTC)
        except ValueError:
            raise S3Error("AccessDenied", 403) from None
        if now > deadline:
            raise S3Error(
                "AccessDenied",
                403,
                "Request has expired",
                Expires=_iso(deadline),
                ServerTime=_iso(now),
            )
        return
    raise S3Error("AccessDenied", 403)


def _list(
    bucket: str, objects: Mapping[str, S3Object], query: Mapping[str, str], cap: int | None
) -> bytes:
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    encode = query.get("encoding-type") == "url"
    start_after = query.get("start-after", "")
    token = query.get("continuation-token")
    try:
        max_keys = min(int(query.get("max-keys", _MAX_KEYS)), _MAX_KEYS)
    except ValueError:
        raise S3Error(
            "InvalidArgument", 400, "Provided max-keys not an integer or within integer range"
        ) from None
    if max_keys < 0:
        raise S3Error(
            "InvalidArgument", 400, "Provided max-keys not an integer or within integer range"
        )
    if cap is not None:
        max_keys = min(max_keys, cap)
    marker = _marker(token) if token is not None else start_after
    contents: list[S3Object] = []
    prefixes: list[str] = []
    truncated = False
    last = ""
    for key, item in objects.items():
        if not key.startswith(prefix) or key <= marker:
            continue
        if delimiter and marker.endswith(delimiter) and key.startswith(marker):
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        common = key[: cut + len(delimiter)] if cut >= 0 else None
        if common is not None and prefixes and prefixes[-1] == common:
            continue
        if len(contents) + len(prefixes) >= max_keys:
            truncated = True
            break
        if common is not None:
            prefixes.append(common)
            last = common
        else:
            contents.append(item)
            last = key

    def text(value: str) -> str:
        return escape(quote_plus(value, safe="/") if encode else value)

    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{_NS}">']
    parts.append(f"<Name>{escape(bucket)}</Name><Prefix>{text(prefix)}</Prefix>")
    if delimiter:
        parts.append(f"<Delimiter>{text(delimiter)}</Delimiter>")
    parts.append(f"<MaxKeys>{max_keys}</MaxKeys>")
    if encode:
        parts.append("<EncodingType>url</EncodingType>")
    parts.append(f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount>")
    parts.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
    if token is not None:
        parts.append(f"<ContinuationToken>{escape(token)}</ContinuationToken>")
    if truncated:
        parts.append(f"<NextContinuationToken>{_token(last)}</NextContinuationToken>")
    if start_after:
        parts.append(f"<StartAfter>{text(start_after)}</StartAfter>")
    for item in contents:
        parts.append(
            f"<Contents><Key>{text(item.key)}</Key>"
            f"<LastModified>{_iso(item.last_modified)}</LastModified>"
            f"<ETag>{escape(item.etag)}</ETag><Size>{item.size}</Size>"
            "<StorageClass>STANDARD</StorageClass></Contents>"
        )
    for common in prefixes:
        parts.append(f"<CommonPrefixes><Prefix>{text(common)}</Prefix></CommonPrefixes>")
    parts.append("</ListBucketResult>")
    return "".join(parts).encode()


def _token(marker: str) -> str:
    return base64.urlsafe_b64encode(f"1:{marker}".encode()).decode()


def _marker(token: str) -> str:
    try:
        version, _, marker = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        version, marker = "", ""
    if version != "1":
        raise S3Error("InvalidArgument", 400, "The continuation token provided is incorrect")
    return marker


def _object_response(request: Request, item: S3Object, *, head: bool) -> Response:
    headers = {
        "Last-Modified": format_datetime(item.last_modified, usegmt=True),
        "ETag": item.etag,
        "Accept-Ranges": "bytes",
        "Content-Type": item.content_type,
        "x-amz-server-side-encryption": "aws:kms",
    }
    for parameter, header in _OVERRIDES.items():
        if parameter in request.query_params:
            headers[header] = request.query_params[parameter]
    span = _range(request.headers.get("range"), item.size)
    status = 200
    start, end = 0, item.size - 1
    if span is not None:
        start, end = span
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{item.size}"
    headers["Content-Length"] = str(end - start + 1 if item.size else 0)
    body = b"" if head else item.render()[start : end + 1]
    return Response(body, status_code=status, headers=headers)


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """The byte range (first, last) one `bytes=` range asks for; None for the whole object
    (no header, several ranges or one S3 ignores); S3Error 416 if it cannot be served."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, sep, last = header[len("bytes=") :].strip().partition("-")
    try:
        if not sep:
            return None
        if first == "":
            length = int(last)
            if length <= 0:
                raise _unsatisfiable(header, size)
            return max(size - length, 0), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size:
        raise _unsatisfiable(header, size)
    if end < start:
        return None
    return start, min(end, size - 1)


def _unsatisfiable(header: str, size: int) -> S3Error:
    return S3Error(
        "InvalidRange",
        416,
        "The requested range is not satisfiable",
        RangeRequested=header,
        ActualObjectSize=str(size),
    )


def _error_response(
    error: S3Error, headers: dict[str, str], request_id: str, head: bool
) -> Response:
    if error.status == 416:
        headers = headers | {"Content-Range": f"bytes */{error.extra.get('ActualObjectSize', 0)}"}
    if head:
        return Response(b"", status_code=error.status, headers=headers)
    extra = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in error.extra.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{error.code}</Code><Message>{escape(error.message)}</Message>{extra}"
        f"<RequestId>{request_id}</RequestId><HostId>{headers['x-amz-id-2']}</HostId></Error>"
    ).encode()
    return Response(body, status_code=error.status, headers=headers, media_type="application/xml")


def _iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


async def _sleep(milliseconds: float) -> None:
    if milliseconds > 0:
        await asyncio.sleep(milliseconds / 1000)
