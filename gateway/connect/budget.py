"""Each caller's share of upstream calls (GATEWAY_CALLER_UPSTREAM_CALLS_PER_MINUTE, per
process): the request's spender, in a context variable, set once per request by the view,
and charged by the entity store each time the request starts a Connect fetch of its own.

Joining a fetch already in flight, and any cached answer, cost nothing. Work that outlives
the request (a background refresh) is nobody's, like its deadline (`unbounded()`).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from gateway.connect.allowances import Allowances
from gateway.core.errors import UpstreamThrottled

__all__ = ["charge", "spend", "unbounded"]


@dataclass(frozen=True)
class _Spender:
    allowances: Allowances
    caller: str


_SPENDER: ContextVar[_Spender | None] = ContextVar("budget", default=None)


def charge(allowances: Allowances | None, caller: str) -> None:
    """Upstream fetches of the current context are `caller`'s, out of `allowances` (None:
    unlimited)."""
    _SPENDER.set(None if allowances is None else _Spender(allowances, caller))


def unbounded() -> None:
    _SPENDER.set(None)


def spend() -> None:
    """Spends one upstream fetch of the current caller; UpstreamThrottled when its share
    for the minute is spent."""
    spender = _SPENDER.get()
    if spender is not None and not spender.allowances.allow(spender.caller):
        raise UpstreamThrottled(
            "this caller's share of Connect calls is spent for now "
            f"({spender.allowances.per_minute} a minute, "
            "GATEWAY_CALLER_UPSTREAM_CALLS_PER_MINUTE); cached data still answers"
        )
