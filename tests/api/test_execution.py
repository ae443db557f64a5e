"""The gateway's executor (gateway/api/execution.py) answers exactly what graphql-core's own
executor answers: the same queries sent to a gateway and to a twin whose schema executes
with strawberry's plain execution context, answers compared, errors included, each twice
(the second time from the shared field collections and the nodes kept across requests)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.core.settings import Settings
from gateway.http.app import create_app
from gateway.http.servers import ServerThread
from gateway.http.view import GraphQLView
from tests.chains import demo_contacts
from tests.support import Emulator, Gateway

FIELDS = """id arn channel initiationMethod initiationTimestamp disconnectTimestamp
    disconnectReason lastUpdateTimestamp name instanceId
    agentInfo { id connectedToAgentTimestamp hierarchyGroups { level1 { arn } } }
    queueInfo { id enqueueTimestamp }
    tags { key value } __typename"""

QUERIES: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "nested": (
        f"""query($id: ID!) {{ contact(contactId: $id) {{
            {FIELDS}
            previousContact {{ {FIELDS} }}
            initialContact {{ {FIELDS} }}
            relatedContact {{ id channel }}
            chain {{ id initiationMethod }}
        }} }}""",
        lambda c: {"id": c["last"]},
    ),
    "fragments and aliases": (
        """query($id: ID!) {
            first: contact(contactId: $id) { ...Parts again: id }
            second: contact(contactId: $id) { ... on Contact { ch: channel ...Parts } }
        }
        fragment Parts on Contact { id channel agentInfo { id } previousContact { ...Link } }
        fragment Link on Contact { id method: initiationMethod }""",
        lambda c: {"id": c["last"]},
    ),
    "skip and include, true": (
        """query($id: ID!, $flag: Boolean!) { contact(contactId: $id) {
            id channel @include(if: $flag) initiationMethod @skip(if: $flag)
            previousContact @include(if: $flag) { id }
        } }""",
        lambda c: {"id": c["last"], "flag": True},
    ),
    "skip and include, false": (
        """query($id: ID!, $flag: Boolean!) { contact(contactId: $id) {
            id channel @include(if: $flag) initiationMethod @skip(if: $flag)
            previousContact @include(if: $flag) { id }
        } }""",
        lambda c: {"id": c["last"], "flag": False},
    ),
    "not found among found": (
        """query($ids: [ID!]!) { contacts(contactIds: $ids) { id channel name } }""",
        lambda c: {"ids": [c["last"], "0000-no-such-contact", c["first"]]},
    ),
    "search summaries, lazy members": (
        """query($from: DateTime!, $to: DateTime!) {
            searchContacts(timeRange: {type: INITIATION_TIMESTAMP, startTime: $from,
                                       endTime: $to}, first: 5) {
                edges { node { id channel disconnectReason agentInfo { id } name } }
            }
        }""",
        lambda c: {"from": c["from"], "to": c["to"]},
    ),
}


@contextmanager
def _twin(settings: Settings, plain: bool) -> Iterator[Gateway]:
    app = create_app(settings)
    if plain:
        view = next(r.endpoint for r in app.routes if isinstance(r.endpoint, GraphQLView))  # type: ignore[attr-defined]
        view.schema = copy.copy(view.schema)  # the process's schema is shared: a copy of its own
        view.schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    with ServerThread(app) as server:
        gateway = Gateway(server.url)
        yield gateway
        gateway.http.close()


@pytest.fixture
def twins(settings_for: Callable[..., Settings]) -> Iterator[tuple[Gateway, Gateway]]:
    # No response cache: every answer below is executed.
    with (
        _twin(settings_for(response_cache=False), plain=False) as fast,
        _twin(settings_for(response_cache=False), plain=True) as plain,
    ):
        yield fast, plain


def _contacts(emulator: Emulator) -> dict[str, Any]:
    contacts = demo_contacts(emulator.contacts())
    chained = [c for c in contacts.values() if c.get("previousContactId")]
    times = sorted(c["initiationTimestamp"] for c in contacts.values())
    return {
        "last": chained[0]["id"],
        "first": next(iter(contacts)),
        "from": times[len(times) // 2],
        "to": times[-1],
    }


def _without_request_ids(answer: dict[str, Any]) -> dict[str, Any]:
    for error in answer.get("errors", []):
        error.get("extensions", {}).pop("requestId", None)
    return answer


@pytest.mark.parametrize("name", list(QUERIES))
def test_the_same_answers_as_graphql_cores_executor(
    twins: tuple[Gateway, Gateway], emulator: Emulator, name: str
) -> None:
    fast, plain = twins
    query, variables_of = QUERIES[name]
    variables = variables_of(_contacts(emulator))
    for _ in range(2):
        expected = _without_request_ids(plain.query(query, **variables))
        answer = _without_request_ids(fast.query(query, **variables))
        assert answer == expected
    assert "data" in expected


def test_conditional_fields_follow_each_requests_variables(
    twins: tuple[Gateway, Gateway], emulator: Emulator
) -> None:
    fast, _ = twins
    query, _ = QUERIES["skip and include, true"]
    contact = _contacts(emulator)["last"]
    for flag in (True, False, True):
        found = fast.query(query, id=contact, flag=flag)["data"]["contact"]
        assert ("channel" in found) is flag
        assert ("initiationMethod" in found) is not flag
