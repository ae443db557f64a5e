"""The demo dataset, without HTTP: deterministic, valid against the model, and covering
the shapes of Connect data that the gateway and its tests rely on."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from gateway.emulator import DEMO_ACCOUNT_ID, DEMO_INSTANCE_ID, DEMO_REGION, SECOND_INSTANCE_ID
from gateway.emulator.protocol.model import connect_model
from gateway.emulator.protocol.validation import Rules, problems
from gateway.emulator.world.dataset import NOW, Dataset, build_dataset

Record = dict[str, Any]


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return build_dataset()


@pytest.fixture(scope="module")
def demo(dataset: Dataset) -> dict[str, Record]:
    return dict(dataset.instances[DEMO_INSTANCE_ID].contacts)


def chain_of(record: Record, contacts: dict[str, Record]) -> list[Record]:
    chain = [record]
    while chain[0].get("PreviousContactId") in contacts:
        chain.insert(0, contacts[chain[0]["PreviousContactId"]])
    return chain


def test_same_seed_same_data_other_seed_other_data(dataset: Dataset) -> None:
    assert build_dataset() == dataset
    other = build_dataset(seed=7)
    assert set(other.instances[DEMO_INSTANCE_ID].contacts) != set(
        dataset.instances[DEMO_INSTANCE_ID].contacts
    )


def test_sizes(dataset: Dataset) -> None:
    assert len(dataset.instances[DEMO_INSTANCE_ID].contacts) >= 200
    assert 8 <= len(dataset.instances[SECOND_INSTANCE_ID].contacts) <= 15
    demo = dataset.instances[DEMO_INSTANCE_ID].directory
    assert (len(demo.agents), len(demo.queues)) == (15, 8)


def test_every_record_fits_the_contact_shape(dataset: Dataset) -> None:
    shape = connect_model().shape_for("Contact")
    strict = Rules(enums=True, patterns=True)
    found = [
        (record["Id"], problem)
        for _, record in dataset.contacts()
        for problem in problems(shape, record, "Contact", strict)
    ]
    assert found == []


def test_every_agent_and_queue_fits_its_shape(dataset: Dataset) -> None:
    user, queue = connect_model().shape_for("User"), connect_model().shape_for("Queue")
    for instance in dataset.instances.values():
        for agent in instance.directory.agents:
            assert problems(user, agent.user, "User", Rules(enums=True)) == []
        for item in instance.directory.queues:
            assert problems(queue, item.record, "Queue", Rules(enums=True)) == []


def test_every_contact_member_is_filled_somewhere(dataset: Dataset) -> None:
    shape = connect_model().shape_for("Contact")
    filled = {member for _, record in dataset.contacts() for member in record}
    assert set(shape.members) - filled == set()
    agent_info = {member for _, r in dataset.contacts() for member in r.get("AgentInfo", {})}
    assert set(connect_model().shape_for("AgentInfo").members) - agent_info == set()


def test_every_channel_and_initiation_method(demo: dict[str, Record]) -> None:
    channels = Counter(record["Channel"] for record in demo.values())
    methods = Counter(record["InitiationMethod"] for record in demo.values())
    assert set(channels) == {"VOICE", "CHAT", "TASK", "EMAIL"}
    assert set(methods) == set(connect_model().shape_for("ContactInitiationMethod").enum)


def test_ids_and_arns(dataset: Dataset) -> None:
    for instance, record in dataset.contacts():
        prefix = f"arn:aws:connect:{DEMO_REGION}:{DEMO_ACCOUNT_ID}:instance/{instance.id}"
        assert record["Arn"] == f"{prefix}/contact/{record['Id']}"
        assert len(record["Id"]) == 36
        assert record["Id"].count("-") == 4


def test_agents_and_queues_exist_in_the_contacts_instance(dataset: Dataset) -> None:
    for instance, record in dataset.contacts():
        if "AgentInfo" in record:
            agent = instance.agent(record["AgentInfo"]["Id"])
            assert agent is not None
            groups = record["AgentInfo"]["HierarchyGroups"]
            levels = [f"Level{n}" for n in range(1, len(groups) + 1)]
            assert [groups[level]["Arn"] for level in levels] == list(agent.hierarchy_arns)
            assert agent.hierarchy_arns[-1].endswith(agent.user["HierarchyGroupId"])
        if "QueueInfo" in record:
            assert instance.queue(record["QueueInfo"]["Id"]) is not None


def test_chains_link_previous_and_initial_consistently(demo: dict[str, Record]) -> None:
    for record in demo.values():
        chain = chain_of(record, demo)
        head = chain[0]
        if len(chain) == 1:
            continue
        assert "PreviousContactId" not in head
        assert "InitialContactId" not in head
        for contact in chain[1:]:
            assert contact["InitialContactId"] == head["Id"]
        for before, after in itertools.pairwise(chain):
            # A consult starts while the contact it continues goes on: the tree branches.
            if after.get("Description") == "Agent-to-agent consult":
                assert before["InitiationTimestamp"] < after["InitiationTimestamp"]
                assert after["DisconnectTimestamp"] <= before["DisconnectTimestamp"]
            else:
                assert before["DisconnectTimestamp"] <= after["InitiationTimestamp"]


def test_transfer_chains_five_deep(demo: dict[str, Record]) -> None:
    depths = Counter(len(chain_of(record, demo)) for record in demo.values())
    assert max(depths) == 5
    five = [record for record in demo.values() if len(chain_of(record, demo)) == 5]
    assert len(five) >= 2
    for record in five:
        methods = [contact["InitiationMethod"] for contact in chain_of(record, demo)]
        assert methods[0] == "INBOUND"
        assert set(methods[1:]) <= {"TRANSFER", "QUEUE_TRANSFER"}


def test_transfers_name_the_next_contact(demo: dict[str, Record]) -> None:
    for record in demo.values():
        for entry in record.get("NextContacts", []):
            data = entry["NextContactMetadata"]["QuickConnectContactData"]
            assert demo[data["ContactId"]]["PreviousContactId"] == record["Id"]


def test_queue_transfers_leave_a_queue_without_an_agent(demo: dict[str, Record]) -> None:
    transfers = [r for r in demo.values() if r["InitiationMethod"] == "QUEUE_TRANSFER"]
    assert transfers
    for record in transfers:
        before = demo[record["PreviousContactId"]]
        assert "QueueInfo" in before
        assert "AgentInfo" not in before


@pytest.mark.parametrize("method", ["CALLBACK", "MONITOR", "EXTERNAL_OUTBOUND", "FLOW"])
def test_related_to_a_call_or_chat(demo: dict[str, Record], method: str) -> None:
    related = [r for r in demo.values() if r["InitiationMethod"] == method]
    assert related
    for record in related:
        assert demo[record["RelatedContactId"]]["Channel"] in ("VOICE", "CHAT")


def test_tasks_related_to_calls_and_chats(demo: dict[str, Record]) -> None:
    tasks = [r for r in demo.values() if r["Channel"] == "TASK" and "RelatedContactId" in r]
    targets = {
        demo[t["RelatedContactId"]]["Channel"] for t in tasks if t["RelatedContactId"] in demo
    }
    assert targets == {"VOICE", "CHAT"}
    assert all("Name" in task and "Description" in task for task in tasks)


def test_scheduled_tasks_are_waiting(demo: dict[str, Record]) -> None:
    scheduled = [r for r in demo.values() if "ScheduledTimestamp" in r]
    assert scheduled
    for task in scheduled:
        assert task["Channel"] == "TASK"
        assert task["ScheduledTimestamp"] > NOW
        assert "DisconnectTimestamp" not in task


def test_email_threads(demo: dict[str, Record]) -> None:
    replies = [r for r in demo.values() if r["InitiationMethod"] == "AGENT_REPLY"]
    assert replies
    threads = Counter(
        r["ContactAssociationId"]
        for r in demo.values()
        if r["Channel"] == "EMAIL" and "ContactAssociationId" in r
    )
    assert max(threads.values()) >= 4
    for reply in replies:
        thread = chain_of(reply, demo)
        # A customer's email starts a thread, or an agent's (a summary after a call).
        assert thread[0]["InitiationMethod"] in ("INBOUND", "OUTBOUND")
        assert {contact["ContactAssociationId"] for contact in thread} == {thread[0]["Id"]}
        assert all(contact["Channel"] == "EMAIL" for contact in thread)


def test_disconnect_flows_continue_the_contact(demo: dict[str, Record]) -> None:
    follow_ups = [r for r in demo.values() if r["InitiationMethod"] == "DISCONNECT"]
    assert {record["Channel"] for record in follow_ups} >= {"CHAT", "TASK"}
    for record in follow_ups:
        assert (
            demo[record["PreviousContactId"]]["DisconnectTimestamp"]
            <= record["InitiationTimestamp"]
        )


def test_ended_and_active_contacts(demo: dict[str, Record]) -> None:
    ended = [r for r in demo.values() if "DisconnectTimestamp" in r]
    active = [r for r in demo.values() if "DisconnectTimestamp" not in r]
    assert len(active) >= 5
    assert all("DisconnectReason" in record for record in ended)
    assert not any("DisconnectReason" in record for record in active)
    for record in demo.values():
        assert record["InitiationTimestamp"] <= record["LastUpdateTimestamp"] <= NOW
        assert all(_aware(value) for value in _timestamps(record))


def test_loose_ends_point_at_purged_contacts(demo: dict[str, Record]) -> None:
    purged_previous = [
        r for r in demo.values() if "PreviousContactId" in r and r["PreviousContactId"] not in demo
    ]
    purged_related = [
        r for r in demo.values() if "RelatedContactId" in r and r["RelatedContactId"] not in demo
    ]
    assert len(purged_previous) == 1
    assert purged_previous[0]["InitiationMethod"] == "TRANSFER"
    assert len(purged_related) == 1


def test_the_second_instance_is_separate(dataset: Dataset) -> None:
    demo = dataset.instances[DEMO_INSTANCE_ID]
    second = dataset.instances[SECOND_INSTANCE_ID]
    assert not set(demo.contacts) & set(second.contacts)
    assert dataset.instance(second.arn) is second
    assert dataset.instance("00000000-0000-4000-8000-000000000000") is None


def _timestamps(value: Any) -> list[datetime]:
    if isinstance(value, datetime):
        return [value]
    if isinstance(value, dict):
        return [found for item in value.values() for found in _timestamps(item)]
    if isinstance(value, list):
        return [found for item in value for found in _timestamps(item)]
    return []


def _aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.microsecond % 1000 == 0


def test_transferred_tasks_keep_their_related_call(demo: dict[str, Record]) -> None:
    tasks = [
        r for r in demo.values() if r["Channel"] == "TASK" and r["InitiationMethod"] == "TRANSFER"
    ]
    assert tasks
    links = ("PreviousContactId", "InitialContactId", "RelatedContactId")
    three = [
        t
        for t in tasks
        if all(t[link] in demo for link in links) and len({t[link] for link in links}) == 3
    ]
    assert three
    for task in three:
        assert demo[task["RelatedContactId"]]["Channel"] == "VOICE"
        assert demo[task["InitialContactId"]]["RelatedContactId"] == task["RelatedContactId"]


def test_built_at_another_now_the_same_data_shifted(dataset: Dataset) -> None:
    """On the wall clock the emulator builds the data at its start-up: the same contacts,
    links and states, every timestamp moved by the same amount."""
    shift = timedelta(days=33, hours=5, milliseconds=217)
    later = build_dataset(now=NOW + shift)
    for instance_id, instance in dataset.instances.items():
        moved = later.instances[instance_id].contacts
        assert moved.keys() == instance.contacts.keys()
        for contact_id, record in instance.contacts.items():
            other = moved[contact_id]
            assert _timestamps(other) == [moment + shift for moment in _timestamps(record)]
            assert _untimed(other) == _untimed(record), contact_id
        assert later.instances[instance_id].attributes == instance.attributes


def _untimed(value: Any) -> Any:
    """`value` without its timestamps, nor the dates in recordings' S3 keys."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, dict):
        return {key: _untimed(item) for key, item in value.items() if not key.endswith("Location")}
    if isinstance(value, list):
        return [_untimed(item) for item in value]
    return value
