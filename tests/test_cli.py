"""The commands as a user runs them: real processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.api.view import EXAMPLE_QUERY
from tests.support import Process

SCHEMA = Path(__file__).parent.parent / "schema" / "schema.graphql"


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
    page = httpx.get(f"{url}/graphql", headers={"accept": "text/html"}).text
    contact_id = re.search(r'\\"contactId\\": \\"([^\\]+)\\"', page)
    assert contact_id, "GraphiQL's example variables name a demo contact"
    result = httpx.post(
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
