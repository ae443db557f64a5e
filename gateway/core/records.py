"""Connect's JSON, as the gateway and the emulator pass it around."""

from __future__ import annotations

from typing import Any

__all__ = ["Record"]

Record = dict[str, Any]
"""A JSON object with Connect's member names (DescribeContact's Contact, a summary...)."""
