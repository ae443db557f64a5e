"""/metrics with several worker processes: every scrape, whichever worker answers it,
counts the requests of all of them (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests import web
from tests.support import Process


def _count(text: str, operation: str) -> float:
    match = re.search(
        rf'^gateway_graphql_requests_total\{{operation="{operation}"\}} ([\d.e+]+)$',
        text,
        re.MULTILINE,
    )
    return float(match.group(1)) if match else 0.0


@pytest.mark.long
def test_metrics_sum_every_worker() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "PROMETHEUS_"))}
    process = Process("serve", "--port", "0", "--workers", "2", env=env)
    try:
        match, _ = process.wait_for(r"Uvicorn running on (http://[\d.]+:\d+)")
        url = match.group(1)
        for _ in range(2):
            process.wait_for(r"Application startup complete")
        for _ in range(24):
            # A connection each, so that both workers take some of them.
            response = web.post(
                f"{url}/graphql",
                json={"query": "query Probe { __typename }", "operationName": "Probe"},
                headers={"connection": "close"},
            )
            assert response.status_code == 200
        for _ in range(6):
            text = web.get(f"{url}/metrics", headers={"connection": "close"}).text
            assert _count(text, "Probe") == 24
        directory = Path(os.environ.get("TMPDIR", "/tmp"))
        before = {p.name for p in directory.glob("connect-gateway-metrics-*")}
    finally:
        process.stop()
    after = {p.name for p in directory.glob("connect-gateway-metrics-*")}
    assert len(before - after) == 1, "the workers' metrics directory is removed at exit"
