"""The committed SDL is the exported one; every example operation runs against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse

from gateway.api.schema import create_schema
from gateway.emulator import EmulatorOptions, create_emulator_app
from gateway.http.servers import ServerThread
from gateway.http.view import EXAMPLE_QUERY, EXAMPLE_WRITE
from tests.chains import deepest
from tests.support import Emulator, Gateway

SCHEMA_DIR = Path(__file__).parent.parent / "schema"
OPERATIONS = sorted((SCHEMA_DIR / "operations").glob("*.graphql"))


def test_committed_schema_is_the_exported_one() -> None:
    exported = create_schema().as_str() + "\n"
    committed = (SCHEMA_DIR / "schema.graphql").read_text()
    assert committed == exported, "run: connect-gateway export-schema > schema/schema.graphql"


def test_graphiql_example_is_an_operation_file() -> None:
    texts = {path.read_text().split("\n", 1)[1] for path in OPERATIONS}
    assert EXAMPLE_QUERY.split("\n", 1)[1] in texts
    assert EXAMPLE_WRITE in {path.read_text() for path in OPERATIONS}


@pytest.mark.parametrize("path", OPERATIONS, ids=[p.stem for p in OPERATIONS])
def test_operation_runs_against_the_emulator(
    path: Path, start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    with ExitStack() as stack:
        if "mutation" in path.read_text().split("(", 1)[0]:
            # A write changes the emulator's data: an emulator of its own.
            app = create_emulator_app(EmulatorOptions())
            emulator = Emulator(stack.enter_context(ServerThread(app)).url)
            stack.callback(emulator.http.close)
        gateway = start_gateway(connect_endpoint_url=emulator.url)
        _runs(path, gateway, emulator)


def _runs(path: Path, gateway: Gateway, emulator: Emulator) -> None:
    contacts = emulator.contacts()
    chain = deepest(contacts)
    times = sorted(c["initiationTimestamp"] for c in contacts)
    known = {
        "contactId": chain[-1]["id"],
        "contactIds": [c["id"] for c in chain],
        "queueId": next(c["queueId"] for c in reversed(chain) if c["queueId"]),
        "from": times[0],
        "to": times[-1],
        "queuedContactId": next((c["id"] for c in contacts if c.get("queued")), None),
        "agentId": next(c["agentId"] for c in contacts if c["agentId"]),
    }
    [operation] = [
        d for d in parse(path.read_text()).definitions if isinstance(d, OperationDefinitionNode)
    ]
    assert operation.name is not None
    assert operation.name.value == path.stem
    names = [v.variable.name.value for v in operation.variable_definitions]
    if "evaluationId" in names:  # a draft evaluation, and the contact it evaluates
        known["evaluatedContactId"], known["evaluationId"] = _draft(gateway, contacts)

    result = gateway.query(
        path.read_text(), **{name: known[name] for name in names if name in known}
    )

    assert "errors" not in result, result["errors"]
    assert all(value is not None for value in result["data"].values())


def _draft(gateway: Gateway, contacts: list[dict[str, Any]]) -> tuple[str, str]:
    query = "query($id: ID!) { contact(contactId: $id) { evaluations { id status } } }"
    for contact in contacts:
        answer = gateway.query(query, id=contact["id"])["data"]["contact"]
        for evaluation in (answer or {}).get("evaluations") or []:
            if evaluation["status"] == "IN_PROGRESS":
                return contact["id"], evaluation["id"]
    raise AssertionError("the emulator has no draft evaluation")
