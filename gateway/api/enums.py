"""Enums of Connect's model (declared in `generated.py`). Connect adds values over time: a
value this version does not know reads as UNRECOGNIZED (and is logged once), never as an
error that fails the contact."""

from __future__ import annotations

import logging
from enum import Enum
from typing import TypeVar

import strawberry

__all__ = ["UNRECOGNIZED", "enum_value"]

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Enum)

UNRECOGNIZED = strawberry.enum_value(
    "UNRECOGNIZED",
    description="A value Connect added after this version of the gateway was built.",
)

_reported: set[tuple[str, str]] = set()


def enum_value(enum: type[E], raw: str | None) -> E | None:
    """The member of `enum` for Connect's `raw` value; UNRECOGNIZED for a newer value."""
    if raw is None:
        return None
    try:
        return enum(raw)
    except ValueError:
        if (enum.__name__, raw) not in _reported:
            _reported.add((enum.__name__, raw))
            log.warning("Connect sent %s value %r, unknown to this gateway", enum.__name__, raw)
        return enum["UNRECOGNIZED"]
