"""What each field can cost upstream: the one table of Connect calls per field.

A field's worst-case cost is `calls + items x (each + the cost of its selections)`:
`calls` are made once per resolution (a SearchContacts page), `items` bounds the list the
field returns (a literal, or read from its arguments), `each` is paid per item (a
DescribeContact per contact). A field not in the table costs nothing (it reads data
already loaded). A resolver that loads one entity of a kind says so where it is declared,
`@strawberry.field(metadata=loads(KIND))`, and costs that kind's `calls`; any other field
whose resolver can call Connect has a row here. Each has its line in docs/limits.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.api.contact import MAX_CHAIN
from gateway.api.federation import MAX_REPRESENTATIONS
from gateway.api.inputs import MAX_CONTACT_IDS
from gateway.api.internals import declared_metadata
from gateway.api.members import LOADS
from gateway.connect.wire import MAX_RESULTS
from gateway.data.kinds import (
    ATTRIBUTES,
    CONTACT,
    EVALUATION,
    EVALUATIONS,
    REFERENCES,
    STORAGE,
    TRANSCRIPT,
)

__all__ = [
    "COSTS",
    "EVALUATIONS_PER_CONTACT",
    "Arguments",
    "Bound",
    "FieldCost",
    "cost_of",
    "length",
    "value",
]

Arguments = Mapping[str, Any]
"""A field's arguments as the request gives them (literals and variables resolved)."""

Bound = int | Callable[[Arguments], int]

_SEARCH_FIRST = 25  # searchContacts' default `first`

EVALUATIONS_PER_CONTACT = 10
"""The evaluations a contact is counted to have (Connect sets no limit; a contact has a
few): what `Contact.evaluations` multiplies its selections' costs by."""


@dataclass(frozen=True)
class FieldCost:
    calls: Bound = 0
    items: Bound = 1
    each: int = 0

    def resolve(self, arguments: Callable[[], Arguments]) -> tuple[int, int, int]:
        """(calls, items, each) for one occurrence, reading arguments only if needed."""
        args: Arguments = {}
        if callable(self.calls) or callable(self.items):
            args = arguments()
        calls = self.calls(args) if callable(self.calls) else self.calls
        items = self.items(args) if callable(self.items) else self.items
        return calls, items, self.each


def length(argument: str, most: int) -> Callable[[Arguments], int]:
    """The length of a list argument, at most `most` (the resolver refuses longer ones);
    `most` when the request does not say (a variable not given)."""

    def bound(args: Arguments) -> int:
        given = args.get(argument)
        if isinstance(given, list):
            return min(len(given), most)
        return most if given is None else 1  # a single value is coerced to a list of one

    return bound


def value(argument: str, default: int, most: int) -> Callable[[Arguments], int]:
    """An integer argument, within 1..`most` (the resolver refuses others)."""

    def bound(args: Arguments) -> int:
        given = args.get(argument, default)
        if isinstance(given, bool) or not isinstance(given, int):
            return most
        return max(1, min(given, most))

    return bound


def _search_pages(args: Arguments) -> int:
    # From the start, one page of `first`; after a cursor, its pages may be as small as the
    # page size the cursor came from: up to one page per item, plus the cursor's own page.
    if args.get("after") is None:
        return 1
    return value("first", _SEARCH_FIRST, MAX_RESULTS)(args) + 1


_LINK = FieldCost(calls=CONTACT.calls)  # one DescribeContact (DescribeUser, DescribeQueue)

COSTS: dict[str, FieldCost] = {
    "Query.contact": _LINK,
    "Subscription.contactUpdated": _LINK,  # per push: the contact, loaded again
    "Query.contacts": FieldCost(items=length("contactIds", MAX_CONTACT_IDS), each=CONTACT.calls),
    # A supergraph's entity fetch (api/federation.py): each representation like `contact`
    # (a DescribeContact, or DescribeUser or DescribeQueue for an Agent or a Queue).
    "Query._entities": FieldCost(
        items=length("representations", MAX_REPRESENTATIONS), each=CONTACT.calls
    ),
    "Query.searchContacts": FieldCost(
        calls=_search_pages, items=value("first", _SEARCH_FIRST, MAX_RESULTS)
    ),
    # A search node holds Connect's summary; a field the summary lacks loads the contact.
    "ContactEdge.node": _LINK,
    "Contact.initialContact": _LINK,
    "Contact.previousContact": _LINK,
    "Contact.relatedContact": _LINK,
    "Contact.contactAssociation": _LINK,
    "Contact.chain": FieldCost(items=MAX_CHAIN, each=CONTACT.calls),
    # The chain's initial contact, then the contact itself if Connect purged the initial one.
    "Contact.attributes": FieldCost(calls=2 * ATTRIBUTES.calls),
    "Contact.references": FieldCost(calls=REFERENCES.calls),
    # ListAssociatedContacts under the chain's initial contact, then under the contact itself
    # if Connect purged the initial one; each node loads its contact for a field its summary
    # lacks. A tree past one page of Connect's costs one more call per 100 contacts.
    "Contact.associatedContacts": FieldCost(calls=2, items=MAX_RESULTS, each=CONTACT.calls),
    "QuickConnectContactData.contact": _LINK,
    # Quality data (api/quality.py). A transcript: its real-time API (a page per 100
    # segments), else the storage config, the listing and the output file (S3).
    "Contact.transcript": FieldCost(calls=TRANSCRIPT.calls),
    # ListContactEvaluations (a page per Connect's page size); each evaluation's answers,
    # notes and form share one DescribeContactEvaluation, counted on each field asked.
    "Contact.evaluations": FieldCost(calls=EVALUATIONS.calls, items=EVALUATIONS_PER_CONTACT),
    "ContactEvaluation.formTitle": FieldCost(calls=EVALUATION.calls),  # the detail, for
    "ContactEvaluation.score": FieldCost(calls=EVALUATION.calls),  # DescribeContact's entries
    "ContactEvaluation.answers": FieldCost(calls=EVALUATION.calls),
    "ContactEvaluation.notes": FieldCost(calls=EVALUATION.calls),
    "ContactEvaluation.form": FieldCost(calls=EVALUATION.calls),
    # Presigned locally (no call); without a Recordings member: the storage config and a
    # listing of the day's recordings.
    "Contact.recordingUrl": FieldCost(calls=STORAGE.calls + 1),
    "RecordingInfo.url": FieldCost(),
    # The writes (api/mutation.py): one call each; updateContactAttributes first loads the
    # contact it names to find its chain's initial contact. The payload's contact costs
    # like any contact (ContactPayload.contact declares it loads one).
    **{f"Mutation.{name}": FieldCost(calls=1) for name in (
        "updateContact", "tagContact", "untagContact", "updateContactRoutingData",
        "updateContactSchedule", "startTaskContact", "transferContact", "stopContact",
        "pauseContact", "resumeContact", "startContactEvaluation", "updateContactEvaluation",
        "submitContactEvaluation",
    )},
    "Mutation.updateContactAttributes": FieldCost(calls=1 + CONTACT.calls),
}  # fmt: skip


def cost_of(type_name: str, name: str, field: Any) -> FieldCost | None:
    """The cost of field `name` of `type_name` (None: it calls nothing): its row in COSTS,
    else the kind its resolver declared it loads. `field` is graphql-core's field."""
    row = COSTS.get(f"{type_name}.{name}")
    if row is not None or field is None:
        return row
    kind = declared_metadata(field).get(LOADS)
    return None if kind is None else FieldCost(calls=kind.calls)
