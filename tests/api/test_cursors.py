"""Search cursors are signed: a forged cursor, or one signed by another secret, is refused
before any call; replicas sharing GATEWAY_CURSOR_SECRET accept each other's."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.test_search import _search
from tests.conftest import REDIS_URL
from tests.support import Emulator, Gateway

SECRET = "s" * 40


def _refused(result: dict[str, Any], emulator: Emulator) -> str:
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert emulator.stats()["calls"] == {}
    return result["errors"][0]["message"]  # type: ignore[no-any-return]


def _end_cursor(gateway: Gateway, emulator: Emulator) -> str:
    cursor: str = _search(gateway, emulator, first=3)["data"]["searchContacts"]["pageInfo"][
        "endCursor"
    ]
    emulator.reset()
    return cursor


def test_a_forged_cursor_is_refused(gateway: Gateway, emulator: Emulator) -> None:
    payload, _, signature = _end_cursor(gateway, emulator).partition(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["t"] = "a token of my own"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    result = _search(gateway, emulator, first=3, after=f"{forged}.{signature}")

    assert "not a cursor this gateway gave out" in _refused(result, emulator)


@pytest.mark.parametrize("after", ["", ".", "x.y", "é.é", "a" * 5000])
def test_garbage_cursors_are_refused(gateway: Gateway, emulator: Emulator, after: str) -> None:
    result = _search(gateway, emulator, first=3, after=after)

    assert "not a cursor this gateway gave out" in _refused(result, emulator)


def test_a_cursor_of_another_secret_is_refused(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    one = start_gateway(cursor_secret=SECRET)
    two = start_gateway(cursor_secret="t" * 40)

    result = _search(two, emulator, first=3, after=_end_cursor(one, emulator))

    assert "not a cursor this gateway gave out" in _refused(result, emulator)


def test_replicas_sharing_the_secret_accept_each_other_s_cursors(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    one = start_gateway(cursor_secret=SECRET)
    two = start_gateway(cursor_secret=SECRET)

    result = _search(two, emulator, first=3, after=_end_cursor(one, emulator))

    assert "errors" not in result
    assert len(result["data"]["searchContacts"]["edges"]) == 3


def test_without_a_secret_replicas_are_warned(
    start_gateway: Callable[..., Gateway], redis_namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway.api.cursors"):
        start_gateway(cache_url=REDIS_URL, cache_namespace=redis_namespace)

    assert any("GATEWAY_CURSOR_SECRET" in r.getMessage() for r in caplog.records)


def test_one_process_without_a_secret_is_not_warned(
    start_gateway: Callable[..., Gateway], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway.api.cursors"):
        start_gateway()

    assert not any("GATEWAY_CURSOR_SECRET" in r.getMessage() for r in caplog.records)
