"""Authentication: API keys and JWTs in, the request's caller (gateway/caller.py) out."""

from __future__ import annotations

from gateway.auth.authenticator import Authenticator
from gateway.auth.middleware import AuthenticationMiddleware
from gateway.errors import Unauthenticated

__all__ = ["AuthenticationMiddleware", "Authenticator", "Unauthenticated"]
