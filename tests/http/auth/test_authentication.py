"""Authentication against real servers: a JWKS endpoint serving keys the test makes, a
gateway in front of the emulator, and for every refusal no upstream call at all."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.http.auth.keys import new_key
from tests.chains import deepest
from tests.http.auth.issuer import (
    AUDIENCE,
    ISSUER,
    Issuer,
    SigningKey,
    hs256_with,
    running_issuer,
    unsigned,
)
from tests.support import Emulator, Gateway

QUERY = "query Who($id: ID!) { contact(contactId: $id) { id channel } }"


@dataclass
class World:
    gateway: Gateway
    issuer: Issuer
    key: SigningKey
    api_key: str
    contact_id: str

    def ask(self, headers: dict[str, str]) -> httpx.Response:
        return self.gateway.http.post(
            "/graphql",
            json={"query": QUERY, "variables": {"id": self.contact_id}},
            headers=headers,
        )


def write_keys(path: Path, *entries: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"keys": list(entries)}))
    return path


@pytest.fixture
def auth_settings(tmp_path: Path) -> Iterator[Callable[..., dict[str, Any]]]:
    """Settings for a gateway that authenticates with API keys and with the test issuer's
    tokens, and the API key it knows (scopes: contacts:read, instance:*)."""
    key = SigningKey()
    with running_issuer(key) as issuer:

        def make(**overrides: Any) -> dict[str, Any]:
            return {
                "auth": "api-key,jwt",
                "api_keys_file": keys_file,
                "jwt_jwks_url": issuer.url,
                "jwt_issuer": ISSUER,
                "jwt_audience": AUDIENCE,
                "graphiql": False,
            } | overrides

        api_key, entry = new_key("dashboard", ["contacts:read", "instance:*"])
        keys_file = write_keys(tmp_path / "keys.json", entry)
        make.issuer = issuer  # type: ignore[attr-defined]
        make.key = key  # type: ignore[attr-defined]
        make.api_key = api_key  # type: ignore[attr-defined]
        yield make


@pytest.fixture
def world(auth_settings: Any, start_gateway: Callable[..., Gateway], emulator: Emulator) -> World:
    gateway = start_gateway(**auth_settings())
    contact_id = deepest(emulator.contacts())[-1]["id"]
    emulator.reset()
    return World(
        gateway, auth_settings.issuer, auth_settings.key, auth_settings.api_key, contact_id
    )


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


REFUSED: dict[str, tuple[Callable[[World], dict[str, str]], str]] = {
    "no credentials": (lambda w: {}, "authentication required"),
    "wrong API key": (lambda w: {"x-api-key": w.api_key[:-2] + "xx"}, "invalid API key"),
    "another key's signature": (
        lambda w: bearer(SigningKey(kid=w.key.kid).sign()),
        "Signature verification failed",
    ),
    "an unknown key": (lambda w: bearer(SigningKey().sign()), "not signed by a key of"),
    "expired": (lambda w: bearer(w.key.sign(exp=int(time.time()) - 3600)), "expired"),
    "not yet valid": (
        lambda w: bearer(w.key.sign(nbf=int(time.time()) + 3600)),
        "not yet valid",
    ),
    "another audience": (lambda w: bearer(w.key.sign(aud="another-api")), "Audience"),
    "another issuer": (
        lambda w: bearer(w.key.sign(iss="https://evil.example.com")),
        "issuer",
    ),
    "no sub": (lambda w: bearer(w.key.sign(sub=None)), '"sub"'),
    "no exp": (lambda w: bearer(w.key.sign(exp=None)), '"exp"'),
    "alg none": (lambda w: bearer(unsigned(w.key.kid)), "algorithm must be"),
    "HS256 with the public key": (
        lambda w: bearer(hs256_with(w.key.public_pem(), w.key.kid)),
        "algorithm must be",
    ),
    "not a JWT": (lambda w: bearer("not-a-token"), "not a JWT"),
    "a valid API key with a bad token": (
        lambda w: {"x-api-key": w.api_key} | bearer(SigningKey().sign()),
        "not signed by a key of",
    ),
    "a valid API key with a valid token": (
        lambda w: {"x-api-key": w.api_key} | bearer(w.key.sign()),
        "send one credential",
    ),
    "a bad API key with a valid token": (
        lambda w: {"x-api-key": "cgg_nope"} | bearer(w.key.sign()),
        "invalid API key",
    ),
    "exp as a string": (
        lambda w: bearer(w.key.sign(exp=str(int(time.time()) + 3600))),
        "exp",
    ),
    "nbf as a string": (lambda w: bearer(w.key.sign(nbf=str(int(time.time())))), "nbf"),
    "Basic credentials": (
        lambda w: {"authorization": "Basic YWRtaW46YWRtaW4="},
        "authentication required",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_refused_with_401_and_no_upstream_call(world: World, emulator: Emulator, case: str) -> None:
    headers, reason = REFUSED[case]
    response = world.ask(headers(world))

    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["cache-control"] == "no-store"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert reason in error["message"]
    assert sum(emulator.stats()["calls"].values()) == 0


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_token_of_the_issuer_is_accepted(
    auth_settings: Any, start_gateway: Callable[..., Gateway], emulator: Emulator, algorithm: str
) -> None:
    key = SigningKey(algorithm)
    auth_settings.issuer.keys.append(key)
    gateway = start_gateway(**auth_settings())
    contact_id = deepest(emulator.contacts())[-1]["id"]

    response = gateway.http.post(
        "/graphql",
        json={"query": QUERY, "variables": {"id": contact_id}},
        headers=bearer(key.sign()),
    )

    assert response.status_code == 200
    assert response.json()["data"]["contact"]["id"] == contact_id
    assert response.headers["cache-control"] == "no-store"


def test_the_right_api_key_is_accepted(world: World, emulator: Emulator) -> None:
    response = world.ask({"x-api-key": world.api_key})

    assert response.status_code == 200
    assert response.json()["data"]["contact"]["id"] == world.contact_id
    assert emulator.calls("DescribeContact") == 1


def test_the_www_authenticate_header_says_whether_credentials_were_bad(world: World) -> None:
    assert world.ask({}).headers["www-authenticate"] == "Bearer"
    invalid = world.ask(bearer("x.y.z")).headers["www-authenticate"]
    assert invalid == 'Bearer error="invalid_token"'


def test_a_rotated_key_is_picked_up(
    auth_settings: Any, start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    issuer: Issuer = auth_settings.issuer
    gateway = start_gateway(**auth_settings(jwt_jwks_refetch_seconds=0))
    contact_id = deepest(emulator.contacts())[-1]["id"]

    def ask(key: SigningKey) -> int:
        response = gateway.http.post(
            "/graphql",
            json={"query": QUERY, "variables": {"id": contact_id}},
            headers=bearer(key.sign()),
        )
        return response.status_code

    assert ask(auth_settings.key) == 200
    assert issuer.fetches == 1
    rotated = SigningKey()
    issuer.keys = [rotated]

    assert ask(rotated) == 200
    assert issuer.fetches == 2, "the unknown kid made the gateway fetch the keys again"
    assert ask(rotated) == 200
    assert issuer.fetches == 2, "and the new key set is cached"


def test_unknown_kids_refetch_the_keys_at_most_once_per_interval(world: World) -> None:
    assert world.ask(bearer(world.key.sign())).status_code == 200
    assert world.issuer.fetches == 1

    for _ in range(5):
        assert world.ask(bearer(SigningKey().sign())).status_code == 401

    # The first fetch started the 30 s cooldown: strangers' kids cost the issuer nothing.
    assert world.issuer.fetches == 1


def test_an_unreachable_issuer_is_503_not_401(
    auth_settings: Any, start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(**auth_settings(jwt_jwks_url="http://127.0.0.1:9/jwks.json"))

    response = gateway.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers=bearer(auth_settings.key.sign())
    )

    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"


def test_health_is_public_and_metrics_need_their_scope(
    world: World, tmp_path: Path, auth_settings: Any, start_gateway: Callable[..., Gateway]
) -> None:
    assert world.gateway.http.get("/healthz").status_code == 200
    assert world.gateway.http.get("/readyz").status_code == 200
    assert world.gateway.http.get("/metrics").status_code == 401
    forbidden = world.gateway.http.get("/metrics", headers={"x-api-key": world.api_key})
    assert forbidden.status_code == 403
    assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    scraper, entry = new_key("prometheus", ["metrics:read"])
    keys = write_keys(tmp_path / "scraper.json", entry)
    gateway = start_gateway(**auth_settings(api_keys_file=keys))
    metrics = gateway.http.get("/metrics", headers={"x-api-key": scraper})
    assert metrics.status_code == 200
    assert "gateway_graphql_requests" in metrics.text


def test_graphiql_is_off_outside_demo_mode_and_its_page_is_public_when_on(
    world: World, auth_settings: Any, start_gateway: Callable[..., Gateway]
) -> None:
    html = {"accept": "text/html"}
    assert world.gateway.http.get("/graphql", headers=html).status_code == 401
    assert (
        world.gateway.http.get("/graphql", headers=html | {"x-api-key": world.api_key}).status_code
        == 404
    )

    gateway = start_gateway(**auth_settings(graphiql=True))
    page = gateway.http.get("/graphql", headers=html)
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    # The page is public; a query from it is not.
    query = gateway.http.get("/graphql", params={"query": "{ __typename }"}, headers=html)
    assert query.status_code == 401


def test_introspection_needs_a_caller_and_can_be_turned_off(
    world: World, auth_settings: Any, start_gateway: Callable[..., Gateway]
) -> None:
    introspect = {"query": "{ __schema { queryType { name } } }"}
    assert world.gateway.http.post("/graphql", json=introspect).status_code == 401
    answer = world.gateway.http.post(
        "/graphql", json=introspect, headers={"x-api-key": world.api_key}
    )
    assert answer.json()["data"]["__schema"]["queryType"]["name"] == "Query"

    gateway = start_gateway(**auth_settings(introspection=False))
    refused = gateway.http.post("/graphql", json=introspect, headers={"x-api-key": world.api_key})
    assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_cognito_access_tokens_name_the_api_in_client_id(
    auth_settings: Any, start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    """Cognito's access tokens have no aud; GATEWAY_JWT_AUDIENCE_CLAIM=client_id checks the
    app client they name instead (and an ID token, without client_id, is refused)."""
    key = auth_settings.key
    cognito = start_gateway(**auth_settings(jwt_audience_claim="client_id"))
    usual = start_gateway(**auth_settings())
    contact_id = deepest(emulator.contacts())[-1]["id"]
    emulator.reset()

    def ask(gateway: Gateway, token: str) -> httpx.Response:
        body = {"query": QUERY, "variables": {"id": contact_id}}
        return gateway.http.post("/graphql", json=body, headers=bearer(token))

    access = key.sign(aud=None, client_id=AUDIENCE, token_use="access")
    assert ask(cognito, access).json()["data"]["contact"]["id"] == contact_id
    other = ask(cognito, key.sign(aud=None, client_id="another-app"))
    assert other.status_code == 401
    assert "client_id is not this API's" in other.json()["errors"][0]["message"]
    id_token = ask(cognito, key.sign(token_use="id"))  # aud, no client_id
    assert id_token.status_code == 401
    assert ask(usual, access).status_code == 401  # the default still wants aud
    assert emulator.calls() == 1


def test_a_token_without_nbf_is_accepted(world: World) -> None:
    # Cognito's access tokens, among others, carry no nbf.
    assert world.ask(bearer(world.key.sign(nbf=None))).status_code == 200


def test_a_subject_never_passes_for_an_api_key(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gateway.audit"):
        assert world.ask({"x-api-key": world.api_key}).status_code == 200
        assert world.ask(bearer(world.key.sign(sub="dashboard"))).status_code == 200
    callers = [
        record.getMessage().split()[0]
        for record in caplog.records
        if record.name == "gateway.audit" and record.getMessage().startswith("caller=")
    ]
    assert callers == ["caller=key:dashboard", "caller=sub:dashboard"]


PII = "query Who($id: ID!) { contact(contactId: $id) { id customerEndpoint { address } } }"


@pytest.mark.parametrize("pii_first", [True, False])
def test_scope_sets_that_join_alike_never_share_a_cached_response(
    auth_settings: Any,
    start_gateway: Callable[..., Gateway],
    emulator: Emulator,
    tmp_path: Path,
    pii_first: bool,
) -> None:
    pii_key, entry = new_key("quality", ["contacts:pii", "contacts:read", "instance:*"])
    keys = write_keys(tmp_path / "pii.json", entry)
    gateway = start_gateway(**auth_settings(api_keys_file=keys))
    contact_id = next(c["id"] for c in emulator.contacts() if c["channel"] == "EMAIL")
    # One scope value holding the three names with spaces: no valid scope at all.
    forged = bearer(
        auth_settings.key.sign(scope=None, scp=["contacts:pii contacts:read instance:*"])
    )

    def ask(headers: dict[str, str]) -> dict[str, Any]:
        response = gateway.http.post(
            "/graphql", json={"query": PII, "variables": {"id": contact_id}}, headers=headers
        )
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    order = [{"x-api-key": pii_key}, forged] if pii_first else [forged, {"x-api-key": pii_key}]
    answers = [ask(headers) for headers in order]
    trusted, stranger = answers if pii_first else answers[::-1]

    assert trusted["data"]["contact"]["customerEndpoint"]["address"]
    assert "errors" not in trusted
    assert stranger["data"]["contact"] is None
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
