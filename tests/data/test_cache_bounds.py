"""The process's own memory of entries is bounded by bytes: the memory cache (without Redis,
or Redis's stand-in while it is unreachable) by GATEWAY_MEMORY_CACHE_MB of JSON text, the
decoded warm set by DECODED entries and DECODED_BYTES (their text, weighted), the local
generations by their count; past a bound the least recently written or read go."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

from gateway.api import members
from gateway.api.contact import Contact
from gateway.api.members import Place
from gateway.data import cache as cache_module
from gateway.data.cache import DECODED, DECODED_BYTES, DECODED_PER_TEXT_BYTE, Cache
from gateway.shared.coordination import Coordinator


def _memory_cache(memory_bytes: int) -> Cache:
    return Cache(Coordinator("memory://", "t", 0.5), memory_bytes)


def _record(n: int, size: int) -> dict[str, str]:
    return {"Id": f"contact-{n}", "Pad": "x" * size}


async def test_the_memory_cache_keeps_at_most_its_bytes_the_least_recently_written_go() -> None:
    cache = _memory_cache(100_000)
    for n in range(1000):
        await cache.set(f"contact:{n}", _record(n, 1000), ttl=3600)
    assert cache._written_bytes <= 100_000
    assert await cache.get("contact:0") is None  # among the first written: gone
    assert (await cache.get("contact:999"))["Id"] == "contact-999"  # the last: kept
    kept = [n for n in range(1000) if await cache.get(f"contact:{n}") is not None]
    assert 50 <= len(kept) <= 100
    assert kept == list(range(1000 - len(kept), 1000))


async def test_rewriting_a_key_counts_it_once_and_forgetting_it_frees_its_bytes() -> None:
    cache = _memory_cache(1_000_000)
    for _ in range(50):
        await cache.set("contact:same", _record(1, 1000), ttl=3600)
    assert len(cache._written) == 1
    assert 1000 < cache._written_bytes < 1000 + 700
    await cache.forget_local(["contact:same"])
    assert cache._written_bytes == 0
    await cache.set("contact:other", _record(2, 10), ttl=3600)
    await cache.forget_all_local()
    assert (cache._written_bytes, len(cache._written)) == (0, 0)


async def test_the_decoded_warm_set_is_bounded_by_its_text_and_its_count() -> None:
    cache = _memory_cache(64 * 2**20)
    big = DECODED_BYTES // DECODED_PER_TEXT_BYTE // 20  # about twenty such entries fit
    for n in range(100):
        await cache.set(f"search:{n}", _record(n, big), ttl=3600)
        await cache.get(f"search:{n}")
    assert cache._decoded_bytes <= DECODED_BYTES
    assert 15 <= len(cache._decoded) <= 20
    for n in range(DECODED + 200):
        await cache.set(f"contact:{n}", _record(n, 10), ttl=3600)
        await cache.get(f"contact:{n}")
    assert len(cache._decoded) == DECODED


async def test_what_the_memory_cache_holds_stays_within_its_bound_as_python_counts_it() -> None:
    budget = 2 * 2**20
    tracemalloc.start()
    try:
        cache = _memory_cache(budget)
        before = tracemalloc.get_traced_memory()[0]
        for n in range(5000):
            await cache.set(f"contact:v2:instance:{n}", _record(n, 2000), ttl=3600)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # Within the bound, but for the TTL timers of evicted entries, which asyncio drops from
    # its heap once they are half of it.
    assert held <= 1.5 * budget, held


async def test_local_generations_are_bounded_without_redis_too() -> None:
    cache = _memory_cache(64 * 2**20)
    for n in range(cache_module._GENERATIONS + 500):
        await cache.create(f"contact:{n}", False, _record(n, 1), ttl=60)
    assert len(cache._generations) == cache_module._GENERATIONS


async def test_a_replaced_record_takes_its_converted_nodes_with_it() -> None:
    # The nodes api/members.py keeps per record go when the cache drops the record: a
    # refetched contact's old record is not kept alive by them.
    cache = _memory_cache(64 * 2**20)
    await cache.set("contact:v2:i:c1", {"Id": "c1", "Channel": "VOICE"}, ttl=60)
    old = await cache.get("contact:v2:i:c1")
    node = Contact.of(old, Place("i"))
    assert Contact.of(old, Place("i")) is node  # converted once while the record lives
    gone = weakref.ref(node)
    await cache.set("contact:v2:i:c1", {"Id": "c1", "Channel": "CHAT"}, ttl=60)
    new = await cache.get("contact:v2:i:c1")
    assert new is not old
    assert id(old) not in members._kept_by_record
    del node, old
    gc.collect()
    assert gone() is None
    assert Contact.of(new, Place("i")).channel.value == "CHAT"
