"""Fixtures for the emulator's tests: real uvicorn servers and real boto3 clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from gateway.emulator import EmulatorOptions, create_emulator_app
from gateway.http.servers import ServerThread
from tests import web

ConnectFor = Callable[[str], Any]


def connect_client(url: str) -> Any:
    """A boto3 Connect client for `url` that does not retry, so tests see every answer."""
    return boto3.client(
        "connect",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )


def error_of(call: Any, **params: Any) -> tuple[str, str, int]:
    """The error code, message and HTTP status a boto3 call fails with."""
    with pytest.raises(ClientError) as raised:
        call(**params)
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    """One default emulator for the tests that only read from it."""
    with ServerThread(create_emulator_app()) as server:
        yield server.url


@pytest.fixture(scope="session")
def connect(emulator_url: str) -> Any:
    return connect_client(emulator_url)


@pytest.fixture
def control(emulator_url: str) -> Iterator[httpx.Client]:
    """An HTTP client for the shared emulator, its counters and faults reset around the test."""
    with web.Client(base_url=emulator_url, timeout=30) as client:
        client.post("/_emulator/reset").raise_for_status()
        yield client
        client.post("/_emulator/reset").raise_for_status()


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """Starts emulators with their own options (stopped after the test): `serve(rate=2)`."""
    with ExitStack() as stack:

        def start(**options: Any) -> str:
            app = create_emulator_app(EmulatorOptions(**options))
            return stack.enter_context(ServerThread(app)).url

        yield start
