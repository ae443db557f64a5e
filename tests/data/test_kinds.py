"""The kind table (gateway/data/kinds.py) is complete: every kind says what invalidates it
(or why nothing does), what a fetch costs, how personal it is, and which operations it
calls (tests/test_deploy.py checks the task role allows them and the code calls them)."""

from __future__ import annotations

import dataclasses

import botocore.session
import pytest

from gateway.data.events import ContactEvent
from gateway.data.kinds import (
    ANY_EVENT,
    ANY_UPDATE,
    ATTRIBUTES,
    CONTACT,
    KINDS,
    NAMED,
    OTHER_PROPERTIES,
    Kind,
    Read,
)
from gateway.data.search import SEARCH

_SENTINELS = {ANY_EVENT, ANY_UPDATE, OTHER_PROPERTIES}
_SERVICES = {"connect", "connect-contact-lens", "s3"}
EVERY = [*KINDS.values(), SEARCH]


def problems(kind: Kind) -> list[str]:
    """What a kind's declaration lacks."""
    found = []
    if bool(kind.invalidated_by) == bool(kind.not_invalidated):
        found.append("an invalidation rule, or (only) the reason it needs none")
    if kind.calls < 1:
        found.append("its cost: the upstream calls one fetch makes")
    if kind.personal not in ("none", "members", "all"):
        found.append("its personal-data class")
    if not kind.operations:
        found.append("the operations it calls (the task role's actions)")
    session = botocore.session.get_session()
    for operation in kind.operations:
        service, _, name = operation.partition(":")
        if (
            service not in _SERVICES
            or name not in session.get_service_model(service).operation_names
        ):
            found.append(f"a real operation, not {operation!r}")
    for name in kind.invalidated_by - _SENTINELS:
        if not name[:1].isupper():
            found.append(f"an updatedProperties value, not {name!r}")
    return found


@pytest.mark.parametrize("kind", EVERY, ids=lambda kind: kind.name)
def test_every_kind_is_fully_declared(kind: Kind) -> None:
    assert problems(kind) == []


@pytest.mark.parametrize(
    ("change", "lacks"),
    [
        ({"invalidated_by": frozenset(), "not_invalidated": None}, "an invalidation rule"),
        ({"calls": 0}, "its cost"),
        ({"personal": "maybe"}, "its personal-data class"),
        # A Read names its own operation; any other fetch must list what it calls.
        ({"fetch": ATTRIBUTES.fetch, "operations": ()}, "the operations it calls"),
        ({"operations": ("connect:DescribeContacts",)}, "a real operation"),
    ],
)
def test_a_kind_missing_a_rule_is_found(change: dict[str, object], lacks: str) -> None:
    broken = dataclasses.replace(CONTACT, **change)  # type: ignore[arg-type]
    assert any(problem.startswith(lacks) for problem in problems(broken))


def test_a_read_kind_calls_its_own_operation() -> None:
    assert CONTACT.operations == ("connect:DescribeContact",)
    assert isinstance(CONTACT.fetch, Read)
    assert CONTACT.fetch.operation == "DescribeContact"


def test_the_kinds_names_are_unique_and_the_properties_named_are_known() -> None:
    assert len({kind.name for kind in EVERY}) == len(EVERY)
    assert {"UserDefinedAttributes", "References"} <= NAMED


def test_an_events_tags_come_from_the_kinds() -> None:
    event = ContactEvent("i", "c", ("p",), "first", updated=("UserDefinedAttributes",))
    tags = event.dropped()
    assert {ATTRIBUTES.tag("i", "c"), ATTRIBUTES.tag("i", "first")} <= set(tags)
    assert CONTACT.tag("i", "c") not in tags, "attributes are kept apart from the contact"
    renamed = ContactEvent("i", "c", (), updated=("Name",)).dropped()
    assert CONTACT.tag("i", "c") in renamed
