"""SIGTERM drains: a real `connect-gateway serve` process stops taking connections, answers
the request it is serving, and exits cleanly (as ECS or Kubernetes stop a task)."""

from __future__ import annotations

import signal
import threading
import time

import httpx

from gateway.emulator import DEMO_INSTANCE_ID
from tests import web
from tests.chains import demo_contacts
from tests.support import Emulator, gateway_process

CONTACT = "query($id: ID!) { contact(contactId: $id) { id } }"


def test_sigterm_lets_the_request_in_flight_finish(emulator: Emulator) -> None:
    contact_id = next(iter(demo_contacts(emulator.contacts())))
    emulator.fault(operation="DescribeContact", delayMs=1500, times=1)
    settings = {
        "connect_endpoint_url": emulator.url,
        "instance_id": DEMO_INSTANCE_ID,
        "quota_rate": "off",
        "shutdown_seconds": "10",
    }
    answers: list[httpx.Response] = []
    with gateway_process(**settings) as gateway:
        body = {"query": CONTACT, "variables": {"id": contact_id}}
        asking = threading.Thread(
            target=lambda: answers.append(web.post(f"{gateway.url}/graphql", json=body, timeout=30))
        )
        asking.start()
        while emulator.calls() == 0:  # the request is in flight, waiting on Connect
            time.sleep(0.01)
        process = gateway.process
        assert process is not None
        process.proc.send_signal(signal.SIGTERM)
        asking.join(30)
        # uvicorn ends by raising the signal it caught again, once drained: the exit
        # status says SIGTERM, as for any program stopped by it.
        assert process.proc.wait(30) in (0, -signal.SIGTERM)
    [answer] = answers
    assert answer.status_code == 200
    assert answer.json()["data"]["contact"]["id"] == contact_id


def test_the_drain_is_bounded_by_gateway_shutdown_seconds(emulator: Emulator) -> None:
    contact_id = list(demo_contacts(emulator.contacts()))[1]
    emulator.fault(operation="DescribeContact", delayMs=6_000, times=1)
    settings = {
        "connect_endpoint_url": emulator.url,
        "instance_id": DEMO_INSTANCE_ID,
        "quota_rate": "off",
        "shutdown_seconds": "1",
    }
    with gateway_process(**settings) as gateway:
        body = {"query": CONTACT, "variables": {"id": contact_id}}
        asking = threading.Thread(
            target=lambda: web.post(f"{gateway.url}/graphql", json=body, timeout=30),
            daemon=True,
        )
        calls = emulator.calls()
        asking.start()
        while emulator.calls() == calls:
            time.sleep(0.01)
        assert gateway.process is not None
        stopped = time.monotonic()
        gateway.process.proc.send_signal(signal.SIGTERM)
        gateway.process.proc.wait(30)
        assert time.monotonic() - stopped < 4.5, "not the 6 s the call takes"
