"""The gateway in a supergraph, with Apollo's own tools (tests/node/supergraph.mjs):
@apollo/composition composes the committed subgraph SDL with a small CRM subgraph (so a
schema change that breaks composition fails here), and @apollo/gateway serves the two,
forwarding the client's API key. Queries that start in the CRM reach contacts, their chain
and agent through the gateway, one DescribeContact per distinct contact; a query that
starts at a contact reaches the CRM's cases of it."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.http.auth.keys import new_key
from tests import web
from tests.chains import chain_of, demo_contacts
from tests.npm import install_node_tools
from tests.support import Emulator, Gateway

pytestmark = pytest.mark.long(8)  # npm and node processes: scheduled first

SUBGRAPH = Path(__file__).resolve().parents[2] / "schema" / "subgraph.graphql"

CASES = """{ cases { id subject contact {
  id channel agent { arn } chain { id } supportCases { id }
} } }"""


def test_the_subgraph_composes_with_another_without_errors_or_hints() -> None:
    node = install_node_tools()
    done = subprocess.run(
        ["node", "supergraph.mjs", "compose", str(SUBGRAPH)],
        cwd=node, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    composed = json.loads(done.stdout)
    assert done.returncode == 0, composed.get("errors") or done.stderr
    assert composed["hints"] == []
    supergraph = composed["supergraphSdl"]
    for key in ("arn", "id instanceId", "queueArn", "queueId instanceId"):
        assert f'@join__type(graph: CONTACTS, key: "{key}", resolvable: true)' in supergraph
    assert '@join__type(graph: CRM, key: "id instanceId")' in supergraph


@pytest.fixture
def supergraph(
    start_gateway: Callable[..., Gateway], emulator: Emulator, tmp_path: Path
) -> Iterator[tuple[web.Client, str, list[dict[str, Any]]]]:
    """A federated gateway behind @apollo/gateway with the CRM: (client, API key, cases)."""
    key, entry = new_key("router", ["contacts:read", f"instance:{DEMO_INSTANCE_ID}"])
    (keys := tmp_path / "keys.json").write_text(json.dumps({"keys": [entry]}))
    gateway = start_gateway(federation=True, auth="api-key", api_keys_file=keys)
    cases = _cases(emulator)
    (cases_file := tmp_path / "cases.json").write_text(json.dumps(cases))
    node = install_node_tools()
    log = tmp_path / "supergraph.log"
    with log.open("w") as stderr, subprocess.Popen(
        ["node", "supergraph.mjs", "serve", str(SUBGRAPH), f"{gateway.url}/graphql",
         str(cases_file)],
        cwd=node, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
    ) as process:  # fmt: skip
        assert process.stdin is not None
        assert process.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=60)
            assert line, log.read_text()
            client = web.Client(base_url=json.loads(line)["url"], timeout=60)
            emulator.reset()
            yield client, key, cases
            client.close()
        finally:
            process.stdin.close()  # the script exits when its stdin closes
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _cases(emulator: Emulator) -> list[dict[str, Any]]:
    """Four CRM cases about three contacts (two about the same one): a contact with a chain
    of at least two and an agent, and two more with agents."""
    by_id = demo_contacts(emulator.contacts())
    chained = next(c for c in by_id.values() if c["agentId"] and len(chain_of(c, by_id)) >= 2)
    others = [c for c in by_id.values() if c["agentId"] and c["id"] != chained["id"]][:2]
    about = [chained, others[0], chained, others[1]]
    return [
        {
            "id": f"CASE-{n}",
            "subject": f"Case {n}",
            "contactId": c["id"],
            "instanceId": c["instanceId"],
        }
        for n, c in enumerate(about)
    ]


def _ask(client: web.Client, query: str, key: str | None) -> dict[str, Any]:
    headers = {} if key is None else {"x-api-key": key}
    response = client.post("/", json={"query": query}, headers=headers)
    return response.json()  # type: ignore[no-any-return]


def test_a_query_from_the_crm_reaches_contacts_chains_and_agents_one_call_per_contact(
    supergraph: tuple[web.Client, str, list[dict[str, Any]]], emulator: Emulator
) -> None:
    client, key, cases = supergraph
    by_id = demo_contacts(emulator.contacts())
    emulator.reset()

    answer = _ask(client, CASES, key)

    assert "errors" not in answer, answer
    found = answer["data"]["cases"]
    assert [case["id"] for case in found] == [case["id"] for case in cases]
    contacts = {case["contactId"]: by_id[case["contactId"]] for case in cases}
    for case in found:
        contact = contacts[case["contact"]["id"]]
        assert case["contact"]["channel"] == contact["channel"]
        assert case["contact"]["agent"]["arn"].endswith(f"/agent/{contact['agentId']}")
        assert [c["id"] for c in case["contact"]["chain"]] == [
            c["id"] for c in chain_of(contact, by_id)
        ]
        assert {c["id"] for c in case["contact"]["supportCases"]} == {
            c["id"] for c in cases if c["contactId"] == contact["id"]
        }
    distinct = {c["id"] for contact in contacts.values() for c in chain_of(contact, by_id)}
    assert emulator.calls() == len(distinct)
    assert emulator.calls("DescribeUser") == len({c["agentId"] for c in contacts.values()})

    assert _ask(client, CASES, key) == answer
    assert emulator.calls() == len(distinct)  # warm: the gateway's caches answer


def test_a_query_from_a_contact_reaches_the_crm(
    supergraph: tuple[web.Client, str, list[dict[str, Any]]], emulator: Emulator
) -> None:
    client, key, cases = supergraph
    contact_id = cases[0]["contactId"]
    query = f'{{ contact(contactId: "{contact_id}") {{ id supportCases {{ id subject }} }} }}'

    answer = _ask(client, query, key)

    assert "errors" not in answer, answer
    assert answer["data"]["contact"] == {
        "id": contact_id,
        "supportCases": [
            {"id": c["id"], "subject": c["subject"]} for c in cases if c["contactId"] == contact_id
        ],
    }
    assert emulator.calls() == 1


def test_without_the_forwarded_key_the_gateway_refuses_before_any_call(
    supergraph: tuple[web.Client, str, list[dict[str, Any]]], emulator: Emulator
) -> None:
    client, _, cases = supergraph
    answer = _ask(client, CASES, None)
    # The CRM's part answers; every field the gateway owns is null, with the gateway's 401.
    contact = answer["data"]["cases"][0]["contact"]
    assert contact["id"] == cases[0]["contactId"]
    assert contact["channel"] is None
    assert contact["chain"] is None
    assert any("401" in str(error) or "UNAUTHENTICATED" in str(error) for error in answer["errors"])
    assert emulator.calls() == 0
