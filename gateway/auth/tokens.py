"""JWTs (OIDC access tokens) verified against the issuer's JWKS, with PyJWT.

Only RS256 and ES256 are accepted, and a key signs only with its own algorithm: `none`, and
HS256 "signed" with the public key, are refused before any key is looked up. `exp`, `nbf`,
`iss`, `aud` and `sub` are required and checked, with a little clock skew. PyJWKClient
caches the key set (`GATEWAY_JWT_JWKS_TTL_SECONDS`) and refetches it for an unknown `kid`
(a rotated key) at most once per `GATEWAY_JWT_JWKS_REFETCH_SECONDS`; its blocking fetch
runs in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import jwt

from gateway.caller import Caller
from gateway.errors import Unauthenticated, UpstreamUnavailable

__all__ = ["ALGORITHMS", "TokenVerifier", "scopes_of"]

ALGORITHMS = ("RS256", "ES256")

log = logging.getLogger(__name__)


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
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.scopes_claim = scopes_claim
        self.audience_claim = audience_claim
        self.leeway = leeway_seconds
        self.jwks = jwt.PyJWKClient(
            jwks_url,
            lifespan=jwks_ttl_seconds,
            cooldown_duration=refetch_seconds,
            timeout=5,
        )

    async def caller(self, token: str) -> Caller:
        """The caller this token names; Unauthenticated when it does not verify."""
        kid = _kid(token)
        key = await self._key(kid)
        by_aud = self.audience_claim == "aud"
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
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
        return Caller(subject, scopes_of(claims, self.scopes_claim))

    async def _key(self, kid: str) -> jwt.PyJWK:
        try:
            return await asyncio.to_thread(self.jwks.get_signing_key, kid)
        except jwt.PyJWKClientConnectionError as error:
            log.warning("cannot fetch the issuer's keys (JWKS): %s", error)
            raise UpstreamUnavailable("the token issuer's keys could not be fetched") from None
        except (jwt.PyJWKClientError, jwt.PyJWKSetError, jwt.PyJWKError):
            raise Unauthenticated("invalid token: not signed by a key of the issuer") from None


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
    `scope` or `scp`; each a space-separated string or a list."""
    if claim is None:
        value = claims.get("scope", claims.get("scp"))
    else:
        value = claims
        for part in claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(item for item in value if isinstance(item, str))
    return frozenset()
