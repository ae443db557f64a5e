"""Injected faults: errors and delays that tests ask for through `/_emulator/faults`.

A fault names an operation and optionally a contact and an instance; the first fault that
matches a request applies to it: it waits `delayMs`, then answers `error` if it has one,
else lets the request through, with `patch` (a JSON object) merged into the answer if it
has one: the way to see what a gateway does with a value Connect adds later. A fault with
`times` expires after that many requests. A fault with `after: true` applies its error once
the operation has been carried out: the write is done and its answer lost (a timeout, a
dropped connection, a 500 after the commit), the case a retry must not repeat.
Besides Connect's errors, the error "MalformedResponse" answers 200 with a JSON body cut
off mid-document, as a broken connection or proxy would deliver it; botocore does not raise
on it, it returns a response without the operation's output members.
`contactId` is compared with the request's ContactId, or InitialContactId for operations
that name the contact that way (GetContactAttributes).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "FAULT_ERRORS",
    "MALFORMED_RESPONSE",
    "Fault",
    "FaultError",
    "Faults",
    "parse_fault",
    "patched",
]

MALFORMED_RESPONSE = "MalformedResponse"

FAULT_ERRORS = (
    "InternalServiceException",
    "ThrottlingException",
    "AccessDeniedException",
    "ResourceNotFoundException",
    "InvalidParameterException",
    "InvalidRequestException",
    MALFORMED_RESPONSE,
)

_MESSAGES = {
    "InternalServiceException": "Request processing failed due to an internal error.",
    "ThrottlingException": "Rate exceeded",
    "AccessDeniedException": "You do not have sufficient access to perform this action.",
    "ResourceNotFoundException": "The requested resource was not found.",
    "InvalidParameterException": "One or more of the specified parameters are not valid.",
    "InvalidRequestException": "The request is not valid.",
}

_KEYS = frozenset(
    {"operation", "error", "times", "contactId", "instanceId", "delayMs", "patch", "after"}
)


class FaultError(ValueError):
    """A fault specification that does not make sense; its message says why."""


@dataclass(frozen=True)
class Fault:
    """One injected fault; `times` None means it never expires."""

    id: str
    operation: str
    error: str | None = None
    times: int | None = None
    contact_id: str | None = None
    instance_id: str | None = None
    delay_ms: float = 0.0
    patch: dict[str, Any] | None = None
    after: bool = False

    @property
    def message(self) -> str:
        return _MESSAGES.get(self.error or "", "Injected fault")

    def matches(self, operation: str, params: Mapping[str, Any]) -> bool:
        if operation != self.operation:
            return False
        if self.instance_id is not None and params.get("InstanceId") != self.instance_id:
            return False
        contact = params.get("ContactId", params.get("InitialContactId"))
        return self.contact_id is None or contact == self.contact_id

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": self.operation,
            "error": self.error,
            "times": self.times,
            "contactId": self.contact_id,
            "instanceId": self.instance_id,
            "delayMs": self.delay_ms,
            "patch": self.patch,
            "after": self.after,
        }


class Faults:
    """The faults in force, in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def listed(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, operation: str, params: Mapping[str, Any]) -> Fault | None:
        """The first fault matching this request, spending one of its `times`."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.matches(operation, params):
                    self._spend(index, fault)
                    return fault
        return None

    def _spend(self, index: int, fault: Fault) -> None:
        if fault.times is None:
            return
        if fault.times <= 1:
            del self._faults[index]
        else:
            self._faults[index] = replace(fault, times=fault.times - 1)


def parse_fault(data: Any, operations: Collection[str]) -> Fault:
    """The fault a `POST /_emulator/faults` body describes; FaultError if it is not one."""
    if not isinstance(data, dict):
        raise FaultError("The fault must be a JSON object")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise FaultError(f"Unknown fault field(s): {', '.join(unknown)}")
    operation = data.get("operation")
    if not isinstance(operation, str) or operation not in operations:
        raise FaultError(f"'operation' must name a Connect operation, got {operation!r}")
    error = data.get("error")
    if error is not None and error not in FAULT_ERRORS:
        raise FaultError(f"'error' must be one of {', '.join(FAULT_ERRORS)}, got {error!r}")
    delay = _number(data, "delayMs")
    patch = data.get("patch")
    if patch is not None and not isinstance(patch, dict):
        raise FaultError(f"'patch' must be a JSON object, got {patch!r}")
    after = data.get("after", False)
    if not isinstance(after, bool) or (after and error is None):
        raise FaultError("'after' must be true or false, and true only with an 'error'")
    if error is None and delay == 0 and not patch:
        raise FaultError("A fault needs an 'error', a positive 'delayMs' or a 'patch'")
    return Fault(
        id=str(uuid.uuid4()),
        operation=operation,
        error=error,
        times=_times(data.get("times")),
        contact_id=_text(data, "contactId"),
        instance_id=_text(data, "instanceId"),
        delay_ms=delay,
        patch=patch,
        after=after,
    )


def patched(output: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`output` with `patch` merged in, objects member by member, anything else replaced."""
    merged = dict(output)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = patched(merged[key], value)
        else:
            merged[key] = value
    return merged


def _number(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise FaultError(f"'{key}' must be a non-negative number, got {value!r}")
    return float(value)


def _times(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise FaultError(f"'times' must be a positive integer, got {value!r}")
    return value


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise FaultError(f"'{key}' must be a non-empty string, got {value!r}")
    return value
