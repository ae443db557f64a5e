"""Who is asking: an API key or a bearer token in, a Caller out (or Unauthenticated)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.core.caller import EVERYONE, Caller
from gateway.core.errors import Unauthenticated
from gateway.http.auth.keys import ApiKeys
from gateway.http.auth.tokens import TokenVerifier

if TYPE_CHECKING:
    from gateway.core.settings import Settings

__all__ = ["Authenticator"]


class Authenticator:
    """GATEWAY_AUTH's methods: `keys` for `api-key`, `tokens` for `jwt`; neither: `none`,
    where every caller is EVERYONE."""

    def __init__(self, keys: ApiKeys | None = None, tokens: TokenVerifier | None = None) -> None:
        self.keys = keys
        self.tokens = tokens

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        methods = settings.auth_methods
        keys = tokens = None
        if "api-key" in methods:
            assert settings.api_keys_file is not None  # Settings requires it
            keys = ApiKeys.load(settings.api_keys_file)
        if "jwt" in methods:
            url, issuer, audience = (
                settings.jwt_jwks_url,
                settings.jwt_issuer,
                settings.jwt_audience,
            )
            assert url is not None  # Settings requires the three
            assert issuer is not None
            assert audience is not None
            tokens = TokenVerifier(
                url,
                issuer,
                audience,
                scopes_claim=settings.jwt_scopes_claim,
                audience_claim=settings.jwt_audience_claim,
                leeway_seconds=settings.jwt_leeway_seconds,
                jwks_ttl_seconds=settings.jwt_jwks_ttl_seconds,
                refetch_seconds=settings.jwt_jwks_refetch_seconds,
            )
        return cls(keys, tokens)

    @property
    def required(self) -> bool:
        """False for GATEWAY_AUTH=none."""
        return self.keys is not None or self.tokens is not None

    async def authenticate(self, api_key: str | None, bearer: str | None) -> Caller:
        """The caller these credentials (an X-API-Key value, an Authorization bearer token)
        name. Raises Unauthenticated (HTTP 401); UpstreamUnavailable when the token issuer's
        keys cannot be fetched."""
        if not self.required:
            return EVERYONE
        # Every credential sent is checked: a valid one never excuses an invalid one.
        found: list[Caller] = []
        if api_key is not None and self.keys is not None:
            caller = self.keys.caller(api_key)
            if caller is None:
                raise Unauthenticated("invalid API key")
            found.append(caller)
        if bearer is not None and self.tokens is not None:
            found.append(await self.tokens.caller(bearer))
        if len(found) > 1:
            raise Unauthenticated("send one credential: an API key or a bearer token")
        if found:
            return found[0]
        raise Unauthenticated(f"authentication required: send {self._expected()}")

    def _expected(self) -> str:
        ways = []
        if self.keys is not None:
            ways.append("an API key in X-API-Key")
        if self.tokens is not None:
            ways.append("a token in Authorization: Bearer")
        return " or ".join(ways)
