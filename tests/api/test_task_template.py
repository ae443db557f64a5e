"""Contact.taskTemplate (the worked example of docs/architecture.md: one kind, its
resolver, its emulator handler): a task's template through a real gateway and the
emulator, one GetTaskTemplate for every ask, none once cached; null without one."""

from __future__ import annotations

from gateway.emulator.world.dataset import build_dataset
from tests.support import Emulator, Gateway

TEMPLATE = """query($id: ID!) { contact(contactId: $id) {
  id taskTemplateInfo { arn name }
  taskTemplate { id arn name status fields { id { name } type } constraints {
    requiredFields { id { name } } } }
} }"""


def _tasks() -> tuple[str, str]:
    """A task made from a template, and one made without."""
    with_template = without = None
    for _, record in build_dataset().contacts():
        if record["Channel"] == "TASK":
            if record.get("TaskTemplateInfo"):
                with_template = with_template or record["Id"]
            else:
                without = without or record["Id"]
    assert with_template
    assert without
    return with_template, without


def test_a_tasks_template_costs_one_call_then_none(gateway: Gateway, emulator: Emulator) -> None:
    task, _ = _tasks()
    first = gateway.query(TEMPLATE, id=task)
    second = gateway.query(TEMPLATE, id=task)

    assert "errors" not in first, first
    contact = first["data"]["contact"]
    template = contact["taskTemplate"]
    assert template["arn"] == contact["taskTemplateInfo"]["arn"]
    assert template["name"] == contact["taskTemplateInfo"]["name"]
    assert template["status"] == "ACTIVE"
    assert {"id": {"name": "Name"}, "type": "NAME"} in template["fields"]
    assert template["constraints"]["requiredFields"] == [{"id": {"name": "Name"}}]
    assert second == first
    assert emulator.calls("GetTaskTemplate") == 1


def test_a_contact_without_a_template_has_none_and_costs_nothing(
    gateway: Gateway, emulator: Emulator
) -> None:
    _, task = _tasks()
    answer = gateway.query(TEMPLATE, id=task)

    assert answer["data"]["contact"]["taskTemplate"] is None
    assert "errors" not in answer
    assert emulator.calls("GetTaskTemplate") == 0
