"""Handing freed memory back to the system after a large drop.

Python frees a dropped object at once, but glibc's allocator keeps the pages it came from
for later allocations: after an outage (every memory copy and cached response dropped,
then filled again) the process's RSS stays at the outage's high-water mark. `release()`
asks glibc to return what it holds free (malloc_trim), so that a drop does not stay.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Callable

__all__ = ["release"]

log = logging.getLogger(__name__)


@functools.cache
def _trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where there is none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release() -> None:
    """Returns the allocator's free memory to the system (a no-op where it cannot)."""
    trim = _trim()
    if trim is not None:
        trim(0)
        log.debug("freed memory returned to the system (malloc_trim)")
