"""The one place where botocore's errors become the gateway's (keyed on `Error.Code`)."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectionError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)

from gateway.core.errors import (
    BadUserInput,
    Conflict,
    Forbidden,
    GatewayError,
    NotFound,
    UpstreamThrottled,
    UpstreamUnavailable,
)

__all__ = ["translate"]

_BY_CODE: dict[str, type[GatewayError]] = {
    "ResourceNotFoundException": NotFound,
    "OutputTypeNotFoundException": NotFound,  # Contact Lens keeps no such output
    "NoSuchKey": NotFound,  # S3
    "NoSuchBucket": NotFound,
    "SlowDown": UpstreamThrottled,
    "InvalidParameterException": BadUserInput,
    "InvalidRequestException": BadUserInput,
    "ValidationException": BadUserInput,
    "ThrottlingException": UpstreamThrottled,
    "TooManyRequestsException": UpstreamThrottled,
    "LimitExceededException": UpstreamThrottled,
    "AccessDeniedException": Forbidden,
    "UnauthorizedException": Forbidden,
    "UnrecognizedClientException": Forbidden,
    "InvalidSignatureException": Forbidden,
    "ExpiredTokenException": Forbidden,
    "MissingAuthenticationTokenException": Forbidden,
    "ContactNotFoundException": NotFound,  # StopContact: not active, or no such contact
    "ResourceConflictException": Conflict,  # UpdateContactRoutingData: not in a queue
    "ConflictException": Conflict,  # pausing a paused contact, resuming a running one
    "IdempotencyException": Conflict,  # a ClientToken used for another request
    "ServiceQuotaExceededException": BadUserInput,  # 12 tasks on one previous contact
    "InternalServiceException": UpstreamUnavailable,
    "ServiceUnavailableException": UpstreamUnavailable,
}

_MESSAGES: dict[type[GatewayError], str] = {
    NotFound: "Connect has no such {what}",
    BadUserInput: "Connect rejected the request: {detail}",
    Conflict: "Connect refused the change: {detail}",
    UpstreamThrottled: "Connect is throttling requests; try again shortly",
    Forbidden: "Connect refused the gateway's credentials for this request",
    UpstreamUnavailable: "Connect is unavailable; try again shortly",
}


def translate(error: Exception, what: str) -> Exception:
    """The gateway error for a botocore error; anything unknown is returned as it is.

    `what` names the entity asked for ("contact"), for the NOT_FOUND message. Connect's
    own messages are passed on only for rejected input, where they help the caller.
    """
    kind = _kind(error)
    if kind is None:
        return error
    detail = ""
    if isinstance(error, ClientError):
        detail = str(error.response.get("Error", {}).get("Message", ""))
    return kind(_MESSAGES[kind].format(what=what, detail=detail or "invalid parameter"))


def _kind(error: Exception) -> type[GatewayError] | None:
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _BY_CODE:
            return _BY_CODE[code]
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if status == 429:
            return UpstreamThrottled
        if status in (401, 403):
            return Forbidden
        if status >= 500:
            return UpstreamUnavailable
        return None
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return Forbidden
    if isinstance(error, ConnectionError | HTTPClientError):
        return UpstreamUnavailable  # timeouts and refused connections are both here
    return None
