"""GraphQL over HTTP: malformed requests, GraphiQL, health, CORS, compression."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.chains import deepest, demo_contacts
from tests.support import Emulator, Gateway


def test_malformed_json_is_400_with_a_code(gateway: Gateway, emulator: Emulator) -> None:
    response = gateway.http.post(
        "/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert emulator.calls() == 0


@pytest.mark.parametrize(
    "body",
    [b"42", b'"text"', b"null", b"[]", b'[{"query": "{ __typename }"}]', b"\xff\xfe", b""],
    ids=["number", "string", "null", "empty-batch", "batch", "not-utf8", "empty"],
)
def test_bodies_that_are_not_a_json_object_are_400(gateway: Gateway, body: bytes) -> None:
    response = gateway.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert (
        response.json()["errors"][0]["extensions"]["requestId"] == response.headers["x-request-id"]
    )


def test_wrong_content_type_is_415(gateway: Gateway, emulator: Emulator) -> None:
    response = gateway.http.post(
        "/graphql", content=b"{ contact }", headers={"content-type": "text/plain"}
    )

    assert response.status_code == 415
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "application/json" in error["message"]


def test_query_not_a_string_is_400(gateway: Gateway) -> None:
    response = gateway.http.post("/graphql", json={"query": 42})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_query_over_get(gateway: Gateway, emulator: Emulator) -> None:
    contact = deepest(emulator.contacts())[0]
    response = gateway.http.get(
        "/graphql", params={"query": f'{{ contact(contactId: "{contact["id"]}") {{ id }} }}'}
    )

    assert response.json() == {"data": {"contact": {"id": contact["id"]}}}


def test_graphiql_opens_on_a_working_example(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    contact = deepest(emulator.contacts())[-1]
    gateway = start_gateway(example_contact_id=contact["id"])

    page = gateway.http.get("/graphql", headers={"accept": "text/html"})

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert "query ContactWithLinks" in page.text
    assert contact["id"] in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_health_and_readiness(gateway: Gateway) -> None:
    assert gateway.http.get("/healthz").json() == {"status": "ok"}
    assert gateway.http.get("/readyz").json() == {"status": "ready", "checks": {"cache": "ok"}}


def test_readiness_reports_a_dead_cache(start_gateway: Callable[..., Gateway]) -> None:
    gateway = start_gateway(cache_url="redis://127.0.0.1:9/0")

    body = gateway.http.get("/readyz").json()

    assert body == {"status": "degraded", "checks": {"cache": "unavailable"}}


def test_cors_for_configured_origins_only(start_gateway: Callable[..., Gateway]) -> None:
    gateway = start_gateway(cors_origins=("https://desk.example.com",))
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }

    allowed = gateway.http.options(
        "/graphql", headers={"origin": "https://desk.example.com", **preflight}
    )
    refused = gateway.http.options(
        "/graphql", headers={"origin": "https://evil.example.com", **preflight}
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://desk.example.com"
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


def test_large_responses_are_gzipped(gateway: Gateway, emulator: Emulator) -> None:
    ids = list(demo_contacts(emulator.contacts()))[:50]
    response = gateway.http.post(
        "/graphql",
        json={
            "query": "query($ids: [ID!]!) { contacts(contactIds: $ids) { id arn channel } }",
            "variables": {"ids": ids},
        },
        headers={"accept-encoding": "gzip"},
    )

    assert response.headers["content-encoding"] == "gzip"
    assert len(response.json()["data"]["contacts"]) == 50
