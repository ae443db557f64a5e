"""The response cache's hit path (gateway/http/hits.py): a hit answers what the executed
answer was, byte for byte and header for header (but the request id), with the same
guarantees: authenticated first, per scope, no-store, gzip and CORS where they apply, the
request counted and audited; anything it does not answer takes the general path."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from gateway.core.caller import CONTACTS_READ, INSTANCE_ANY, METRICS_READ
from gateway.http.auth.keys import new_key
from tests.chains import deepest, demo_contacts
from tests.support import Emulator, Gateway

# Long enough an answer (over 1 KiB) that gzip applies to it.
FIELDS = """id arn channel initiationMethod initiationTimestamp disconnectTimestamp
    lastUpdateTimestamp agentInfo { id connectedToAgentTimestamp }
    queueInfo { id enqueueTimestamp }"""
NESTED = f"""query Nested($id: ID!) {{
  contact(contactId: $id) {{
    {FIELDS}
    previousContact {{ {FIELDS} }}
    initialContact {{ {FIELDS} }}
  }}
}}"""
ORIGIN = "https://desk.example.com"
METRICS_KEY, METRICS_ENTRY = new_key("prometheus", [METRICS_READ])


def _metrics(gateway: Gateway) -> str:
    return gateway.http.get("/metrics", headers={"x-api-key": METRICS_KEY}).text


def _lookups(gateway: Gateway) -> dict[str, int]:
    text = _metrics(gateway)
    counts = {}
    for line in text.splitlines():
        if line.startswith("gateway_response_cache_lookups_total{"):
            result = line.split('result="')[1].split('"')[0]
            counts[result] = int(float(line.rsplit(" ", 1)[1]))
    return counts


def _requests(gateway: Gateway, operation: str) -> int:
    text = _metrics(gateway)
    prefix = f'gateway_graphql_requests_total{{operation="{operation}"}} '
    return next(
        int(float(line[len(prefix) :])) for line in text.splitlines() if line.startswith(prefix)
    )


def _headers(response: httpx.Response) -> dict[str, str]:
    """The response's headers but those that differ by request (its id, its date)."""
    return {k: v for k, v in response.headers.items() if k not in ("x-request-id", "date")}


@pytest.fixture
def contact(emulator: Emulator) -> str:
    """An ended contact whose previous one has ended too: cached for as long as the tests
    take, however slow the machine (an active one's answers expire in seconds)."""
    by_id = demo_contacts(emulator.contacts())
    for found in deepest(emulator.contacts()):
        previous = by_id.get(found.get("previousContactId") or "")
        if found["disconnected"] and previous is not None and previous.get("disconnected"):
            return str(found["id"])
    raise AssertionError("the demo data has no ended contact with an ended previous one")


@pytest.fixture
def keyed(tmp_path: Path, start_gateway: Callable[..., Gateway]) -> tuple[Gateway, str]:
    """A gateway that takes API keys (allowing a browser origin), and one of its keys."""
    key, entry = new_key("desk", [CONTACTS_READ, INSTANCE_ANY])
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [entry, METRICS_ENTRY]}))
    return start_gateway(auth="api-key", api_keys_file=keys, cors_origins=[ORIGIN]), key


def test_a_hit_is_the_executed_answer_again(
    keyed: tuple[Gateway, str], contact: str, emulator: Emulator
) -> None:
    gateway, key = keyed
    body = {"query": NESTED, "variables": {"id": contact}}
    headers = {"x-api-key": key, "accept-encoding": "identity"}
    executed = gateway.http.post("/graphql", json=body, headers=headers)
    calls = emulator.calls()

    hit = gateway.http.post("/graphql", json=body, headers=headers)

    assert executed.status_code == hit.status_code == 200
    assert hit.content == executed.content
    assert _headers(hit) == _headers(executed)
    assert hit.headers["cache-control"] == "no-store"
    assert hit.headers["x-request-id"] != executed.headers["x-request-id"]
    assert _lookups(gateway) == {"miss": 1, "hit": 1}
    assert _requests(gateway, "Nested") == 2
    assert emulator.calls() == calls


def test_a_hit_keeps_the_request_id_it_is_given(keyed: tuple[Gateway, str], contact: str) -> None:
    gateway, key = keyed
    body = {"query": NESTED, "variables": {"id": contact}}
    gateway.http.post("/graphql", json=body, headers={"x-api-key": key})

    hit = gateway.http.post(
        "/graphql", json=body, headers={"x-api-key": key, "x-request-id": "r-1"}
    )
    forged = gateway.http.post(
        "/graphql", json=body, headers={"x-api-key": key, "x-request-id": "r 1"}
    )

    assert hit.headers["x-request-id"] == "r-1"
    assert forged.headers["x-request-id"] not in ("r 1", "r-1")
    assert _lookups(gateway)["hit"] == 2


def test_gzip_on_a_hit_is_the_stored_copy(keyed: tuple[Gateway, str], contact: str) -> None:
    gateway, key = keyed
    body = {"query": NESTED, "variables": {"id": contact}}
    headers = {"x-api-key": key, "accept-encoding": "gzip"}
    executed = gateway.http.post("/graphql", json=body, headers=headers)

    hit = gateway.http.post("/graphql", json=body, headers=headers)
    plain = gateway.http.post(
        "/graphql", json=body, headers={"x-api-key": key, "accept-encoding": "identity"}
    )

    assert len(plain.content) >= 1024
    assert executed.headers["content-encoding"] == hit.headers["content-encoding"] == "gzip"
    assert _headers(hit) == _headers(executed)
    assert hit.headers["vary"] == "Accept, Accept-Encoding, Origin"
    assert int(hit.headers["content-length"]) < len(plain.content)
    assert hit.content == executed.content == plain.content  # httpx decompressed them
    assert "content-encoding" not in plain.headers
    assert _lookups(gateway) == {"miss": 1, "hit": 2}


def test_gzip_bytes_are_gzip(keyed: tuple[Gateway, str], contact: str) -> None:
    gateway, key = keyed
    body = json.dumps({"query": NESTED, "variables": {"id": contact}}).encode()
    headers = {"x-api-key": key, "accept-encoding": "gzip", "content-type": "application/json"}
    with httpx.Client(base_url=gateway.url) as client:
        for _ in range(2):
            request = client.build_request("POST", "/graphql", content=body, headers=headers)
            response = client.send(request, stream=True)
            raw = b"".join(response.iter_raw())
            assert json.loads(gzip.decompress(raw))["data"]["contact"]["id"] == contact
    assert _lookups(gateway) == {"miss": 1, "hit": 1}


@pytest.mark.parametrize("origin", [ORIGIN, "https://evil.example.com"])
def test_cors_on_a_hit_is_the_apps_own(
    keyed: tuple[Gateway, str], contact: str, origin: str
) -> None:
    gateway, key = keyed
    body = {"query": NESTED, "variables": {"id": contact}}
    headers = {"x-api-key": key, "origin": origin}
    executed = gateway.http.post("/graphql", json=body, headers=headers)

    hit = gateway.http.post("/graphql", json=body, headers=headers)

    assert _headers(hit) == _headers(executed)
    allowed = hit.headers.get("access-control-allow-origin")
    assert allowed == (origin if origin == ORIGIN else None)
    assert _lookups(gateway) == {"miss": 1, "hit": 1}


@pytest.mark.parametrize(
    "credentials",
    [{}, {"x-api-key": "cgg_wrong"}, {"authorization": "Basic YWRtaW46YWRtaW4="}],
    ids=["none", "a wrong key", "basic"],
)
def test_a_cached_body_without_the_caller_is_refused_as_ever(
    keyed: tuple[Gateway, str],
    contact: str,
    credentials: dict[str, str],
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway, key = keyed
    body = {"query": NESTED, "variables": {"id": contact}}
    gateway.http.post("/graphql", json=body, headers={"x-api-key": key})
    calls = emulator.calls()

    with caplog.at_level(logging.INFO, logger="gateway.audit"):
        refused = gateway.http.post("/graphql", json=body, headers=credentials)

    assert refused.status_code == 401
    assert refused.headers["cache-control"] == "no-store"
    assert "data" not in refused.json()
    assert any(r.getMessage().startswith("refused POST /graphql") for r in caplog.records)
    assert _lookups(gateway) == {"miss": 1}, "refused before any lookup"
    assert emulator.calls() == calls


def test_a_hit_is_audited_with_its_caller_and_contacts(
    keyed: tuple[Gateway, str], contact: str, caplog: pytest.LogCaptureFixture
) -> None:
    gateway, key = keyed
    body = {"query": NESTED, "variables": {"id": contact}}
    with caplog.at_level(logging.INFO, logger="gateway.audit"):
        gateway.http.post("/graphql", json=body, headers={"x-api-key": key})
        gateway.http.post("/graphql", json=body, headers={"x-api-key": key})

    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.audit"]
    assert len(lines) == 2
    executed, hit = (set(line.split(" ")) for line in lines)
    assert {"caller=key:desk", "operation=Nested", "errors=0"} <= hit
    contacts = next(f for f in hit if f.startswith("contacts="))
    assert contact in contacts.removeprefix("contacts=").split(",")
    assert {f.split("=")[0] for f in hit} == {f.split("=")[0] for f in executed}
    assert _lookups(gateway) == {"miss": 1, "hit": 1}


def test_a_chunked_body_takes_the_general_path(keyed: tuple[Gateway, str], contact: str) -> None:
    gateway, key = keyed
    payload = json.dumps({"query": NESTED, "variables": {"id": contact}}).encode()
    headers = {"x-api-key": key, "content-type": "application/json"}
    answers = []
    for _ in range(2):
        chunks = iter([payload[:100], payload[100:]])  # no Content-Length: chunked
        answers.append(gateway.http.post("/graphql", content=chunks, headers=headers))

    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].content == answers[1].content
    assert answers[0].json()["data"]["contact"]["id"] == contact
    # The general path looks it up (and keeps it) by the same key as the hit path.
    sized = gateway.http.post("/graphql", content=payload, headers=headers)
    assert sized.content == answers[0].content
    assert _lookups(gateway) == {"miss": 1, "hit": 2}


def test_an_oversized_body_is_refused_before_any_lookup(
    start_gateway: Callable[..., Gateway], contact: str
) -> None:
    gateway = start_gateway(max_body_bytes=1024)
    payload = json.dumps({"query": NESTED, "variables": {"id": contact, "pad": "x" * 2000}})

    refused = gateway.http.post(
        "/graphql", content=payload, headers={"content-type": "application/json"}
    )

    assert refused.status_code == 413
    assert _lookups(gateway) == {}


def test_no_cache_takes_the_general_path_and_is_counted(
    keyed: tuple[Gateway, str], contact: str
) -> None:
    gateway, key = keyed
    body = {"query": NESTED, "variables": {"id": contact}}
    gateway.http.post("/graphql", json=body, headers={"x-api-key": key})

    fresh = gateway.http.post(
        "/graphql", json=body, headers={"x-api-key": key, "pragma": "no-cache"}
    )

    assert fresh.status_code == 200
    assert _lookups(gateway) == {"miss": 1, "bypass": 1}
