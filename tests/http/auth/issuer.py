"""A token issuer for tests: keys it generates, a JWKS endpoint on a real uvicorn server
(counting its fetches), and tokens signed every way a client might, right or wrong."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.http.servers import ServerThread

__all__ = [
    "AUDIENCE",
    "ISSUER",
    "FlakyIssuer",
    "Issuer",
    "SigningKey",
    "running_flaky_issuer",
    "running_issuer",
]

ISSUER = "https://idp.example.com/realms/contact-center"
AUDIENCE = "connect-gateway"


# RSA keys are slow to make (about 60 ms each): SigningKeys take them in turn from a pool of
# a few, so that keys made one after the other always differ.
_RSA_POOL: list[Any] = []
_RSA_POOL_SIZE = 6
_rsa_turn = itertools.count()


def _rsa_key() -> Any:
    turn = next(_rsa_turn) % _RSA_POOL_SIZE
    if turn == len(_RSA_POOL):
        _RSA_POOL.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _RSA_POOL[turn]


class SigningKey:
    def __init__(self, algorithm: str = "RS256", kid: str | None = None) -> None:
        self.algorithm = algorithm
        self.kid = kid or uuid.uuid4().hex
        if algorithm == "RS256":
            self.private: Any = _rsa_key()
            self.jwk = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.jwk = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        self.jwk |= {"kid": self.kid, "use": "sig", "alg": algorithm}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(  # type: ignore[no-any-return]
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, **overrides: Any) -> str:
        """A token of this key, valid for an hour, unless `overrides` say otherwise (a
        value of None drops the claim)."""
        return jwt.encode(_claims(overrides), self.private, self.algorithm, {"kid": self.kid})


def _claims(overrides: dict[str, Any]) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "agent-7",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "scope": "contacts:read contacts:pii instance:*",
    } | overrides
    return {name: value for name, value in claims.items() if value is not None}


def unsigned(kid: str, **overrides: Any) -> str:
    """`alg: none`: no signature at all."""
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    return f"{_b64(header)}.{_b64(_claims(overrides))}."


def hs256_with(secret: bytes, kid: str, **overrides: Any) -> str:
    """HS256 "signed" with `secret` (an attacker uses the issuer's public key)."""
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{_b64(_claims(overrides))}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


class Issuer:
    """The JWKS endpoint: `keys` is what it serves now; `fetches` counts its requests."""

    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.url = ""

    async def jwks(self, request: Request) -> JSONResponse:
        self.fetches += 1
        return JSONResponse({"keys": [key.jwk for key in self.keys]})


@contextmanager
def running_issuer(*keys: SigningKey) -> Iterator[Issuer]:
    issuer = Issuer(*keys)
    app = Starlette(routes=[Route("/.well-known/jwks.json", issuer.jwks)])
    with ServerThread(app) as server:
        issuer.url = f"{server.url}/.well-known/jwks.json"
        yield issuer


class FlakyIssuer(Issuer):
    """An Issuer whose JWKS endpoint can be held (each request waits, counted, until
    `release()`), answer 500 (`failing`), or serve `body` instead of the keys."""

    def __init__(self, *keys: SigningKey) -> None:
        super().__init__(*keys)
        self.failing = False
        self.body: bytes | None = None
        self.asked = threading.Event()
        self._open = threading.Event()
        self._open.set()

    def hold(self) -> None:
        self.asked.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def answer(self, request: Request) -> Response:
        self.fetches += 1
        self.asked.set()
        # A thread waits, not the server's loop: a held request must not stop the server.
        await asyncio.to_thread(self._open.wait)
        if self.failing:
            return JSONResponse({"error": "the issuer is down"}, status_code=500)
        if self.body is not None:
            return Response(self.body, media_type="application/json")
        return JSONResponse({"keys": [key.jwk for key in self.keys]})


@contextmanager
def running_flaky_issuer(*keys: SigningKey) -> Iterator[FlakyIssuer]:
    issuer = FlakyIssuer(*keys)
    app = Starlette(routes=[Route("/.well-known/jwks.json", issuer.answer)])
    with ServerThread(app) as server:
        issuer.url = f"{server.url}/.well-known/jwks.json"
        try:
            yield issuer
        finally:
            issuer.release()  # else the server would wait for a held request as it stops
