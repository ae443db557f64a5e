"""Contact.associatedContacts: the whole tree from ListAssociatedContacts, summaries first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import parse

from gateway.api.limits import Limits, measure
from gateway.api.schema import create_schema
from gateway.emulator import EmulatorOptions, create_emulator_app
from gateway.http.servers import ServerThread
from tests.chains import demo_contacts
from tests.support import Emulator, Gateway

Row = dict[str, Any]

SUMMARY_FIELDS = """
  id arn instanceId channel initiationMethod initiationTimestamp disconnectTimestamp
  initialContactId previousContactId relatedContactId
"""
TREE = f"""
query ($id: ID!) {{
  contact(contactId: $id) {{ id associatedContacts {{ {SUMMARY_FIELDS} }} }}
}}
"""


def tree_of(rows: list[Row], contact: Row) -> list[Row]:
    """The contact's tree as the emulator lists its contacts, in initiation order."""
    members = [
        r for r in demo_contacts(rows).values() if r["rootContactId"] == contact["rootContactId"]
    ]
    return sorted(members, key=lambda r: r["initiationTimestamp"])


def consulted(rows: list[Row]) -> list[Row]:
    """The largest tree of the demo (a called-back, transferred, consulted call), the
    first of them if several are as large."""
    by_id = demo_contacts(rows)
    [(biggest, _)] = Counter(r["rootContactId"] for r in by_id.values()).most_common(1)
    return tree_of(rows, by_id[biggest])


def test_every_contact_of_the_tree_in_initiation_order(
    gateway: Gateway, emulator: Emulator
) -> None:
    tree = consulted(emulator.contacts())
    consult = next(r for r in tree if r["initiationMethod"] == "TRANSFER" and r["queueId"] is None)
    emulator.reset()

    result = gateway.query(TREE, id=consult["id"])

    assert "errors" not in result
    nodes = result["data"]["contact"]["associatedContacts"]
    assert [n["id"] for n in nodes] == [r["id"] for r in tree]
    assert consult["id"] in [n["id"] for n in nodes]
    for node, row in zip(nodes, tree, strict=True):
        assert node["channel"] == row["channel"]
        assert node["initiationMethod"] == row["initiationMethod"]
        assert node["arn"] == row["arn"]
        for link in ("initialContactId", "previousContactId", "relatedContactId"):
            assert node[link] == row[link]
        assert node["initiationTimestamp"][:19] == row["initiationTimestamp"][:19]
        assert (node["disconnectTimestamp"] is None) is (row["disconnectTimestamp"] is None)
    # It branches: one contact is the previous or related contact of three others or more.
    parents = [n["previousContactId"] or n["relatedContactId"] for n in nodes]
    assert max(parents.count(p) for p in parents if p) >= 3
    # The asked-for contact itself, then one list: nothing else upstream.
    assert emulator.stats()["calls"] == {"DescribeContact": 1, "ListAssociatedContacts": 1}


def test_the_tree_is_cached_for_its_whole_chain(gateway: Gateway, emulator: Emulator) -> None:
    tree = consulted(emulator.contacts())
    chain = [r for r in tree if r["initialContactId"] == tree[0]["id"] or r is tree[0]]
    emulator.reset()

    for row in chain:
        result = gateway.query(TREE, id=row["id"])
        assert len(result["data"]["contact"]["associatedContacts"]) == len(tree)

    assert emulator.calls("ListAssociatedContacts") == 1
    assert emulator.calls("DescribeContact") == len(chain)


def test_fields_beyond_the_summary_load_each_contact_once(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(max_cost=20_000)  # a tree in a tree: 100 x 100 in the worst case
    tree = consulted(emulator.contacts())
    emulator.reset()

    result = gateway.query(
        """query ($id: ID!) { contact(contactId: $id) { associatedContacts {
             id name disconnectReason agentInfo { id } associatedContacts { id } } } }""",
        id=tree[0]["id"],
    )

    assert "errors" not in result
    nodes = result["data"]["contact"]["associatedContacts"]
    assert all(len(n["associatedContacts"]) == len(tree) for n in nodes)
    calls = emulator.stats()["calls"]
    assert calls["DescribeContact"] == len(tree)  # the first contact's own load is shared
    assert calls["ListAssociatedContacts"] == 1


@pytest.fixture
def small_pages() -> Iterator[str]:
    with ServerThread(create_emulator_app(EmulatorOptions(max_page_size=3))) as server:
        yield server.url


def test_every_page(
    small_pages: str, start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    paged = Emulator(small_pages)
    tree = consulted(paged.contacts())
    gateway = start_gateway(connect_endpoint_url=small_pages)

    result = gateway.query(TREE, id=tree[-1]["id"])

    assert [n["id"] for n in result["data"]["contact"]["associatedContacts"]] == [
        r["id"] for r in tree
    ]
    assert paged.calls("ListAssociatedContacts") == -(-len(tree) // 3)
    paged.http.close()


def test_a_tree_whose_initial_contact_was_purged(gateway: Gateway, emulator: Emulator) -> None:
    rows = emulator.contacts()
    by_id = demo_contacts(rows)
    orphan = next(
        r for r in by_id.values() if r["initialContactId"] and r["initialContactId"] not in by_id
    )
    emulator.reset()

    result = gateway.query(TREE, id=orphan["id"])

    assert "errors" not in result
    assert [n["id"] for n in result["data"]["contact"]["associatedContacts"]] == [
        r["id"] for r in tree_of(rows, orphan)
    ]
    assert emulator.calls("ListAssociatedContacts") == 2  # the purged initial, then its own


def test_throttled_list_fails_only_its_field(gateway: Gateway, emulator: Emulator) -> None:
    tree = consulted(emulator.contacts())
    emulator.fault(operation="ListAssociatedContacts", error="ThrottlingException", times=5)

    result = gateway.query(
        "query ($id: ID!) { contact(contactId: $id) { id associatedContacts { id } } }",
        id=tree[0]["id"],
    )

    assert result["data"]["contact"] == {"id": tree[0]["id"], "associatedContacts": None}
    assert result["errors"][0]["extensions"]["code"] == "UPSTREAM_THROTTLED"
    assert result["errors"][0]["path"] == ["contact", "associatedContacts"]


def test_the_cost_of_a_journey() -> None:
    path = Path(__file__).parents[2] / "schema" / "operations" / "ContactJourney.graphql"
    found = measure(create_schema()._schema, parse(path.read_text()), None, {}, Limits())
    # The contact, two lists at most, and per contact of a page: itself, its agent, its queue.
    assert found["ContactJourney"].cost == 1 + 2 + 100 * (1 + 1 + 1)
