"""The cache under the store: JSON in Redis, TTL by the contact's state, shared by replicas."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import redis

from gateway.emulator import DEMO_INSTANCE_ID
from tests.chains import demo_contacts
from tests.conftest import REDIS_URL
from tests.support import Emulator, Gateway

CONTACT = "query($id: ID!) { contact(contactId: $id) { id disconnectTimestamp } }"


@pytest.fixture
def ended_and_active(emulator: Emulator) -> tuple[str, str]:
    contacts = demo_contacts(emulator.contacts()).values()
    ended = next(c["id"] for c in contacts if c["disconnected"])
    active = next(c["id"] for c in contacts if not c["disconnected"])
    return ended, active


@pytest.mark.redis
def test_redis_holds_json_with_ttl_by_state(
    start_gateway: Callable[..., Gateway],
    emulator: Emulator,
    redis_namespace: str,
    ended_and_active: tuple[str, str],
) -> None:
    gateway = start_gateway(
        cache_url=REDIS_URL,
        cache_namespace=redis_namespace,
        ttl_ended_seconds=1000,
        ttl_active_seconds=10,
        ttl_not_found_seconds=100,
        stale_while_revalidate_seconds=20,
        stale_if_error_seconds=200,
    )
    ended, active = ended_and_active
    for contact_id in (ended, active, "no-such-contact"):
        gateway.query(CONTACT, id=contact_id)

    client = redis.Redis.from_url(REDIS_URL)

    def key(contact_id: str) -> str:
        return f"{redis_namespace}:{{contact:v2:{DEMO_INSTANCE_ID}:{contact_id}}}"

    entry = json.loads(client.get(key(ended)) or b"null")
    assert entry["value"]["Id"] == ended
    assert entry["value"]["DisconnectTimestamp"].endswith("Z")
    assert entry["ttl"] == 1000
    # Kept past freshness for stale-while-revalidate and stale-if-error.
    assert 1210 < client.ttl(key(ended)) <= 1220
    assert json.loads(client.get(key(active)) or b"null")["ttl"] == 10
    assert 220 < client.ttl(key(active)) <= 230
    missing = json.loads(client.get(key("no-such-contact")) or b"null")
    assert (missing["value"], missing["ttl"]) == (None, 100)
    assert 90 < client.ttl(key("no-such-contact")) <= 100  # no stale copy of a not-found
    client.close()


@pytest.mark.redis
def test_replicas_share_the_redis_cache(
    start_gateway: Callable[..., Gateway],
    emulator: Emulator,
    redis_namespace: str,
    ended_and_active: tuple[str, str],
    shared_url: str,
) -> None:
    first = start_gateway(cache_url=shared_url, cache_namespace=redis_namespace)
    second = start_gateway(cache_url=shared_url, cache_namespace=redis_namespace)
    ended, _ = ended_and_active

    answer = first.query(CONTACT, id=ended)
    assert second.query(CONTACT, id=ended) == answer
    assert emulator.calls() == 1


def test_zero_ttl_means_asked_again_every_time(
    start_gateway: Callable[..., Gateway], emulator: Emulator, ended_and_active: tuple[str, str]
) -> None:
    gateway = start_gateway(ttl_active_seconds=0, stale_while_revalidate_seconds=0)
    ended, active = ended_and_active

    for _ in range(2):
        gateway.query(CONTACT, id=ended)
        gateway.query(CONTACT, id=active)

    assert emulator.calls() == 3  # the ended contact once, the active one every time
