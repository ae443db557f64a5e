"""Connect's clock: the wall clock with the demo data ending at start-up, or fixed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.emulator.world.clock import Clock
from gateway.emulator.world.dataset import NOW
from tests import web
from tests.emulator.conftest import connect_client


def _search_last(url: str, hours: float, end: datetime) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = connect_client(url).search_contacts(
        InstanceId=DEMO_INSTANCE_ID,
        TimeRange={
            "Type": "INITIATION_TIMESTAMP",
            "StartTime": end - timedelta(hours=hours),
            "EndTime": end,
        },
        MaxResults=100,
    )["Contacts"]
    return found


def test_on_the_wall_clock_the_last_hour_holds_the_demo(serve: Callable[..., str]) -> None:
    before = datetime.now(UTC)
    url = serve(clock="wall")
    after = datetime.now(UTC)
    rows = web.get(f"{url}/_emulator/contacts").json()["contacts"]
    active = [row for row in rows if not row["disconnected"]]
    assert len(active) >= 5
    last_hour = _search_last(url, 1, datetime.now(UTC))
    assert len(last_hour) >= 5
    assert _search_last(url, 1, NOW) == []  # nothing is left at the seeded date
    newest = max(contact["InitiationTimestamp"] for contact in last_hour)
    assert before - timedelta(minutes=5) < newest <= after
    # A new contact is initiated now, on the real clock.
    created = web.post(f"{url}/_emulator/contacts", json={"channel": "CHAT"}).json()
    record = connect_client(url).describe_contact(
        InstanceId=DEMO_INSTANCE_ID, ContactId=created["id"]
    )["Contact"]
    assert abs(record["InitiationTimestamp"] - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_fixed_clock_keeps_the_seeded_data(serve: Callable[..., str]) -> None:
    url = serve()
    assert len(_search_last(url, 1, NOW)) >= 3
    created = web.post(f"{url}/_emulator/contacts", json={"channel": "CHAT"}).json()
    record = connect_client(url).describe_contact(
        InstanceId=DEMO_INSTANCE_ID, ContactId=created["id"]
    )["Contact"]
    assert record["InitiationTimestamp"] == NOW


def test_the_wall_clock_waits_in_real_seconds() -> None:
    moments = iter([1_000.0, 1_000.0, 1_000.0])
    clock = Clock(timer=lambda: next(moments))
    start = datetime.fromtimestamp(1_000, UTC)
    assert clock.now() == start
    assert clock.seconds_until(start + timedelta(seconds=7)) == 7
    assert clock.seconds_until(start - timedelta(seconds=7)) == 0
    fixed = Clock(fixed=NOW)
    assert fixed.now() == NOW
    assert fixed.seconds_until(NOW + timedelta(seconds=1)) == float("inf")
