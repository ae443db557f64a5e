"""JWTs (OIDC access tokens) verified against the issuer's JWKS, with PyJWT.

Only RS256 and ES256 are accepted, and a key signs only with its own algorithm: `none`, and
HS256 "signed" with the public key, are refused before any key is looked up. `exp`, `nbf`,
`iss`, `aud` and `sub` are required and checked, with a little clock skew.

The issuer's key set is held in memory, so a token whose `kid` is in it never waits on the
issuer. The set is fetched with httpx (at most 5 s), one fetch at a time: tokens that need
it while it is in flight join that fetch. It is fetched again when older than
`GATEWAY_JWT_JWKS_TTL_SECONDS` (in the background: the old keys answer meanwhile), and for
an unknown `kid` (a rotated key) at most once per `GATEWAY_JWT_JWKS_REFETCH_SECONDS`. A
failed fetch (an error, a timeout, a body that is not a key set) keeps the keys held and
waits longer before the next: the cooldown (at least 1 s), doubled after each consecutive
failure up to 5 minutes.

A token that verified is remembered, by its SHA-256, until its `exp` (and the leeway):
checked again, it costs a hash and a lookup. At most REMEMBERED_TOKENS are held, the least
recently used forgotten first; a failure is never remembered.

An unknown `kid` is 401 (Unauthenticated), with no fetch while the cooldown runs, whether
the issuer is up or down: a stranger's tokens cost the issuer nothing. It is 503
(UpstreamUnavailable) only when the token could be valid but cannot be checked: the fetch
that this request waited for failed, or no key set has ever been fetched and the issuer is
failing.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import ssl
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from gateway.core.caller import Caller, is_scope_token
from gateway.core.errors import Unauthenticated, UpstreamUnavailable

__all__ = ["ALGORITHMS", "REMEMBERED_TOKENS", "KeySet", "TokenVerifier", "scopes_of"]

ALGORITHMS = ("RS256", "ES256")

REMEMBERED_TOKENS = 10_000
"""Verified tokens held (each a digest, a caller and an expiry: about 300 bytes)."""

log = logging.getLogger(__name__)

_FETCH_TIMEOUT_SECONDS = 5.0
_MIN_BACKOFF_SECONDS = 1.0
_MAX_BACKOFF_SECONDS = 300.0

_Keys = dict[str, jwt.PyJWK]
_Verified = tuple[Caller, float, str, jwt.PyJWK]  # the caller, valid until, its key's kid, key


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every JWKS fetch (httpx would load the CA bundle for each)."""
    return httpx.create_ssl_context()


class TokenVerifier:
    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        *,
        scopes_claim: str | None = None,
        audience_claim: str = "aud",
        leeway_seconds: float = 30,
        jwks_ttl_seconds: float = 300,
        refetch_seconds: float = 30,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.scopes_claim = scopes_claim
        self.audience_claim = audience_claim
        self.leeway = leeway_seconds
        self.jwks = KeySet(jwks_url, jwks_ttl_seconds, refetch_seconds, clock)
        self._wall_clock = wall_clock  # what `exp` is counted in (PyJWT's, too)
        self._verified: OrderedDict[bytes, _Verified] = OrderedDict()

    async def caller(self, token: str) -> Caller:
        """The caller this token names; Unauthenticated when it does not verify."""
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        remembered = self._verified.get(digest)
        if remembered is not None:
            caller, until, kid, key = remembered
            # Still unexpired, and its key still the issuer's (a refresh may retire it).
            if self._wall_clock() <= until and self.jwks.held(kid) is key:
                self._verified.move_to_end(digest)
                return caller
            del self._verified[digest]
        kid = _kid(token)
        key = await self.jwks.key(kid)
        caller, expires = self._verify(token, key)
        self._verified[digest] = (caller, expires + self.leeway, kid, key)
        if len(self._verified) > REMEMBERED_TOKENS:
            self._verified.popitem(last=False)
        return caller

    def _verify(self, token: str, key: jwt.PyJWK) -> tuple[Caller, float]:
        """The caller, and the token's `exp`."""
        by_aud = self.audience_claim == "aud"
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name],
                audience=self.audience if by_aud else None,
                issuer=self.issuer,
                leeway=self.leeway,
                options={
                    "require": ["exp", "iss", "sub", self.audience_claim],
                    "verify_aud": by_aud,
                },
            )
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"invalid token: {error}") from None
        if not by_aud and claims[self.audience_claim] != self.audience:
            # Cognito's access tokens name their app client in `client_id`, and have no aud.
            raise Unauthenticated(f"invalid token: {self.audience_claim} is not this API's")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise Unauthenticated("invalid token: sub must be a non-empty string")
        for name in ("exp", "nbf", "iat"):
            # PyJWT takes "1767225600" for a time; a token's times are numbers (RFC 7519).
            if name in claims and (
                isinstance(claims[name], bool) or not isinstance(claims[name], int | float)
            ):
                raise Unauthenticated(f"invalid token: {name} must be a number")
        # Namespaced: a subject can never pass for an API key's id (key:<id>).
        return Caller(f"sub:{subject}", scopes_of(claims, self.scopes_claim)), claims["exp"]


class KeySet:
    """The issuer's signing keys by kid, fetched from `url` one fetch at a time."""

    def __init__(
        self,
        url: str,
        ttl_seconds: float,
        refetch_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.ttl = ttl_seconds
        self.cooldown = refetch_seconds
        self.clock = clock
        self._keys: _Keys | None = None
        self._fetched_at = -float("inf")
        self._next_fetch_at = -float("inf")
        self._failures = 0
        self._flight: asyncio.Task[_Keys | None] | None = None

    async def key(self, kid: str) -> jwt.PyJWK:
        """The key `kid` names. Unauthenticated when the issuer has no such key;
        UpstreamUnavailable when it cannot be asked (see the module's docstring)."""
        key = self.held(kid)
        if key is not None:
            return key
        flight = self._in_flight()
        if flight is None:
            if self.clock() < self._next_fetch_at:
                if self._keys is None:
                    raise _unavailable()
                raise _not_the_issuers()
            flight = self._start()
        # Shielded: a caller that goes away does not cancel the fetch the others wait for.
        keys = await asyncio.shield(flight)
        if keys is None:
            raise _unavailable()
        if kid not in keys:
            raise _not_the_issuers()
        return keys[kid]

    def held(self, kid: str) -> jwt.PyJWK | None:
        """The key `kid` names among those held now, without waiting; a stale set starts a
        refresh in the background."""
        if self._keys is None:
            return None
        now = self.clock()
        stale = now - self._fetched_at >= self.ttl
        if stale and now >= self._next_fetch_at and self._in_flight() is None:
            self._start()
        return self._keys.get(kid)

    def _in_flight(self) -> asyncio.Task[_Keys | None] | None:
        flight = self._flight
        if flight is None or flight.done():
            return None
        # A fetch begun on another event loop (one since closed) can never be joined here.
        if flight.get_loop() is not asyncio.get_running_loop():
            return None
        return flight

    def _start(self) -> asyncio.Task[_Keys | None]:
        self._flight = asyncio.get_running_loop().create_task(self._fetch())
        return self._flight

    async def _fetch(self) -> _Keys | None:
        """The new key set, or None when the fetch failed (the held keys stay)."""
        try:
            async with asyncio.timeout(_FETCH_TIMEOUT_SECONDS):
                async with httpx.AsyncClient(
                    timeout=_FETCH_TIMEOUT_SECONDS, verify=_tls()
                ) as client:
                    response = await client.get(self.url, headers={"accept": "application/json"})
            keys = _signing_keys(response)
        # Any error at all: nobody may be awaiting this task to see it, and the backoff must
        # still start.
        except Exception as error:
            self._failed(error)
            return None
        self._keys = keys
        self._failures = 0
        self._fetched_at = now = self.clock()
        self._next_fetch_at = now + self.cooldown
        return keys

    def _failed(self, error: Exception) -> None:
        self._failures += 1
        base = max(self.cooldown, _MIN_BACKOFF_SECONDS)
        backoff = min(base * 2 ** min(self._failures - 1, 16), max(_MAX_BACKOFF_SECONDS, base))
        self._next_fetch_at = self.clock() + backoff
        log.warning(
            "cannot fetch the issuer's keys (JWKS): %s; %d failure(s) in a row, next try in %.0f s",
            _reason(error),
            self._failures,
            backoff,
        )


def _signing_keys(response: httpx.Response) -> _Keys:
    """The RS256 and ES256 signing keys of a JWKS response, by kid; ValueError or a PyJWT
    error when the response is not a usable key set."""
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("the response is not a JWK set")
    keys = {
        key.key_id: key
        for key in jwt.PyJWKSet.from_dict(document).keys
        if isinstance(key.key_id, str)
        and key.key_id
        and key.public_key_use in ("sig", None)
        and key.algorithm_name in ALGORITHMS
    }
    if not keys:
        raise ValueError("the JWK set has no RS256 or ES256 signing key with a kid")
    return keys


def _reason(error: Exception) -> str:
    """Why a fetch failed, without its URL (which could carry a credential)."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    if isinstance(error, httpx.TimeoutException | TimeoutError):
        return f"no answer within {_FETCH_TIMEOUT_SECONDS:.0f} s"
    if isinstance(error, ValueError | jwt.PyJWTError):
        return f"not a usable key set ({type(error).__name__})"
    return type(error).__name__


def _unavailable() -> UpstreamUnavailable:
    return UpstreamUnavailable("the token issuer's keys could not be fetched")


def _not_the_issuers() -> Unauthenticated:
    return Unauthenticated("invalid token: not signed by a key of the issuer")


def _kid(token: str) -> str:
    """The token's key id, once its header says an accepted algorithm."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthenticated("invalid token: not a JWT") from None
    if header.get("alg") not in ALGORITHMS:
        raise Unauthenticated(
            f"invalid token: the algorithm must be one of {', '.join(ALGORITHMS)}"
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Unauthenticated("invalid token: no key id (kid)")
    return kid


def scopes_of(claims: dict[str, Any], claim: str | None) -> frozenset[str]:
    """The scopes of a token: `claim` (a dotted path into nested claims) when named, else
    `scope` or `scp`; each a space-separated string or a list of single scope tokens (an
    item that is not one, holding a space or a control character, is ignored: never split,
    never joined)."""
    if claim is None:
        value = claims.get("scope", claims.get("scp"))
    else:
        value = claims
        for part in claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        return frozenset(value.split(" ")) - {""} if is_scope_list(value) else frozenset()
    if isinstance(value, list):
        return frozenset(item for item in value if is_scope_token(item))
    return frozenset()


def is_scope_list(value: str) -> bool:
    """A space-separated list of scope tokens (RFC 6749 3.3), nothing else."""
    return all(is_scope_token(item) for item in value.split(" ") if item)
