"""The small part of AWS STS the gateway uses, AssumeRole, and who may call Connect and S3.

AssumeRole is a POST to `/` in STS's Query protocol (a form with Action=AssumeRole,
Version=2011-06-15, RoleArn, RoleSessionName, optionally ExternalId and DurationSeconds),
answered in STS's XML, errors in its XML ErrorResponse. The role must be of this emulator's
account; with `role_external_id`, ExternalId must match (else 403 AccessDenied, as IAM's
trust policy condition `sts:ExternalId` does).

The credentials it issues describe themselves: the session token carries the account, the
role and the expiry, signed with a key every emulator shares, and the access key ID (ASIA…)
is derived from the token, so that any emulator can check them without shared state. Their
Expiration is on the wall clock, since botocore compares it with the real time to refresh
them (the emulator's data clock may be stopped).

Who may call: a request signed for another region than `region` (when given) is refused
(403 InvalidSignatureException), as AWS's regional endpoints do. With `only_assumed_roles`,
Connect and S3 take only credentials this STS issued for this account: an unknown token
answers 403 UnrecognizedClientException, an expired one 403 ExpiredTokenException, another
account's 403 AccessDeniedException. Signatures themselves are not verified.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

from gateway.emulator.protocol.options import EmulatorOptions
from gateway.emulator.protocol.stats import Stats

__all__ = ["Denied", "StsService", "check_caller", "issue", "read_token"]

_KEY = b"connect-graphql-gateway emulator STS"
_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
_ROLE = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/((?:[\w+=,.@-]+/)*)([\w+=,.@-]{1,64})")
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/")


class Denied(Exception):
    """A caller refused: the error code, message and HTTP status to answer with."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class Session:
    """What an issued session token says."""

    account: str
    role_arn: str
    session_name: str
    expires: datetime


def issue(account: str, role_arn: str, session_name: str, expires: datetime) -> dict[str, str]:
    """Credentials for `role_arn`'s session, valid until `expires`."""
    claims = {"a": account, "r": role_arn, "s": session_name, "e": int(expires.timestamp())}
    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode())
    token = payload.decode() + "." + _sign(payload)
    digest = hashlib.sha256(token.encode()).digest()
    return {
        "AccessKeyId": _access_key(token),
        "SecretAccessKey": base64.b64encode(hashlib.sha256(b"secret" + digest).digest()).decode(),
        "SessionToken": token,
        "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def read_token(access_key: str, token: str) -> Session | None:
    """The session `token` describes if this STS issued it with `access_key`, else None."""
    payload, _, signature = token.partition(".")
    if not hmac.compare_digest(signature, _sign(payload.encode())):
        return None
    if access_key != _access_key(token):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
        expires = datetime.fromtimestamp(int(claims["e"]), UTC)
        return Session(str(claims["a"]), str(claims["r"]), str(claims["s"]), expires)
    except (ValueError, KeyError, TypeError):
        return None


def _access_key(token: str) -> str:
    """The access key ID issued with `token`: derived from it, so that it needs no store."""
    digest = hashlib.sha256(token.encode()).digest()
    return "ASIA" + base64.b32encode(digest).decode()[:16]


def _sign(payload: bytes) -> str:
    return hmac.new(_KEY, payload, hashlib.sha256).hexdigest()


def _credential(request: Request) -> tuple[str, str] | None:
    """The access key ID and region a SigV4 request is signed with (header or query)."""
    found = _CREDENTIAL.search(request.headers.get("authorization", ""))
    if found:
        return found.group(1), found.group(2)
    parts = request.query_params.get("X-Amz-Credential", "").split("/")
    return (parts[0], parts[2]) if len(parts) >= 3 else None


def check_caller(request: Request, options: EmulatorOptions, *, sts: bool = False) -> None:
    """Refuse (Denied) a signed request the emulator's region or account would not take:
    signed for another region; or, with `only_assumed_roles` and unless it is an STS call,
    made without credentials this STS issued for this account, or with expired ones."""
    credential = _credential(request)
    if options.region is not None and credential is not None and credential[1] != options.region:
        raise Denied(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region. (expected {options.region})",
        )
    if sts or not options.only_assumed_roles:
        return
    token = request.headers.get("x-amz-security-token") or request.query_params.get(
        "X-Amz-Security-Token"
    )
    session = read_token(credential[0], token) if credential and token else None
    if session is None:
        raise Denied(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    if session.expires <= datetime.now(UTC):
        raise Denied(
            "ExpiredTokenException", "The security token included in the request is expired"
        )
    if session.account != options.account_id:
        role = session.role_arn.rsplit("/", 1)[-1]
        caller = f"arn:aws:sts::{session.account}:assumed-role/{role}/{session.session_name}"
        raise Denied(
            "AccessDeniedException",
            f"User: {caller} is not authorized to access account {options.account_id}",
        )


class StsService:
    """AssumeRole at POST /; any other POST to / goes on to `fallback` (Connect's API)."""

    def __init__(self, options: EmulatorOptions, stats: Stats) -> None:
        self.options, self.stats = options, stats

    @staticmethod
    async def form(request: Request) -> dict[str, str] | None:
        """The STS Query-protocol form of `request`, or None if it is not an STS call."""
        if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return None
        fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        return fields if "Action" in fields else None

    async def handle(self, request: Request, fields: dict[str, str]) -> Response:
        request_id = str(uuid.uuid4())
        try:
            return _xml(self._answer(request, fields), request_id)
        except Denied as denied:
            return _error(denied, request_id)

    def _answer(self, request: Request, fields: dict[str, str]) -> str:
        action = fields.get("Action", "")
        if action != "AssumeRole" or fields.get("Version") != "2011-06-15":
            raise Denied(
                "InvalidAction", f"Could not find operation {action} for version", status=400
            )
        self.stats.called("AssumeRole")
        if "authorization" not in request.headers:
            raise Denied("MissingAuthenticationToken", "Request is missing Authentication Token")
        check_caller(request, self.options, sts=True)
        role_arn, name = fields.get("RoleArn", ""), fields.get("RoleSessionName", "")
        role = _ROLE.fullmatch(role_arn)
        if role is None:
            raise Denied("ValidationError", f"{role_arn!r} is not a valid role ARN", status=400)
        if not _SESSION_NAME.fullmatch(name):
            raise Denied(
                "ValidationError",
                "1 validation error detected: Value at 'roleSessionName' failed to satisfy "
                "constraint: Member must have length between 2 and 64, and match [\\w+=,.@-]*",
                status=400,
            )
        seconds = self.options.sts_credential_seconds
        if "DurationSeconds" in fields:
            try:
                seconds = int(fields["DurationSeconds"])
            except ValueError:
                seconds = 0
            if not 900 <= seconds <= 43200:
                raise Denied(
                    "ValidationError",
                    "1 validation error detected: Value at 'durationSeconds' failed to satisfy "
                    "constraint: Member must have value between 900 and 43200",
                    status=400,
                )
        external = self.options.role_external_id
        if role.group(1) != self.options.account_id or (
            external is not None and fields.get("ExternalId") != external
        ):
            raise Denied(
                "AccessDenied",
                f"User is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            )
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
        credentials = issue(self.options.account_id, role_arn, name, expires)
        role_id = "AROA" + hashlib.sha256(role_arn.encode()).hexdigest()[:17].upper()
        assumed = f"arn:aws:sts::{role.group(1)}:assumed-role/{role.group(3)}/{name}"
        inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in credentials.items())
        return (
            "<AssumeRoleResult>"
            f"<Credentials>{inner}</Credentials>"
            f"<AssumedRoleUser><AssumedRoleId>{role_id}:{escape(name)}</AssumedRoleId>"
            f"<Arn>{escape(assumed)}</Arn></AssumedRoleUser>"
            "<PackedPolicySize>0</PackedPolicySize>"
            "</AssumeRoleResult>"
        )


def _xml(result: str, request_id: str) -> Response:
    body = (
        f'<AssumeRoleResponse xmlns="{_NAMESPACE}">{result}'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</AssumeRoleResponse>"
    )
    return Response(body, media_type="text/xml", headers={"x-amzn-RequestId": request_id})


def _error(denied: Denied, request_id: str) -> Response:
    kind = "Sender" if denied.status < 500 else "Receiver"
    body = (
        f'<ErrorResponse xmlns="{_NAMESPACE}"><Error><Type>{kind}</Type>'
        f"<Code>{escape(denied.code)}</Code><Message>{escape(denied.message)}</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return Response(
        body,
        status_code=denied.status,
        media_type="text/xml",
        headers={"x-amzn-RequestId": request_id},
    )
