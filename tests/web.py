"""The tests' HTTP clients: httpx's, sharing one TLS context.

httpx builds a TLS context for every client it makes, even for plain HTTP, loading the CA
bundle each time (20-30 ms of CPU); the suite makes about a thousand clients against its
local servers, so they share one."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["TLS", "AsyncClient", "Client", "get", "post"]

TLS = httpx.create_ssl_context()


def Client(**options: Any) -> httpx.Client:
    return httpx.Client(verify=TLS, **options)


def AsyncClient(**options: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=TLS, **options)


def get(url: str, **options: Any) -> httpx.Response:
    return httpx.get(url, verify=TLS, **options)


def post(url: str, **options: Any) -> httpx.Response:
    return httpx.post(url, verify=TLS, **options)
