"""The commands as a user runs them: real processes."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from gateway.emulator import DEMO_INSTANCE_ID
from gateway.http.view import EXAMPLE_QUERY
from tests import web
from tests.emulator.receiver import receiving
from tests.support import Emulator, Process, gateway_process

SCHEMA = Path(__file__).parent.parent / "schema" / "schema.graphql"
NAME = "query($id: ID!) { contact(contactId: $id) { id name } }"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    return {**env, **extra}


@pytest.fixture
def demo() -> Iterator[tuple[str, list[str]]]:
    process = Process("serve", "--port", "0", env=_env())
    try:
        match, seen = process.wait_for(r"serving GraphQL at (http://[\d.]+:\d+)/graphql")
        yield match.group(1), seen
    finally:
        process.stop()


def test_serve_runs_the_demo_by_default(demo: tuple[str, list[str]]) -> None:
    url, lines = demo

    assert "DEMO MODE" in lines[0]
    page = web.get(f"{url}/graphql", headers={"accept": "text/html"}).text
    contact_id = re.search(r'\\"contactId\\": \\"([^\\]+)\\"', page)
    assert contact_id, "GraphiQL's example variables name a demo contact"
    result = web.post(
        f"{url}/graphql",
        json={"query": EXAMPLE_QUERY, "variables": {"contactId": contact_id.group(1)}},
    ).json()
    assert "errors" not in result
    contact = result["data"]["contact"]
    assert contact["previousContact"] is not None
    assert contact["initialContact"] is not None


def test_export_schema_prints_the_committed_sdl() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gateway", "export-schema"],
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == SCHEMA.read_text()


def test_invalid_configuration_is_a_clear_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "serve"],
        env=_env(GATEWAY_CACHE_URL="memcached://nope", GATEWAY_CORS_ORIGINS="*"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "GATEWAY_CACHE_URL: Value error, must be memory:// or redis://" in result.stderr
    assert "GATEWAY_CORS_ORIGINS" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_the_event_loop_is_the_one_asked_for(loop: str, emulator: Emulator) -> None:
    # Not the demo: its emulator runs in the process too, on a loop of its own choosing.
    settings = {"connect_endpoint_url": emulator.url, "instance_id": DEMO_INSTANCE_ID}
    with gateway_process(**settings, event_loop=loop) as gateway:
        answer = gateway.http.post("/graphql", json={"query": "{ __typename }"})
        assert answer.json() == {"data": {"__typename": "Query"}}
        assert gateway.process is not None
        maps = Path(f"/proc/{gateway.process.proc.pid}/maps").read_text()
        assert ("uvloop/loop." in maps) == (loop == "uvloop"), "uvloop's extension loaded"


def test_an_unknown_event_loop_is_a_clear_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "serve"],
        env=_env(GATEWAY_EVENT_LOOP="trio"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "GATEWAY_EVENT_LOOP" in result.stderr
    assert "Traceback" not in result.stderr


async def _ask_all(url: str, ids: list[str]) -> list[dict[str, object]]:
    query = "query($id: ID!) { contact(contactId: $id) { id } }"
    async with web.AsyncClient(base_url=url, timeout=60) as client:
        answers = await asyncio.gather(
            *(client.post("/graphql", json={"query": query, "variables": {"id": i}}) for i in ids)
        )
    return [answer.json() for answer in answers]


@pytest.mark.long(10)
def test_demo_workers_serve_the_demo_with_its_settings() -> None:
    process = Process("serve", "--port", "0", "--workers", "2", env=_env())
    try:
        match, _ = process.wait_for(r"running at (http://[\d.]+:\d+)")
        emulator = Emulator(match.group(1))
        bound, _ = process.wait_for(r"Uvicorn running on (http://[\d.]+:\d+)")
        url = bound.group(1)  # the port the OS gave
        deadline = time.monotonic() + 60
        while not _ready(url):
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        page = web.get(f"{url}/graphql", headers={"accept": "text/html"}).text
        assert re.search(r'\\"contactId\\": \\"[^<\\]+\\"', page), "the demo's example contact"
        ids = [c["id"] for c in emulator.contacts()][:90]

        answers = asyncio.run(_ask_all(url, ids))

        # The demo emulator has no quota, so neither has the guard: a burst beyond
        # Connect's quotas is answered at once, every contact of it.
        assert [a for a in answers if "errors" in a] == []
        assert [a["data"]["contact"]["id"] for a in answers] == ids  # type: ignore[index]
        emulator.http.close()
    finally:
        process.stop()


def _ready(url: str) -> bool:
    try:
        return web.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_emulator_posts_contact_events_where_asked() -> None:
    with receiving() as receiver:
        args = ["--port", "0", "--time-scale", "1000", "--events-url", receiver.url]
        args += ["--region", "eu-west-2", "--account-id", "222222222222"]
        process = Process("emulator", *args, "--events-api-key", "k", env=_env())
        try:
            # Once bound (startup complete comes before), on the port the OS gave.
            match, _ = process.wait_for(r"Amazon Connect emulator at (http://[\d.]+:\d+)")
            url = match.group(1)
            created = web.post(f"{url}/_emulator/contacts", json={"channel": "TASK"})
            assert created.status_code == 201
            mine = []
            while len(mine) < 2:  # the clock runs: the demo's active contacts move on too
                key, event = receiver.take_with_keys(1)[0]
                assert key == "k"
                assert (event["region"], event["account"]) == ("eu-west-2", "222222222222")
                if event["detail"]["contactId"] == created.json()["id"]:
                    mine.append(event["detail"]["eventType"])
            assert mine == ["INITIATED", "QUEUED"]
        finally:
            process.stop()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--events-drop", "2"], "drop must be 0 to 1"),
        (["--account-id", "12"], "account_id must be 12 digits"),
    ],
)
def test_emulator_refuses_nonsense_knobs(args: list[str], says: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "emulator", *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert says in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.long
def test_the_demo_gateway_hears_its_emulators_contact_events() -> None:
    """Demo mode wires the emulator's contact events to the gateway's own /events: a
    contact renamed in the emulator (UpdateContact, through boto3) is renamed in the
    gateway's answers within seconds, though an ended contact is cached for hours."""
    process = Process("serve", "--port", "0", env=_env())
    try:
        match, seen = process.wait_for(r"serving GraphQL at (http://[\d.]+:\d+)/graphql")
        url = match.group(1)
        emulator_url = re.search(r"running at (http://[\d.]+:\d+)", "\n".join(seen))
        assert emulator_url, seen
        emulator = Emulator(emulator_url.group(1))
        contact = next(c for c in emulator.contacts() if c["disconnected"])
        query = {"query": NAME, "variables": {"id": contact["id"]}}
        before = web.post(f"{url}/graphql", json=query).json()["data"]["contact"]["name"]
        connect = boto3.client(
            "connect", endpoint_url=emulator.url, region_name="us-east-1",
            aws_access_key_id="emulator", aws_secret_access_key="emulator",
        )  # fmt: skip
        name = f"renamed-{before}"

        connect.update_contact(InstanceId=contact["instanceId"], ContactId=contact["id"], Name=name)

        deadline = time.monotonic() + 10
        while web.post(f"{url}/graphql", json=query).json()["data"]["contact"]["name"] != name:
            assert time.monotonic() < deadline, "the rename never reached the gateway"
            time.sleep(0.1)
        emulator.http.close()
    finally:
        process.stop()
