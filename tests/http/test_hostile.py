"""What a hostile caller sends: each refused at once, with its status and code, no upstream
call, and /healthz answering on another connection while it is handled."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests import web
from tests.api.test_limits import fragment_bomb
from tests.support import Emulator, Gateway

DEADLINE = 3.0  # well under a second unloaded; generous for a machine shared by many test runs


@contextmanager
def healthz_meanwhile(gateway: Gateway) -> Iterator[list[float]]:
    """Polls /healthz on a connection of its own until the block ends; the latencies."""
    latencies: list[float] = []
    done = threading.Event()
    started = threading.Event()

    def poll() -> None:
        with web.Client(base_url=gateway.url, timeout=30) as client:
            while True:
                begin = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                latencies.append(time.perf_counter() - begin)
                started.set()
                if done.is_set():
                    return

    poller = threading.Thread(target=poll)
    poller.start()
    assert started.wait(30)
    try:
        yield latencies
    finally:
        done.set()
        poller.join(30)
    assert latencies
    assert max(latencies) < DEADLINE, latencies


def refused(
    gateway: Gateway, emulator: Emulator, send: Callable[[], httpx.Response]
) -> httpx.Response:
    with healthz_meanwhile(gateway):
        begin = time.perf_counter()
        response = send()
        took = time.perf_counter() - begin
    assert took < DEADLINE, took
    assert emulator.stats()["calls"] == {}
    return response


def post(gateway: Gateway, body: Any) -> Callable[[], httpx.Response]:
    return lambda: gateway.http.post("/graphql", json=body, headers={"accept": "application/json"})


def code(response: httpx.Response) -> str:
    [error] = response.json()["errors"]
    return error["extensions"]["code"]  # type: ignore[no-any-return]


def test_the_fragment_bomb(start_gateway: Callable[..., Gateway], emulator: Emulator) -> None:
    gateway = start_gateway(max_query_depth=30)  # so that the cost is what refuses it

    response = refused(gateway, emulator, post(gateway, {"query": fragment_bomb(24)}))

    assert response.status_code == 200
    assert code(response) == "BAD_USER_INPUT"
    assert f"{2**25 - 1} upstream calls" in response.json()["errors"][0]["message"]


def test_the_fragment_bomb_within_the_default_depth(gateway: Gateway, emulator: Emulator) -> None:
    response = refused(gateway, emulator, post(gateway, {"query": fragment_bomb(24)}))

    assert code(response) == "BAD_USER_INPUT"
    assert "maximum operation depth of 12" in response.json()["errors"][0]["message"]


def test_thirty_aliases_of_a_hundred_contacts_and_their_chains(
    gateway: Gateway, emulator: Emulator
) -> None:
    fields = " ".join(
        f"a{n}: contacts(contactIds: $ids) {{ chain {{ chain {{ id }} }} }}" for n in range(30)
    )
    body = {"query": f"query($ids: [ID!]!) {{ {fields} }}", "variables": {"ids": ["c"] * 100}}

    response = refused(gateway, emulator, post(gateway, body))

    assert code(response) == "BAD_USER_INPUT"
    message = response.json()["errors"][0]["message"]
    assert "7653000" in message
    assert "500" in message


def test_a_hundred_thousand_tokens(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(max_body_bytes=1024 * 1024)  # so that the parser is what refuses it
    query = "{ " + "a " * 100_000 + "}"

    response = refused(gateway, emulator, post(gateway, {"query": query}))

    assert code(response) == "BAD_USER_INPUT"
    assert "more than 5000 tokens" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("depth", [5000, 80], ids=["five thousand deep", "just too deep"])
def test_json_nested_too_deep(gateway: Gateway, emulator: Emulator, depth: int) -> None:
    body = '{"query": "{ __typename }", "variables": {"x": ' + "[" * depth + "]" * depth + "}}"

    response = refused(
        gateway,
        emulator,
        lambda: gateway.http.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        ),
    )

    assert response.status_code == 400
    assert code(response) == "BAD_USER_INPUT"
    assert "nested more than 64 levels" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ __typename }", "operationName": 42},
        {"query": "{ __typename }", "operationName": ["A"]},
        {"query": "{ __typename }", "variables": [1]},
        {"query": "{ __typename }", "extensions": "x"},
        {"query": ["{ __typename }"]},
    ],
    ids=["operationName-number", "operationName-list", "variables", "extensions", "query"],
)
def test_members_of_the_wrong_type(gateway: Gateway, emulator: Emulator, body: Any) -> None:
    response = refused(gateway, emulator, post(gateway, body))

    assert response.status_code == 400
    assert code(response) == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "params",
    [
        {"query": "{ __typename }", "variables": "[" * 5000 + "]" * 5000},
        {"query": "{ __typename }", "variables": "{not json"},
        {"query": "{ __typename }", "variables": "[1]"},
        {"query": "{ __typename }", "extensions": "42"},
        {"query": "{ " + "a " * 6000 + "}"},
        {"query": fragment_bomb(24)},
    ],
    ids=["deep-variables", "bad-variables", "list-variables", "extensions", "tokens", "bomb"],
)
def test_query_strings(gateway: Gateway, emulator: Emulator, params: dict[str, str]) -> None:
    response = refused(
        gateway,
        emulator,
        lambda: gateway.http.get("/graphql", params=params, headers={"accept": "application/json"}),
    )

    assert response.status_code in (200, 400)
    assert code(response) == "BAD_USER_INPUT"


def _raw(gateway: Gateway, head: bytes, chunks: Iterator[bytes]) -> tuple[int, bytes]:
    """Sends `head` then `chunks` on a socket until the server answers; its status and body."""
    url = urlparse(gateway.url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        answer = b""
        for chunk in chunks:
            with suppress(BlockingIOError):
                answer += sock.recv(65536)
            if answer:
                break
            try:
                sock.setblocking(True)
                sock.sendall(chunk)
            except OSError:  # the server closed: it has answered
                break
            finally:
                sock.setblocking(False)
        sock.setblocking(True)
        sock.settimeout(30)
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1]


def _ten_megabytes(chunked: bool) -> Iterator[bytes]:
    piece = b"x" * 65536
    for _ in range(160):
        yield (b"10000\r\n" + piece + b"\r\n") if chunked else piece
    if chunked:
        yield b"0\r\n\r\n"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_ten_megabyte_body(gateway: Gateway, emulator: Emulator, chunked: bool) -> None:
    length = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: 10485760"
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
        + length
        + b"\r\n\r\n"
    )
    sent: list[bytes] = []

    def counted() -> Iterator[bytes]:
        for chunk in _ten_megabytes(chunked):
            sent.append(chunk)
            yield chunk

    with healthz_meanwhile(gateway):
        begin = time.perf_counter()
        status, body = _raw(gateway, head, counted())
        took = time.perf_counter() - begin

    assert status == 413
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert took < DEADLINE
    assert len(sent) < 160  # answered before the client could send it all
    assert emulator.stats()["calls"] == {}


SEARCH = (
    "query($from: DateTime!, $to: DateTime!, $agents: [ID!]) { searchContacts("
    "timeRange: {type: INITIATION_TIMESTAMP, startTime: $from, endTime: $to}, "
    "criteria: {agentIds: $agents}) { totalCount } }"
)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"from": "2024-01-01T00:00:00Z", "to": "2024-02-26T00:00:01Z"}, "at most 8 weeks"),
        ({"from": "2024-01-01T00:00:00", "to": "2024-06-01T00:00:00"}, "at most 8 weeks"),
        ({"from": "2024-02-01T00:00:00Z", "to": "2024-01-01T00:00:00Z"}, "must not be before"),
        (
            {"from": "2024-01-01T00:00:00Z", "to": "2024-01-02T00:00:00Z", "agents": ["a"] * 101},
            "SearchCriteria.AgentIds",
        ),
    ],
    ids=["eight-weeks-and-a-second", "naive-months", "backwards", "101-agents"],
)
def test_a_search_connect_would_refuse(
    gateway: Gateway, emulator: Emulator, variables: dict[str, Any], message: str
) -> None:
    response = refused(gateway, emulator, post(gateway, {"query": SEARCH, "variables": variables}))

    assert code(response) == "BAD_USER_INPUT"
    assert message in response.json()["errors"][0]["message"]


def test_a_search_of_exactly_eight_weeks_runs(gateway: Gateway, emulator: Emulator) -> None:
    variables = {"from": "2024-01-01T00:00:00Z", "to": "2024-02-26T00:00:00Z"}

    result = gateway.query(SEARCH, **variables)

    assert "errors" not in result
    assert emulator.stats()["calls"] == {"SearchContacts": 1}
