"""Authentication: API keys and JWTs in, the request's caller (gateway/core/caller.py) out."""

from __future__ import annotations

from gateway.core.errors import Unauthenticated
from gateway.http.auth.authenticator import Authenticator
from gateway.http.auth.middleware import AuthenticationMiddleware

__all__ = ["AuthenticationMiddleware", "Authenticator", "Unauthenticated"]
