"""UpdateContact and UpdateContactAttributes: the writes Connect allows on contacts,
ongoing or ended, each announced by a CONTACT_DATA_UPDATED event.

UpdateContact needs at least one member to update (else 400 InvalidParameterException).
Name and Description replace the contact's (an empty string removes them). References are
added to the contact's references by name (a reference of the same name is replaced):
URL, STRING, NUMBER, DATE, EMAIL and ATTACHMENT, as ListContactReferences then answers
them; other types are Connect's own and refused. SegmentAttributes are merged into the
contact's. QueueInfo, UserInfo, CustomerEndpoint and SystemEndpoint can be updated only on
external audio contacts, which the demo has none of, and on OUTBOUND or AGENT_REPLY emails
(endpoints only): elsewhere 400 InvalidRequestException. AdditionalRecipients sets an
email contact's CC list. Every change stamps LastUpdateTimestamp.

UpdateContactAttributes merges the attributes into the contact's chain (see
`gateway.emulator.world.attributes`): any contact of the chain may be named, the initial one as
the model asks or any continuing it, and every contact of the chain then shows them, so
each gets a CONTACT_DATA_UPDATED event (updatedProperties ["UserDefinedAttributes"]). An
empty value is kept as an empty value. More than 32,768 UTF-8 bytes of attributes in all
is refused (InvalidParameterException), as Connect's documentation says.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from gateway.emulator.operations.lookups import contact_of, instance_of
from gateway.emulator.protocol.errors import ConnectError
from gateway.emulator.protocol.state import EmulatorState
from gateway.emulator.world.attributes import chain_key
from gateway.emulator.world.contacts import Record
from gateway.emulator.world.events import CONTACT_DATA_UPDATED

__all__ = ["references_of", "stamp", "update_contact", "update_contact_attributes"]

_UPDATABLE = (
    "Name",
    "Description",
    "References",
    "SegmentAttributes",
    "QueueInfo",
    "UserInfo",
    "CustomerEndpoint",
    "SystemEndpoint",
    "AdditionalRecipients",
)
_REFERENCE_MEMBERS = {
    "URL": "Url",
    "STRING": "String",
    "NUMBER": "Number",
    "DATE": "Date",
    "EMAIL": "Email",
    "ATTACHMENT": "Attachment",
}
_MAX_ATTRIBUTE_BYTES = 32_768


def update_contact(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    record = contact_of(instance, params["ContactId"])
    changes = [name for name in _UPDATABLE if params.get(name) is not None]
    if not changes:
        raise ConnectError(
            "InvalidParameterException", "At least one field to be updated must be present"
        )
    _check_allowed(record, changes)
    references = references_of(params.get("References", {}))
    for name in changes:
        _apply(record, name, params[name])
    if references:
        kept = instance.references.setdefault(record["Id"], [])
        names = {_reference_name(made) for made in references}
        kept[:] = [ref for ref in kept if _reference_name(ref) not in names] + references
    at = stamp(state, record)
    state.announce(instance, record, CONTACT_DATA_UPDATED, at, changes)
    return {}


def update_contact_attributes(state: EmulatorState, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(state.dataset, params)
    record = contact_of(instance, params["InitialContactId"])
    key = chain_key(record)
    merged = {**instance.attributes.get(key, {}), **params["Attributes"]}
    size = sum(len(name.encode()) + len(value.encode()) for name, value in merged.items())
    if size > _MAX_ATTRIBUTE_BYTES:
        raise ConnectError(
            "InvalidParameterException",
            f"Contact attributes must not exceed {_MAX_ATTRIBUTE_BYTES} bytes (got {size})",
        )
    instance.attributes[key] = merged
    chain = [other for other in instance.contacts.values() if chain_key(other) == key]
    for member in chain:
        member["Attributes"] = dict(merged)
        at = stamp(state, member)
        state.announce(instance, member, CONTACT_DATA_UPDATED, at, ["UserDefinedAttributes"])
    return {}


def _check_allowed(record: Record, changes: list[str]) -> None:
    draft_email = record["Channel"] == "EMAIL" and record["InitiationMethod"] in (
        "OUTBOUND",
        "AGENT_REPLY",
    )
    for name in changes:
        if name in ("QueueInfo", "UserInfo") or (
            name in ("CustomerEndpoint", "SystemEndpoint") and not draft_email
        ):
            raise ConnectError(
                "InvalidRequestException",
                f"{name} can be updated only for external audio contacts",
            )
        if name == "AdditionalRecipients" and record["Channel"] != "EMAIL":
            raise ConnectError(
                "InvalidRequestException", "AdditionalRecipients can be updated only for emails"
            )


def _apply(record: Record, name: str, value: Any) -> None:
    if name in ("Name", "Description"):
        if value:
            record[name] = value
        else:
            record.pop(name, None)
    elif name == "SegmentAttributes":
        record["SegmentAttributes"] = {**record.get("SegmentAttributes", {}), **value}
    elif name == "AdditionalRecipients":
        recipients = record.setdefault("AdditionalEmailRecipients", {})
        recipients["CcList"] = [
            {"Address": item["EmailAddress"]}
            | ({"DisplayName": item["DisplayName"]} if item.get("DisplayName") else {})
            for item in value.get("CcEmailAddresses", [])
        ]
    elif name in ("CustomerEndpoint", "SystemEndpoint"):
        record[name] = {**record.get(name, {}), **value}


def references_of(given: Mapping[str, Mapping[str, Any]]) -> list[Record]:
    """The ReferenceSummary of each reference given, or 400 for a type one may not set."""
    made = []
    for name, reference in given.items():
        member = _REFERENCE_MEMBERS.get(reference["Type"])
        if member is None:
            allowed = ", ".join(_REFERENCE_MEMBERS)
            raise ConnectError(
                "InvalidParameterException",
                f"Reference '{name}' has type {reference['Type']}: expected one of {allowed}",
            )
        summary = {"Name": name, "Value": reference.get("Value", "")}
        if member == "Attachment":
            summary |= {k: reference[k] for k in ("Status", "Arn") if k in reference}
        made.append({member: summary})
    return made


def _reference_name(summary: Record) -> str:
    return str(next(iter(summary.values())).get("Name", ""))


def stamp(state: EmulatorState, record: Record) -> datetime:
    """Now on the emulator's clock, and at least a millisecond after the record's last
    update, so that every update shows (the clock may be stopped)."""
    last: datetime = record["LastUpdateTimestamp"]
    at = max(state.clock.now(), last + timedelta(milliseconds=1))
    record["LastUpdateTimestamp"] = at
    return at
