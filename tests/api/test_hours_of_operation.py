"""Queue.hoursOfOperation, the second worked example of docs/architecture.md (added after
the kinds took their own fetch, cost and personal class: a kind, a resolver, an emulator
handler, the schema): a queue's hours through a real gateway and the emulator, one
DescribeHoursOfOperation for every ask, none once cached."""

from __future__ import annotations

from graphql import GraphQLObjectType

from gateway.api.cost import cost_of
from gateway.api.internals import core_schema
from gateway.api.schema import create_schema
from gateway.data.kinds import HOURS as HOURS_KIND
from gateway.emulator.world.dataset import build_dataset
from tests.support import Emulator, Gateway

HOURS = """query($id: ID!) { contact(contactId: $id) {
  queue { name hoursOfOperation { name timeZone config { day startTime { hours minutes }
    endTime { hours } } } }
} }"""


def _queued_contact() -> str:
    return next(record["Id"] for _, record in build_dataset().contacts() if record.get("QueueInfo"))


def test_a_queues_hours_cost_one_call_then_none(gateway: Gateway, emulator: Emulator) -> None:
    contact = _queued_contact()
    first = gateway.query(HOURS, id=contact)
    second = gateway.query(HOURS, id=contact)

    assert "errors" not in first, first
    queue = first["data"]["contact"]["queue"]
    hours = queue["hoursOfOperation"]
    assert hours["name"] == f"{queue['name']} hours"
    assert hours["timeZone"] == "America/New_York"
    monday = next(slot for slot in hours["config"] if slot["day"] == "MONDAY")
    assert monday["startTime"] == {"hours": 8, "minutes": 0}
    assert monday["endTime"] == {"hours": 18}
    assert second == first
    assert emulator.calls("DescribeHoursOfOperation") == 1


def test_its_cost_is_its_kinds() -> None:
    # `metadata=loads(HOURS)` on the resolver: no row in api/cost.py.
    queue = core_schema(create_schema()).type_map["Queue"]
    assert isinstance(queue, GraphQLObjectType)
    cost = cost_of("Queue", "hoursOfOperation", queue.fields["hoursOfOperation"])
    assert cost is not None
    assert cost.calls == HOURS_KIND.calls == 1
