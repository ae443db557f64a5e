"""Helpers for SearchContacts tests: every page of a search, and the demo data to expect."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.emulator.world.dataset import NOW, build_dataset

__all__ = ["DEMO", "WINDOW", "Record", "search_all", "timestamp", "window"]

DEMO = build_dataset().instances[DEMO_INSTANCE_ID]
Record = dict[str, Any]


def window(kind: str, start: datetime, end: datetime) -> dict[str, Any]:
    return {"Type": kind, "StartTime": start, "EndTime": end}


WINDOW = window("INITIATION_TIMESTAMP", NOW - timedelta(days=7), NOW + timedelta(days=1))
"""A time range every demo contact initiated in."""


def search_all(connect: Any, page_size: int = 100, **params: Any) -> tuple[list[Record], int]:
    """Every contact a search finds, page by page, and the TotalCount each page gave."""
    paginator = connect.get_paginator("search_contacts")
    params = {"InstanceId": DEMO_INSTANCE_ID, "TimeRange": WINDOW, **params}
    pages = list(paginator.paginate(**params, PaginationConfig={"PageSize": page_size}))
    totals = {page["TotalCount"] for page in pages}
    assert len(totals) == 1
    return [contact for page in pages for contact in page["Contacts"]], totals.pop()


def timestamp(record: Record, kind: str) -> datetime | None:
    """The contact's timestamp of a time range type, read straight from its record."""
    found: datetime | None = {
        "INITIATION_TIMESTAMP": record.get("InitiationTimestamp"),
        "SCHEDULED_TIMESTAMP": record.get("ScheduledTimestamp"),
        "DISCONNECT_TIMESTAMP": record.get("DisconnectTimestamp"),
        "CONNECTED_TO_AGENT_TIMESTAMP": record.get("AgentInfo", {}).get(
            "ConnectedToAgentTimestamp"
        ),
        "ENQUEUE_TIMESTAMP": record.get("QueueInfo", {}).get("EnqueueTimestamp"),
    }[kind]
    return found
