"""GraphQL over HTTP: media types from Accept, statuses by media type, methods, content types."""

from __future__ import annotations

import pytest

from gateway.http.protocol import GRAPHQL_RESPONSE_JSON, JSON, response_media_type
from tests.chains import deepest
from tests.support import Emulator, Gateway

GRJ = {"accept": GRAPHQL_RESPONSE_JSON}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON}, application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        (f"application/json, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"application/json, {GRAPHQL_RESPONSE_JSON};q=0.5", JSON),
        (f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8", GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=0, */*;q=0.1", JSON),
        ("text/html, application/xhtml+xml, */*;q=0.8", JSON),
        ("text/plain", None),
        ("application/json;charset=utf-16", None),
        ("application/json;q=0", None),
        ("application/json;q=high", None),
    ],
)
def test_response_media_type(accept: str | None, expected: str | None) -> None:
    assert response_media_type(accept) == expected


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ contact(contactId: ", {}),  # parse error
        ("{ contact(contactId: $nope) { id } }", {}),  # validation error
        ("query ($id: ID!) { contact(contactId: $id) { id } }", {"id": None}),  # coercion
        ("query ($id: ID!) { contact(contactId: $id) { id } }", {}),  # missing variable
    ],
    ids=["parse", "validation", "null-variable", "missing-variable"],
)
def test_a_request_error_is_400_without_data_under_graphql_response_json(
    gateway: Gateway, emulator: Emulator, query: str, variables: dict[str, object]
) -> None:
    body = {"query": query, "variables": variables}

    modern = gateway.http.post("/graphql", json=body, headers=GRJ)
    legacy = gateway.http.post("/graphql", json=body, headers={"accept": JSON})

    assert modern.status_code == 400
    assert modern.headers["content-type"] == GRAPHQL_RESPONSE_JSON
    assert "data" not in modern.json()
    assert modern.json()["errors"]
    assert legacy.status_code == 200, "older clients read errors from a 200"
    assert legacy.headers["content-type"] == JSON
    assert legacy.json().keys() == {"errors"}
    assert "accept" in modern.headers["vary"].lower()
    assert emulator.calls() == 0


def test_field_errors_are_200_with_data_under_graphql_response_json(
    gateway: Gateway, emulator: Emulator
) -> None:
    contact = deepest(emulator.contacts())[0]
    found = f'found: contact(contactId: "{contact["id"]}") {{ id }}'
    query = f'{{ {found} missing: contact(contactId: "no-such-contact") {{ id }} }}'

    response = gateway.http.post("/graphql", json={"query": query}, headers=GRJ)

    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_JSON
    body = response.json()
    assert body["data"] == {"found": {"id": contact["id"]}, "missing": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_a_reused_answer_keeps_the_media_type_asked_for(
    gateway: Gateway, emulator: Emulator
) -> None:
    contact = deepest(emulator.contacts())[0]
    query = f'{{ contact(contactId: "{contact["id"]}") {{ id }} }}'

    answers = [
        gateway.http.post("/graphql", json={"query": query}, headers={"accept": accept})
        for accept in (JSON, GRAPHQL_RESPONSE_JSON, JSON, GRAPHQL_RESPONSE_JSON)
    ]

    assert [a.headers["content-type"] for a in answers] == [JSON, GRAPHQL_RESPONSE_JSON] * 2
    assert {a.content for a in answers} == {answers[0].content}


def test_unacceptable_accept_is_406(gateway: Gateway, emulator: Emulator) -> None:
    response = gateway.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept": "text/plain"}
    )

    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_browser_asking_for_html_only_still_gets_graphiql(gateway: Gateway) -> None:
    page = gateway.http.get("/graphql", headers={"accept": "text/html"})

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16", ""],
)
def test_unsupported_content_types_are_415(gateway: Gateway, content_type: str) -> None:
    response = gateway.http.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"content-type": content_type}
    )

    assert response.status_code == 415


def test_json_with_a_utf8_charset_is_taken(gateway: Gateway) -> None:
    response = gateway.http.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"content-type": "application/json; charset=UTF-8"},
    )

    assert response.json() == {"data": {"__typename": "Query"}}


def test_get_runs_queries_only(gateway: Gateway) -> None:
    query = gateway.http.get("/graphql", params={"query": "{ __typename }"}, headers=GRJ)
    mutation = gateway.http.get("/graphql", params={"query": "mutation { __typename }"})

    assert query.json() == {"data": {"__typename": "Query"}}
    assert mutation.status_code == 405
    assert mutation.headers["allow"] == "POST"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_allow(gateway: Gateway, method: str) -> None:
    response = gateway.http.request(method, "/graphql")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


@pytest.mark.parametrize("name", [{"a": 1}, ["a"], 3, True])
def test_operation_name_must_be_a_string(gateway: Gateway, name: object) -> None:
    response = gateway.http.post(
        "/graphql", json={"query": "{ __typename }", "operationName": name}, headers=GRJ
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_JSON


SUBSCRIPTION = 'subscription { contactUpdated(contactId: "c1") { id } }'


def test_a_subscription_over_get_is_405(gateway: Gateway, emulator: Emulator) -> None:
    emulator.reset()
    answer = gateway.http.get("/graphql", params={"query": SUBSCRIPTION})
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert "websocket" in answer.json()["errors"][0]["message"]
    assert emulator.stats()["calls"] == {}


def test_a_subscription_over_post_is_refused_with_a_clear_error(
    gateway: Gateway, emulator: Emulator
) -> None:
    emulator.reset()
    answer = gateway.http.post("/graphql", json={"query": SUBSCRIPTION})
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "graphql-transport-ws" in error["message"]
    assert emulator.stats()["calls"] == {}
