"""Identifiers as Connect makes them, drawn from the dataset's seeded RNG."""

from __future__ import annotations

import random
import uuid

__all__ = ["new_id"]


def new_id(rng: random.Random) -> str:
    """A UUID-shaped identifier, as Connect's contact and resource IDs are, from `rng`."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
