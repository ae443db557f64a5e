"""What DescribeContact answered for each contact over time: a version each time a contact
changes (every change announces an event), with the wall-clock moment, so that a checker
can tell whether a cache's answer was ever true, and when (benchmarks/truth.py).

Bounded: the last `VERSIONS` versions of the last `CONTACTS` contacts changed.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from gateway.emulator.world.contacts import Record
from gateway.emulator.world.dataset import Instance

__all__ = ["CONTACTS", "VERSIONS", "History"]

CONTACTS = 5_000
VERSIONS = 32


class History:
    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._versions: OrderedDict[tuple[str, str], deque[dict[str, Any]]] = OrderedDict()

    def note(self, instance: Instance, record: Record) -> None:
        """`record` as DescribeContact shows it from now on."""
        key = (instance.id, record["Id"])
        versions = self._versions.pop(key, None) or deque(maxlen=VERSIONS)
        versions.append({"at": self._wall(), "contact": _json(record)})
        self._versions[key] = versions
        while len(self._versions) > CONTACTS:
            self._versions.popitem(last=False)

    def of(self, instance_id: str, contact_id: str) -> list[dict[str, Any]]:
        """The versions noted, oldest first: `{"at": wall-clock seconds, "contact": ...}`
        (timestamps as ISO-8601 strings, as the gateway answers them)."""
        return list(self._versions.get((instance_id, contact_id), ()))


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item) for item in value]
    return value
