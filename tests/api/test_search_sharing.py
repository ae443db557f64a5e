"""Search pages shared between callers, polls and replicas: SearchContacts calls counted
by an emulator holding Connect's SearchContacts quota (0.5 a second, burst 1)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.core.rates import CONNECT_QUOTAS
from gateway.emulator import EmulatorOptions, create_emulator_app
from gateway.http.servers import ServerThread
from tests import web
from tests.clock import FakeClock
from tests.conftest import REDIS_URL
from tests.support import Emulator, Gateway

SEARCH = """
query($from: DateTime!, $to: DateTime!, $first: Int!, $after: String) {
  searchContacts(
    timeRange: { type: INITIATION_TIMESTAMP, startTime: $from, endTime: $to }
    first: $first
    after: $after
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id channel } }
  }
}
"""


@pytest.fixture
def connect_quota() -> Iterator[Emulator]:
    """An emulator at Connect's default quotas (SearchContacts: 0.5 a second, burst 1)."""
    options = EmulatorOptions(quotas=dict(CONNECT_QUOTAS))
    with ServerThread(create_emulator_app(options)) as server:
        client = Emulator(server.url)
        yield client
        client.http.close()


def last_eight_weeks() -> dict[str, str]:
    """The longest range Connect searches, as a dashboard computes it from its own clock."""
    now = datetime.now(UTC)
    return {"from": (now - timedelta(weeks=8)).isoformat(), "to": now.isoformat()}


async def poll(url: str, until: float, answers: list[dict[str, Any]]) -> None:
    async with web.AsyncClient(timeout=60) as client:
        while time.monotonic() < until:
            variables = last_eight_weeks() | {"first": 10}
            response = await client.post(
                f"{url}/graphql", json={"query": SEARCH, "variables": variables}
            )
            answers.append(response.json())
            await asyncio.sleep(0.2)


@pytest.mark.long(10)
async def test_twenty_pollers_make_at_most_one_search_every_two_seconds(
    connect_quota: Emulator, start_gateway: Callable[..., Gateway]
) -> None:
    gateway = start_gateway(connect_endpoint_url=connect_quota.url)
    answers: list[dict[str, Any]] = []
    started = time.monotonic()
    await asyncio.gather(*(poll(gateway.url, started + 10, answers) for _ in range(20)))
    elapsed = time.monotonic() - started

    assert [a["errors"] for a in answers if "errors" in a] == []
    assert len(answers) >= 20
    assert len({a["data"]["searchContacts"]["totalCount"] for a in answers}) == 1
    calls = connect_quota.calls("SearchContacts")
    assert 1 <= calls <= elapsed / 2
    assert connect_quota.throttled("SearchContacts") == 0


def test_later_pages_search_the_window_of_the_first(
    start_gateway: Callable[..., Gateway], clock: FakeClock
) -> None:
    """The window moves on between pages; the cursor keeps the first page's range, which
    Connect's NextToken was issued for."""
    gateway = start_gateway(clock, ttl_search_seconds=5)
    variables = last_eight_weeks() | {"first": 30}
    first = gateway.query(SEARCH, **variables)["data"]["searchContacts"]
    assert first["pageInfo"]["hasNextPage"]
    clock.advance(6)
    later = last_eight_weeks() | {"first": 30, "after": first["pageInfo"]["endCursor"]}
    second = gateway.query(SEARCH, **later)
    assert "errors" not in second
    page = second["data"]["searchContacts"]
    assert page["totalCount"] == first["totalCount"]
    ids = [edge["node"]["id"] for edge in first["edges"] + page["edges"]]
    assert len(ids) == len(set(ids)) == 60


@pytest.mark.redis
async def test_replicas_share_a_search_page(
    emulator: Emulator, start_gateway: Callable[..., Gateway], redis_namespace: str
) -> None:
    shared = {
        "cache_url": REDIS_URL,
        "cache_namespace": redis_namespace,
        "cache_timeout_seconds": 10,  # a loaded machine is not a Redis outage
    }
    replicas = [start_gateway(**shared), start_gateway(**shared)]
    variables = {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z", "first": 5}
    async with web.AsyncClient(timeout=60) as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    f"{replicas[n % 2].url}/graphql",
                    json={"query": SEARCH, "variables": variables},
                )
                for n in range(12)
            )
        )
    bodies = [answer.json() for answer in answers]
    assert all("errors" not in body for body in bodies)
    assert len({str(body["data"]) for body in bodies}) == 1
    assert emulator.calls("SearchContacts") == 1
