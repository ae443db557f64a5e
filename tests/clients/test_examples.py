"""The frontend kit: graphql-codegen's TypeScript for the example operations compiles under
tsc --strict, the Apollo Client example and the gql (Python) example run against a real
gateway and answer the same contact."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import GraphQLObjectType, build_schema

from gateway.emulator import DEMO_INSTANCE_ID
from tests.chains import with_all_links
from tests.npm import npm, npm_lock, run_id
from tests.support import Emulator, Gateway

pytestmark = pytest.mark.long(6)  # processes and builds: scheduled first

ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "schema"


@pytest.fixture(scope="module")
def built_kit() -> Path:
    """`npm ci` (when the lock changed), then codegen and tsc --strict emitting a build to
    run: once per test run, by whichever worker comes first."""
    assert shutil.which("npm"), "node and npm are needed for the frontend kit"
    built = KIT / "build" / "examples" / "apollo-client.js"
    stamp = KIT / "build" / ".test-run"
    with npm_lock():
        if stamp.is_file() and stamp.read_text() == run_id() and built.is_file():
            return built
        installed = KIT / "node_modules" / ".package-lock.json"
        lock = KIT / "package-lock.json"
        if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
            npm(KIT, "ci", "--no-audit", "--no-fund")
        npm(KIT, "run", "build")  # codegen, then tsc: type errors fail it
        stamp.write_text(run_id())
    return built


def test_codegen_types_every_operation(built_kit: Path) -> None:
    generated = (KIT / "generated" / "graphql.ts").read_text()
    for operation in (KIT / "operations").glob("*.graphql"):
        kind = "Mutation" if re.search(r"^mutation ", operation.read_text(), re.M) else "Query"
        assert f"export type {operation.stem}{kind} = " in generated, operation.stem


def test_apollo_keys_contacts_by_instance_and_id(
    built_kit: Path, gateway: Gateway, emulator: Emulator
) -> None:
    contact = with_all_links(emulator.contacts())
    out = subprocess.run(
        ["node", str(built_kit), f"{gateway.url}/graphql", contact["id"]],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    answer = json.loads(out)
    assert answer["contact"]["id"] == contact["id"]
    assert answer["contact"]["previousContact"]["id"] == contact["previousContactId"]
    key = f'Contact:{{"instanceId":"{DEMO_INSTANCE_ID}","id":"{contact["id"]}"}}'
    assert key in answer["keys"]
    # AgentInfo and QueueInfo are per contact: never normalized (merged) by the agent's ID.
    assert not [k for k in answer["keys"] if k.startswith(("AgentInfo", "QueueInfo"))]


def test_apollo_type_policies_cover_every_type_with_an_id() -> None:
    """A type with an `id` field would be normalized by Apollo on that id alone: each one
    needs a deliberate policy in the example."""
    schema = build_schema((KIT / "schema.graphql").read_text())
    with_id = {
        name
        for name, type_ in schema.type_map.items()
        if isinstance(type_, GraphQLObjectType) and "id" in type_.fields
    }
    example = (KIT / "examples" / "apollo-client.ts").read_text()
    policies = set(re.findall(r"^  (\w+): \{ keyFields", example, re.MULTILINE))
    assert with_id <= policies, with_id - policies


def test_gql_example(gateway: Gateway, emulator: Emulator) -> None:
    contact = with_all_links(emulator.contacts())
    out = subprocess.run(
        [
            sys.executable,
            str(KIT / "examples" / "gql_client.py"),
            f"{gateway.url}/graphql",
            contact["id"],
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    answer = json.loads(out)
    assert answer["id"] == contact["id"]
    assert answer["instanceId"] == DEMO_INSTANCE_ID
    assert answer["relatedContact"]["id"] == contact["relatedContactId"]
