"""ListAssociatedContacts: a contact's whole tree, paged, through real boto3."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.emulator.operations.handlers import ASSOCIATED_PAGE_SIZE
from gateway.emulator.operations.trees import contact_tree
from gateway.emulator.world.dataset import build_dataset
from tests import web
from tests.emulator.conftest import connect_client, error_of

DATASET = build_dataset()
DEMO = DATASET.instances[DEMO_INSTANCE_ID]
Record = dict[str, Any]
SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=x/20261102/us-east-1/connect/aws4"}


def consults() -> list[Record]:
    return [r for r in DEMO.contacts.values() if r.get("Description") == "Agent-to-agent consult"]


def consulted_tree() -> list[Record]:
    """The largest tree with a consult in it."""
    return max((contact_tree(DEMO, c) for c in consults()), key=len)


def listed(connect: Any, contact_id: str, **params: Any) -> list[list[Record]]:
    """Every page (botocore has no paginator for this operation)."""
    params |= {"InstanceId": DEMO_INSTANCE_ID, "ContactId": contact_id}
    pages = []
    while True:
        page = connect.list_associated_contacts(**params)
        pages.append(page["ContactSummaryList"])
        if "NextToken" not in page:
            return pages
        params["NextToken"] = page["NextToken"]


def test_trees_that_branch() -> None:
    assert len(consults()) >= 3
    for consult in consults():
        call = DEMO.contacts[consult["PreviousContactId"]]
        assert call["InitiationMethod"] == "TRANSFER"
        assert call["AgentInfo"]["Id"] != consult["AgentInfo"]["Id"]
        assert call["InitiationTimestamp"] < consult["InitiationTimestamp"]
        assert consult["DisconnectTimestamp"] < call["DisconnectTimestamp"]
    tree = consulted_tree()
    parents = Counter(r.get("PreviousContactId") or r.get("RelatedContactId") for r in tree)
    assert max(count for parent, count in parents.items() if parent) >= 3
    methods = {(r["Channel"], r["InitiationMethod"]) for r in tree}
    assert {("VOICE", "CALLBACK"), ("TASK", "API"), ("TASK", "FLOW")} <= methods
    assert {("EMAIL", "OUTBOUND"), ("EMAIL", "INBOUND")} <= methods


def test_every_contact_of_the_tree_lists_the_same_tree(connect: Any) -> None:
    tree = consulted_tree()
    expected = [r["Id"] for r in tree]
    assert expected == [r["Id"] for r in sorted(tree, key=lambda r: r["InitiationTimestamp"])]
    for record in tree:
        pages = listed(connect, record["Id"])
        assert [s["ContactId"] for page in pages for s in page] == expected


def test_the_summary_members(connect: Any) -> None:
    tree = consulted_tree()
    [page] = listed(connect, tree[0]["Id"])
    for summary, record in zip(page, tree, strict=True):
        assert summary["ContactArn"] == record["Arn"]
        assert summary["Channel"] == record["Channel"]
        assert summary["InitiationMethod"] == record["InitiationMethod"]
        assert summary["InitiationTimestamp"] == record["InitiationTimestamp"]
        for member in ("PreviousContactId", "RelatedContactId", "InitialContactId"):
            assert summary.get(member) == record.get(member)
        assert summary.get("DisconnectTimestamp") == record.get("DisconnectTimestamp")


def test_a_contact_alone_is_its_own_tree(connect: Any) -> None:
    alone = next(r for r in DEMO.contacts.values() if contact_tree(DEMO, r) == [r])
    assert listed(connect, alone["Id"]) == [[{**_summary_of(connect, alone)}]]


def _summary_of(connect: Any, record: Record) -> Record:
    [page] = listed(connect, record["Id"])
    return page[0]


def test_paging_by_max_results(connect: Any) -> None:
    tree = consulted_tree()
    pages = listed(connect, tree[-1]["Id"], MaxResults=2)
    assert [len(page) for page in pages] == [2] * (len(tree) // 2) + [len(tree) % 2] * (
        len(tree) % 2
    )
    assert [s["ContactId"] for page in pages for s in page] == [r["Id"] for r in tree]


def test_the_default_page_size(connect: Any) -> None:
    biggest = max((contact_tree(DEMO, r) for r in DEMO.contacts.values()), key=len)
    page = connect.list_associated_contacts(InstanceId=DEMO_INSTANCE_ID, ContactId=biggest[0]["Id"])
    assert len(page["ContactSummaryList"]) == min(len(biggest), ASSOCIATED_PAGE_SIZE)


def test_the_max_page_size_knob(serve: Callable[..., str]) -> None:
    connect = connect_client(serve(max_page_size=3))
    tree = consulted_tree()
    pages = listed(connect, tree[0]["Id"], MaxResults=100)
    assert [len(page) for page in pages[:-1]] == [3] * (len(pages) - 1)
    assert [s["ContactId"] for page in pages for s in page] == [r["Id"] for r in tree]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"maxResults": "101"}, "less than or equal to 100"),
        ({"maxResults": "0"}, "greater than or equal to 1"),
        ({"contactId": "x" * 257}, "length less than or equal to 256"),
        ({"contactId": None}, "Value null at 'ContactId'"),
    ],
)
def test_invalid_input(emulator_url: str, query: dict[str, str | None], message: str) -> None:
    params = {"contactId": consulted_tree()[0]["Id"]} | query
    response = web.get(
        f"{emulator_url}/contact/associated/{DEMO_INSTANCE_ID}",
        params={key: value for key, value in params.items() if value is not None},
        headers=SIGNED,
    )
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "InvalidParameterException"
    assert message in response.json()["Message"]


def test_tokens_are_checked(connect: Any) -> None:
    tree = consulted_tree()
    params = {"InstanceId": DEMO_INSTANCE_ID, "ContactId": tree[0]["Id"], "MaxResults": 2}
    token = connect.list_associated_contacts(**params)["NextToken"]
    other = params | {"ContactId": tree[1]["Id"]}
    assert error_of(connect.list_associated_contacts, **other, NextToken=token) == (
        "InvalidParameterException",
        "The NextToken was issued for a different request.",
        400,
    )


def test_unknown_contact_and_instance(connect: Any) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert error_of(
        connect.list_associated_contacts, InstanceId=DEMO_INSTANCE_ID, ContactId=unknown
    ) == ("ResourceNotFoundException", "Contact not found", 404)
    assert error_of(connect.list_associated_contacts, InstanceId=unknown, ContactId=unknown) == (
        "ResourceNotFoundException",
        "Instance not found",
        404,
    )


def test_wire_format(emulator_url: str) -> None:
    contact = consulted_tree()[0]["Id"]
    response = web.get(
        f"{emulator_url}/contact/associated/{DEMO_INSTANCE_ID}",
        params={"contactId": contact, "maxResults": "1"},
        headers=SIGNED,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ContactSummaryList"][0]["ContactId"] == contact
    assert isinstance(body["ContactSummaryList"][0]["InitiationTimestamp"], int | float)
    assert body["NextToken"]


def test_counted(control: httpx.Client, connect: Any) -> None:
    listed(connect, consulted_tree()[0]["Id"], MaxResults=3)
    calls = control.get("/_emulator/stats").json()["calls"]
    assert calls == {"ListAssociatedContacts": -(-len(consulted_tree()) // 3)}
