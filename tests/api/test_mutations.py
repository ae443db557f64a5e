"""Mutations through real gateways and boto3 against an emulator of this module's own
(writes change its data): the write read back in the same round trip, on another replica
the very next read, refusals before any call, a lost answer retried into the same task,
a non-idempotent write never sent twice, one failing mutation never failing the next."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis

from gateway.connect import ConnectClient
from gateway.connect.quota import Quota
from gateway.core.settings import Settings
from gateway.data.kinds import CONTACT
from gateway.data.writes import WRITES, Echoes, Writer
from gateway.emulator import DEMO_INSTANCE_ID, EmulatorOptions, create_emulator_app
from gateway.http.auth.keys import new_key
from gateway.http.servers import ServerThread
from gateway.observability.metrics import Metrics
from tests.chains import demo_contacts
from tests.conftest import REDIS_URL
from tests.emulator.receiver import Receiver, receiving
from tests.events import GraphQLWebSocket
from tests.redisproxy import redis_proxy
from tests.shared.test_races import until
from tests.stores import StoreFor, close, replica
from tests.support import Emulator, Gateway

UPDATE = """mutation($id: ID!, $name: String, $description: String) {
  updateContact(input: {contactId: $id, name: $name, description: $description}) {
    contact { id name description }
  }
}"""
READ = """query($id: ID!) { contact(contactId: $id) {
  id name description attributes { key value } tags { key value }
} }"""
ATTRIBUTES = """mutation($id: ID!, $key: String!, $value: String!) {
  updateContactAttributes(input: {contactId: $id, attributes: [{key: $key, value: $value}]}) {
    contact { id attributes(keys: [$key]) { key value } }
  }
}"""


@pytest.fixture(scope="module")
def writable() -> Iterator[Emulator]:
    with ServerThread(create_emulator_app(EmulatorOptions())) as server:
        client = Emulator(server.url)
        yield client
        client.http.close()


@pytest.fixture
def emulator(writable: Emulator) -> Iterator[Emulator]:
    """This module's emulator (overriding the shared one), its counters reset."""
    writable.reset()
    yield writable
    writable.reset()


def connect_for(emulator: Emulator) -> ConnectClient:
    settings = Settings(instance_id=DEMO_INSTANCE_ID, auth="none", quota_rate="off",
                        connect_endpoint_url=emulator.url, connect_max_attempts=1)  # fmt: skip
    return ConnectClient.from_settings(settings, lambda _: Quota(None, 0), Metrics())


def _replicas(start: Callable[..., Gateway], url: str, namespace: str) -> tuple[Gateway, Gateway]:
    """Two replicas on one shared store."""
    settings = {"cache_url": url, "cache_namespace": namespace}
    return start(**settings), start(**settings)


def _chain_member(emulator: Emulator) -> dict[str, Any]:
    """An ended contact continuing a chain whose initial contact exists."""
    contacts = demo_contacts(emulator.contacts())
    return next(
        c for c in contacts.values() if c["disconnected"] and c["initialContactId"] in contacts
    )


@contextmanager
def _evented(start: Callable[..., Gateway]) -> Iterator[tuple[Receiver, Emulator, Gateway]]:
    """An emulator of its own sending its contact events to a receiver (the test posts
    them to the gateway), and a gateway with GATEWAY_EVENTS=on in front of it."""
    with (
        receiving() as receiver,
        ServerThread(create_emulator_app(EmulatorOptions(events_url=receiver.url))) as server,
    ):
        emulator = Emulator(server.url)
        try:
            yield receiver, emulator, start(connect_endpoint_url=emulator.url, events="on")
        finally:
            emulator.http.close()


def _ended(emulator: Emulator, channel: str | None = None) -> dict[str, Any]:
    return next(
        c
        for c in demo_contacts(emulator.contacts()).values()
        if c["disconnected"] and (channel is None or c["channel"] == channel)
    )


def test_a_write_is_read_in_the_same_round_trip(gateway: Gateway, emulator: Emulator) -> None:
    contact = _ended(emulator)["id"]
    before = gateway.query(READ.replace("name ", "name lastUpdateTimestamp "), id=contact)
    before = before["data"]["contact"]  # cached now
    emulator.reset()

    answer = gateway.query(UPDATE, id=contact, name="Refund", description="Asked twice")

    assert "errors" not in answer, answer
    written = answer["data"]["updateContact"]["contact"]
    assert written == {"id": contact, "name": "Refund", "description": "Asked twice"}
    # Merged into the cached contact: no DescribeContact.
    assert emulator.stats()["calls"] == {"UpdateContact": 1}
    again = gateway.query(READ, id=contact)["data"]["contact"]
    assert (again["name"], again["description"]) == ("Refund", "Asked twice")
    assert emulator.calls() == 0
    # Connect stamped LastUpdateTimestamp with the write's time: that one is read again.
    stamped = gateway.query("query($id: ID!) { contact(contactId: $id) { lastUpdateTimestamp } }",
                            id=contact)  # fmt: skip
    assert stamped["data"]["contact"]["lastUpdateTimestamp"] > before["lastUpdateTimestamp"]
    assert emulator.calls() == 1


@pytest.mark.redis
def test_another_replica_reads_the_write_next(
    start_gateway: Callable[..., Gateway], emulator: Emulator, redis_namespace: str, shared_url: str
) -> None:
    first, second = _replicas(start_gateway, shared_url, redis_namespace)
    contact = _ended(emulator)["id"]
    before = second.query(READ, id=contact)
    assert second.query(READ, id=contact) == before  # a response-cache hit on replica 2
    emulator.reset()

    written = first.query(ATTRIBUTES, id=contact, key="disposition", value="callback")
    assert "errors" not in written, written
    after = second.query(READ, id=contact)["data"]["contact"]

    assert {"key": "disposition", "value": "callback"} in after["attributes"]
    # Merged into the chain's cached attributes, shared by both replicas: no other call.
    assert emulator.stats()["calls"] == {"UpdateContactAttributes": 1}


def test_a_lost_answer_is_retried_into_the_same_task(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(connect_max_attempts=3)
    previous = _ended(emulator)["id"]
    emulator.fault(operation="StartTaskContact", error="InternalServiceException", after=True,
                   times=1)  # fmt: skip
    task = """mutation($id: ID!) { startTaskContact(input: {relatedContactId: $id,
      contactFlowId: "flow-1", name: "Call the customer back"}) { contact { id channel name } } }"""

    answer = gateway.query(task, id=previous)

    assert "errors" not in answer, answer
    made = answer["data"]["startTaskContact"]["contact"]
    assert made["channel"] == "TASK"
    assert made["name"] == "Call the customer back"
    tasks = [c for c in emulator.contacts() if c.get("relatedContactId") == previous]
    assert [c["id"] for c in tasks] == [made["id"]]  # exactly one
    assert emulator.calls("StartTaskContact") == 2


def test_a_write_that_is_not_idempotent_is_not_sent_twice(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(connect_max_attempts=3)
    made = gateway.query("""mutation { startTaskContact(input: {contactFlowId: "f", name: "t"})
      { contact { id } } }""")["data"]["startTaskContact"]["contact"]["id"]
    emulator.fault(operation="StopContact", error="InternalServiceException", after=True, times=1)

    answer = gateway.query(
        "mutation($id: ID!) { stopContact(input: {contactId: $id}) { contact { id } } }", id=made
    )

    assert answer["errors"][0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert emulator.calls("StopContact") == 1
    ended = gateway.query("query($id: ID!) { contact(contactId: $id) { disconnectTimestamp } }",
                          id=made)  # fmt: skip
    assert ended["data"]["contact"]["disconnectTimestamp"] is not None  # it was done


def test_one_failing_mutation_does_not_fail_the_next(gateway: Gateway, emulator: Emulator) -> None:
    voice = _ended(emulator, "VOICE")["id"]
    both = """mutation($id: ID!) {
      paused: pauseContact(input: {contactId: $id}) { contact { id } }
      routed: updateContactRoutingData(input: {contactId: $id, queuePriority: 1}) { contact { id } }
      tagged: tagContact(input: {contactId: $id, tags: [{key: "case", value: "C-9"}]}) {
        contact { id tags { key value } }
      }
    }"""

    answer = gateway.query(both, id=voice)

    codes = {e["path"][0]: e["extensions"]["code"] for e in answer["errors"]}
    assert codes == {"paused": "BAD_USER_INPUT", "routed": "CONFLICT"}
    assert answer["data"]["paused"] is None
    assert {"key": "case", "value": "C-9"} in answer["data"]["tagged"]["contact"]["tags"]


def _keyed(start: Callable[..., Gateway], path: Path, scopes: list[str]) -> tuple[Gateway, str]:
    key, entry = new_key("writer", scopes)
    path.write_text(json.dumps({"keys": [entry]}))
    return start(auth="api-key", api_keys_file=path), key


@pytest.mark.parametrize(
    ("scopes", "variables", "refusal"),
    [
        (["contacts:read", "instance:*"], {}, "contacts:write"),
        (["contacts:write", "instance:*"], {"name": "x"}, "contacts:pii"),
        (["contacts:write", "contacts:pii", "instance:other"], {"name": "x"}, "instance"),
    ],
)
def test_refusals_come_before_any_call(
    start_gateway: Callable[..., Gateway],
    emulator: Emulator,
    tmp_path: Path,
    scopes: list[str],
    variables: dict[str, str],
    refusal: str,
) -> None:
    gateway, key = _keyed(start_gateway, tmp_path / "keys.json", scopes)
    contact = _ended(emulator)["id"]
    emulator.reset()
    body = {"query": UPDATE, "variables": {"id": contact, **variables}}

    answer = gateway.http.post("/graphql", json=body, headers={"x-api-key": key}).json()

    assert answer["data"]["updateContact"] is None
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refusal in answer["errors"][0]["message"]
    assert emulator.stats()["calls"] == {}


def test_a_mutation_past_the_cost_limit_is_refused_before_any_call(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(max_cost=1)  # the write (1) and its payload's contact (1)
    contact = _ended(emulator)["id"]
    emulator.reset()

    answer = gateway.query(UPDATE, id=contact, name="x")

    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "GATEWAY_MAX_COST" in answer["errors"][0]["message"]
    assert emulator.stats()["calls"] == {}


def test_mutations_take_a_json_post_only(gateway: Gateway, emulator: Emulator) -> None:
    contact = _ended(emulator)["id"]
    emulator.reset()
    written = f'updateContact(input: {{contactId: "{contact}", name: "x"}})'
    query = f"mutation {{ {written} {{ contact {{ id }} }} }}"

    over_get = gateway.http.get("/graphql", params={"query": query, "variables": "{}"})
    form = gateway.http.post("/graphql", data={"query": query})
    bad = gateway.query(UPDATE, id=contact, name="x" * 1100)  # Connect's Name: at most 1024

    assert over_get.status_code == 405
    assert form.status_code == 415
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert emulator.stats()["calls"] == {}


@pytest.mark.redis
async def test_a_read_in_flight_across_a_write_never_stores_its_older_value(
    emulator: Emulator, store_for: StoreFor, redis_namespace: str
) -> None:
    contact = _ended(emulator)
    instance, contact_id = contact["instanceId"], contact["id"]
    admin = redis.Redis.from_url(REDIS_URL)
    # A DescribeContact answered as before the write (Connect read it first), slowly.
    emulator.fault(operation="DescribeContact", delayMs=300, times=1,
                   patch={"Contact": {"Name": "Before"}})  # fmt: skip
    async with redis_proxy() as proxy:
        slow = await replica(store_for, proxy.url, redis_namespace, redis_timeout=10)
        other = await replica(store_for, REDIS_URL, redis_namespace)
        writer = Writer(connect_for(emulator), other[1], other[2], Echoes(other[0]))
        try:
            reading = asyncio.ensure_future(slow[1].get(CONTACT, instance, contact_id))
            lease = f"{redis_namespace}:lease:{{contact:v2:{instance}:{contact_id}}}"
            await until(lambda: bool(admin.exists(lease)))  # the read is out
            proxy.pause()  # its store lands after the write
            params = {"ContactId": contact_id, "Name": "After"}
            await writer.write(WRITES["UpdateContact"], instance, [contact_id], params)
            proxy.resume()
            await reading

            raw = admin.get(f"{redis_namespace}:{{contact:v2:{instance}:{contact_id}}}")
            assert isinstance(raw, bytes)
            entry = json.loads(raw)
            assert entry["overtaken"] is True, "the older value is not fresh"
            assert entry["ttl"] == 0
            read = await other[1].get(CONTACT, instance, contact_id)
            assert read.value["Name"] == "After"
        finally:
            await close(slow, other)
    admin.close()


def test_connects_event_for_a_merged_write_costs_no_read(
    start_gateway: Callable[..., Gateway],
) -> None:
    with _evented(start_gateway) as (receiver, emulator, gateway):
        contact = _ended(emulator)["id"]
        gateway.query(READ, id=contact)  # cached
        emulator.reset()
        answer = gateway.query(UPDATE, id=contact, name="Refund", description="Asked twice")
        assert "errors" not in answer, answer
        [echo] = receiver.take(1)  # Connect's CONTACT_DATA_UPDATED for it
        assert echo["detail"]["updatedProperties"] == ["Name", "Description"]

        gateway.http.post("/events", json=echo).raise_for_status()
        again = gateway.query(READ, id=contact)["data"]["contact"]
        assert again["name"] == "Refund"
        assert emulator.stats()["calls"] == {"UpdateContact": 1}  # the echo dropped nothing

        gateway.http.post("/events", json=echo).raise_for_status()  # not ours: another write
        gateway.query(READ, id=contact)
        assert emulator.calls() == 1  # read again


@pytest.mark.redis
async def test_a_subscriber_on_another_replica_is_pushed_the_write(
    start_gateway: Callable[..., Gateway], emulator: Emulator, redis_namespace: str, shared_url: str
) -> None:
    first, second = _replicas(start_gateway, shared_url, redis_namespace)
    contact = _ended(emulator)["id"]
    updated = "subscription($id: ID!) { contactUpdated(contactId: $id) { id name } }"
    async with GraphQLWebSocket.connect(second.url, {}) as socket:
        assert (await socket.receive())["type"] == "connection_ack"
        await socket.subscribe("1", updated, id=contact)
        assert (await socket.receive())["type"] == "next"  # the contact as it is

        written = await asyncio.to_thread(first.query, UPDATE, id=contact, name="Pushed")
        assert "errors" not in written, written
        pushed = await asyncio.wait_for(socket.receive(), 10)

    assert pushed["payload"]["data"]["contactUpdated"] == {"id": contact, "name": "Pushed"}


EVALUATED = """query($id: ID!) { contact(contactId: $id) { evaluations { id formId
  form { sections { questions { refId questionType options { refId text score } } } } } } }"""
START = """mutation($id: ID!, $form: ID!) { startContactEvaluation(input: {contactId: $id,
  evaluationFormId: $form}) { evaluation { id status } } }"""
SUBMIT = """mutation($id: ID!, $evaluation: ID!, $ref: String!, $option: String!) {
  saved: updateContactEvaluation(input: {evaluationId: $evaluation, contactId: $id,
    notes: [{refId: $ref, value: "Clear next steps"}]}) { evaluation { id status } }
  submitted: submitContactEvaluation(input: {evaluationId: $evaluation, contactId: $id,
    answers: [{refId: $ref, value: {stringValue: $option}}]}) {
    evaluation { id status score { percentage } answers { questionRefId option } }
  }
}"""


def test_a_quality_tool_starts_saves_and_submits_an_evaluation(
    start_gateway: Callable[..., Gateway], emulator: Emulator
) -> None:
    gateway = start_gateway(connect_max_attempts=3)
    contact = next(
        c["id"]
        for c in demo_contacts(emulator.contacts()).values()
        if gateway.query(EVALUATED, id=c["id"])["data"]["contact"]["evaluations"]
    )
    evaluations = gateway.query(EVALUATED, id=contact)["data"]["contact"]["evaluations"]
    form = evaluations[0]["formId"]
    question = next(
        q
        for section in evaluations[0]["form"]["sections"]
        for q in section["questions"]
        if q["questionType"] == "SINGLESELECT"
    )
    top = max(question["options"], key=lambda option: option["score"])
    best = top["refId"]
    emulator.fault(operation="StartContactEvaluation", error="InternalServiceException",
                   after=True, times=1)  # fmt: skip

    started = gateway.query(START, id=contact, form=form)

    assert "errors" not in started, started
    draft = started["data"]["startContactEvaluation"]["evaluation"]
    assert draft["status"] == "IN_PROGRESS"  # a draft, as a contact's evaluations say it
    assert emulator.calls("StartContactEvaluation") == 2  # the lost answer, then the same one
    listed = gateway.query(EVALUATED, id=contact)["data"]["contact"]["evaluations"]
    assert len(listed) == len(evaluations) + 1  # exactly one more

    done = gateway.query(
        SUBMIT, id=contact, evaluation=draft["id"], ref=question["refId"], option=best
    )

    assert "errors" not in done, done
    assert done["data"]["saved"]["evaluation"]["status"] == "IN_PROGRESS"
    submitted = done["data"]["submitted"]["evaluation"]
    assert submitted["status"] == "COMPLETE"
    assert submitted["answers"] == [{"questionRefId": question["refId"], "option": top["text"]}]
    assert submitted["score"]["percentage"] > 0
    again = gateway.query(SUBMIT, id=contact, evaluation=draft["id"], ref=question["refId"],
                          option=best)  # fmt: skip
    codes = sorted(error["extensions"]["code"] for error in again["errors"])
    assert codes == ["CONFLICT", "CONFLICT"]  # submitted: neither saved nor submitted again


def test_an_evaluation_write_needs_evaluations_write(
    start_gateway: Callable[..., Gateway], emulator: Emulator, tmp_path: Path
) -> None:
    gateway, key = _keyed(start_gateway, tmp_path / "keys.json", ["contacts:write", "instance:*"])
    contact = _ended(emulator)["id"]
    emulator.reset()
    body = {"query": START, "variables": {"id": contact, "form": "f"}}

    answer = gateway.http.post("/graphql", json=body, headers={"x-api-key": key}).json()

    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "evaluations:write" in answer["errors"][0]["message"]
    assert emulator.stats()["calls"] == {}


@pytest.mark.redis
def test_another_replicas_chain_shows_the_write(
    start_gateway: Callable[..., Gateway], emulator: Emulator, redis_namespace: str, shared_url: str
) -> None:
    first, second = _replicas(start_gateway, shared_url, redis_namespace)
    member = _chain_member(emulator)
    chain = "query($id: ID!) { contact(contactId: $id) { chain { id name } } }"
    before = second.query(chain, id=member["id"])["data"]["contact"]["chain"]
    emulator.reset()

    written = first.query(UPDATE, id=member["initialContactId"], name="Chain start")
    after = second.query(chain, id=member["id"])["data"]["contact"]["chain"]

    assert "errors" not in written, written
    names = {link["id"]: link["name"] for link in after}
    assert names[member["initialContactId"]] == "Chain start"
    assert [link["id"] for link in after] == [link["id"] for link in before]
    assert emulator.stats()["calls"] == {"UpdateContact": 1}  # merged: no read anywhere


@pytest.mark.redis
def test_another_replicas_search_page_shows_the_write(
    start_gateway: Callable[..., Gateway], emulator: Emulator, redis_namespace: str, shared_url: str
) -> None:
    first, second = _replicas(start_gateway, shared_url, redis_namespace)
    times = sorted(c["initiationTimestamp"] for c in demo_contacts(emulator.contacts()).values())
    search = """query($from: DateTime!, $to: DateTime!) { searchContacts(timeRange:
      {type: INITIATION_TIMESTAMP, startTime: $from, endTime: $to}, first: 5,
      sort: {fieldName: INITIATION_TIMESTAMP, order: DESCENDING}) {
        edges { node { id name } } } }"""
    window = {"from": times[len(times) // 2], "to": times[-1]}
    page = second.query(search, **window)["data"]["searchContacts"]["edges"]
    written = page[2]["node"]["id"]
    first.query(READ, id=written)  # the desk shows it: cached
    emulator.reset()

    answer = first.query(UPDATE, id=written, name="Renamed")
    again = second.query(search, **window)["data"]["searchContacts"]["edges"]

    assert "errors" not in answer, answer
    names = {edge["node"]["id"]: edge["node"]["name"] for edge in again}
    assert names[written] == "Renamed"
    others = {
        edge["node"]["id"]: edge["node"]["name"] for edge in page if edge["node"]["id"] != written
    }
    assert {k: names[k] for k in others} == others
    # The page, shared; the contact, merged: nothing read.
    assert emulator.stats()["calls"] == {"UpdateContact": 1}


@pytest.mark.redis
def test_another_replicas_tree_shows_a_new_task(
    start_gateway: Callable[..., Gateway], emulator: Emulator, redis_namespace: str, shared_url: str
) -> None:
    first, second = _replicas(start_gateway, shared_url, redis_namespace)
    member = _chain_member(emulator)
    tree = "query($id: ID!) { contact(contactId: $id) { associatedContacts { id } } }"
    before = second.query(tree, id=member["id"])["data"]["contact"]["associatedContacts"]
    task = """mutation($id: ID!) { startTaskContact(input: {previousContactId: $id,
      contactFlowId: "f", name: "Follow up"}) { contact { id } } }"""

    made = first.query(task, id=member["id"])["data"]["startTaskContact"]["contact"]["id"]
    after = second.query(tree, id=member["id"])["data"]["contact"]["associatedContacts"]

    assert {c["id"] for c in after} == {c["id"] for c in before} | {made}


def test_connects_events_for_a_chains_attributes_cost_no_read(
    start_gateway: Callable[..., Gateway],
) -> None:
    with _evented(start_gateway) as (receiver, emulator, gateway):
        contacts = demo_contacts(emulator.contacts())
        member = _chain_member(emulator)
        initial = member["initialContactId"]
        chain = [c for c in contacts.values() if initial in (c["id"], c["initialContactId"])]
        journey = "query($id: ID!) { contact(contactId: $id) { associatedContacts { id } } }"
        gateway.query(journey, id=member["id"])  # the chain's tree, cached
        gateway.query(READ, id=member["id"])
        emulator.reset()

        answer = gateway.query(ATTRIBUTES, id=member["id"], key="disposition", value="done")
        assert "errors" not in answer, answer
        echoes = receiver.take(len(chain))  # one for each contact of the chain
        gateway.http.post("/events", json=echoes).raise_for_status()
        for contact in chain:
            read = gateway.query(READ, id=contact["id"])["data"]["contact"]
            assert {"key": "disposition", "value": "done"} in read["attributes"]
        calls = emulator.stats()["calls"]
        assert calls.get("GetContactAttributes", 0) == 0, calls
        assert calls["UpdateContactAttributes"] == 1
