"""Persisted operations end to end: APQ (registration, hash-only requests, GET, Redis shared
between replicas) and trusted documents from an Apollo manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.api.persisted import sha256
from gateway.core.settings import Settings
from gateway.http.app import file_problems
from tests.chains import deepest
from tests.conftest import REDIS_URL
from tests.support import Emulator, Gateway

ROOT = Path(__file__).parents[2]
QUERY = "query One($id: ID!) { contact(contactId: $id) { id channel } }"


def _apq(key: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": key}}


def _code(body: dict[str, Any]) -> str:
    return body["errors"][0]["extensions"]["code"]  # type: ignore[no-any-return]


def test_apq_registers_then_runs_by_hash(gateway: Gateway, emulator: Emulator) -> None:
    contact = deepest(emulator.contacts())[0]["id"]
    variables = {"id": contact}

    unknown = gateway.http.post(
        "/graphql", json={"variables": variables, "extensions": _apq(sha256(QUERY))}
    )
    assert unknown.status_code == 200
    assert _code(unknown.json()) == "PERSISTED_QUERY_NOT_FOUND"
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert emulator.stats()["calls"] == {}

    registered = gateway.http.post(
        "/graphql",
        json={"query": QUERY, "variables": variables, "extensions": _apq(sha256(QUERY))},
    )
    assert registered.json()["data"]["contact"]["id"] == contact

    by_hash = gateway.http.post(
        "/graphql", json={"variables": variables, "extensions": _apq(sha256(QUERY))}
    )
    assert by_hash.json()["data"]["contact"]["id"] == contact

    over_get = gateway.http.get(
        "/graphql",
        params={"variables": json.dumps(variables), "extensions": json.dumps(_apq(sha256(QUERY)))},
        headers={"accept": "application/graphql-response+json, application/json;q=0.9"},
    )
    assert over_get.status_code == 200
    assert over_get.json()["data"]["contact"]["id"] == contact


def test_apq_refuses_a_hash_that_is_not_the_query_s(gateway: Gateway, emulator: Emulator) -> None:
    response = gateway.http.post(
        "/graphql", json={"query": QUERY, "variables": {"id": "x"}, "extensions": _apq("0" * 64)}
    )

    assert response.status_code == 400
    assert _code(response.json()) == "BAD_USER_INPUT"
    again = gateway.http.post("/graphql", json={"extensions": _apq("0" * 64)})
    assert _code(again.json()) == "PERSISTED_QUERY_NOT_FOUND"
    assert emulator.stats()["calls"] == {}


@pytest.mark.parametrize(
    "extensions",
    [{"persistedQuery": {"version": 2, "sha256Hash": "a"}}, {"persistedQuery": "x"}],
    ids=["version", "shape"],
)
def test_apq_malformed(gateway: Gateway, extensions: dict[str, Any]) -> None:
    response = gateway.http.post("/graphql", json={"extensions": extensions})

    assert response.status_code == 400
    assert _code(response.json()) == "BAD_USER_INPUT"


def test_apq_is_shared_between_replicas_through_redis(
    start_gateway: Callable[..., Gateway], emulator: Emulator, redis_namespace: str
) -> None:
    one = start_gateway(cache_url=REDIS_URL, cache_namespace=redis_namespace)
    two = start_gateway(cache_url=REDIS_URL, cache_namespace=redis_namespace)
    contact = deepest(emulator.contacts())[0]["id"]
    body = {"variables": {"id": contact}, "extensions": _apq(sha256(QUERY))}

    one.http.post("/graphql", json=body | {"query": QUERY}).raise_for_status()
    answer = two.http.post("/graphql", json=body).json()

    assert answer["data"]["contact"]["id"] == contact


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.json"
    subprocess.run(
        [sys.executable, "-m", "gateway", "persisted-manifest", "--output", str(path)],
        cwd=ROOT,
        check=True,
    )
    return path


def test_the_manifest_of_the_example_operations(manifest: Path) -> None:
    data = json.loads(manifest.read_text())

    assert data["format"] == "apollo-persisted-query-manifest"
    assert data["version"] == 1
    names = sorted(o["name"] for o in data["operations"])
    assert names == sorted(p.stem for p in (ROOT / "schema" / "operations").glob("*.graphql"))
    for operation in data["operations"]:
        assert operation["id"] == sha256(operation["body"])
        kind = "mutation" if operation["body"].startswith("mutation ") else "query"
        assert operation["type"] == kind


def test_trusted_documents_only(
    start_gateway: Callable[..., Gateway], emulator: Emulator, manifest: Path
) -> None:
    gateway = start_gateway(trusted_documents=str(manifest), trusted_documents_only=True)
    operations = json.loads(manifest.read_text())["operations"]
    links = next(o for o in operations if o["name"] == "ContactWithLinks")
    contact = deepest(emulator.contacts())[-1]["id"]
    variables = {"contactId": contact}

    by_id = gateway.http.post(
        "/graphql", json={"variables": variables, "extensions": _apq(links["id"])}
    ).json()
    assert by_id["data"]["contact"]["id"] == contact

    as_text = (ROOT / "schema" / "operations" / "ContactWithLinks.graphql").read_text()
    by_body = gateway.http.post("/graphql", json={"query": as_text, "variables": variables})
    assert by_body.json()["data"]["contact"]["id"] == contact

    emulator.reset()
    other = gateway.http.post("/graphql", json={"query": QUERY, "variables": {"id": contact}})
    assert other.status_code == 400
    assert _code(other.json()) == "PERSISTED_QUERY_NOT_IN_LIST"
    unknown = gateway.http.post("/graphql", json={"extensions": _apq(sha256(QUERY))})
    assert _code(unknown.json()) == "PERSISTED_QUERY_NOT_IN_LIST"
    registering = gateway.http.post(
        "/graphql",
        json={"query": QUERY, "variables": {"id": contact}, "extensions": _apq(sha256(QUERY))},
    )
    assert _code(registering.json()) == "PERSISTED_QUERY_NOT_IN_LIST"
    assert emulator.stats()["calls"] == {}


def test_trusted_documents_alongside_others(
    start_gateway: Callable[..., Gateway], emulator: Emulator, manifest: Path
) -> None:
    gateway = start_gateway(trusted_documents=str(manifest))
    operations = json.loads(manifest.read_text())["operations"]
    links = next(o for o in operations if o["name"] == "ContactWithLinks")
    contact = deepest(emulator.contacts())[-1]["id"]

    by_id = gateway.http.post(
        "/graphql", json={"variables": {"contactId": contact}, "extensions": _apq(links["id"])}
    ).json()
    other = gateway.query(QUERY, id=contact)

    assert by_id["data"]["contact"]["id"] == contact
    assert other["data"]["contact"]["id"] == contact


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"trusted_documents_only": True}, "needs GATEWAY_TRUSTED_DOCUMENTS"),
        ({"cursor_secret": "short"}, "at least 32 characters"),
    ],
    ids=["only-without-manifest", "short-secret"],
)
def test_unsafe_settings_are_refused_at_start(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**values)


def test_a_file_that_is_not_a_manifest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"operations": []}))

    (problem,) = file_problems(Settings(trusted_documents=str(path)))
    assert problem.startswith("GATEWAY_TRUSTED_DOCUMENTS: ")
    assert "apollo-persisted-query-manifest" in problem
    (missing,) = file_problems(Settings(trusted_documents="/no/such/manifest.json"))
    assert "cannot read" in missing


def test_a_bad_manifest_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text("not json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--port", "0"],
        env=env | {"GATEWAY_TRUSTED_DOCUMENTS": str(path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "GATEWAY_TRUSTED_DOCUMENTS: cannot read" in result.stderr
    assert "Traceback" not in result.stderr
