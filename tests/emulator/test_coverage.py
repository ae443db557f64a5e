"""The demo dataset fills every member of Connect's shapes, recursively, somewhere.

A member path names a member from the top shape down: `Contact.AgentInfo.Id`, with `[]`
for a list's elements and `{}` for a map's values (`Contact.Recordings[].Location`,
`Contact.SegmentAttributes{}.ValueMap`). A structure that contains itself (routing
expressions, segment attribute values) is followed down to its first repetition only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from botocore.model import Shape

from gateway.emulator.protocol.model import connect_model
from gateway.emulator.protocol.validation import Rules, problems
from gateway.emulator.world.dataset import Dataset, build_dataset


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return build_dataset()


def member_paths(shape: Shape, path: str, seen: tuple[str, ...] = ()) -> list[str]:
    """Every member path under `shape`, `path` first."""
    found = [path]
    if shape.type_name == "structure" and shape.name in seen:
        return found
    inside = (*seen, shape.name)
    if shape.type_name == "structure":
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            found += member_paths(member, f"{path}.{name}", inside)
    elif shape.type_name == "list":
        found += member_paths(shape.member, f"{path}[]", inside)  # type: ignore[attr-defined]
    elif shape.type_name == "map":
        found += member_paths(shape.value, f"{path}{{}}", inside)  # type: ignore[attr-defined]
    return found


def filled_paths(shape: Shape, value: Any, path: str, seen: tuple[str, ...] = ()) -> set[str]:
    """The member paths `value` fills, by the same rules as `member_paths`."""
    if value is None:
        return set()
    found = {path}
    if shape.type_name == "structure" and shape.name in seen:
        return found
    inside = (*seen, shape.name)
    if shape.type_name == "structure":
        members = shape.members  # type: ignore[attr-defined]
        for name, item in value.items():
            found |= filled_paths(members[name], item, f"{path}.{name}", inside)
    elif shape.type_name == "list":
        for item in value:
            found |= filled_paths(shape.member, item, f"{path}[]", inside)  # type: ignore[attr-defined]
    elif shape.type_name == "map":
        for item in value.values():
            found |= filled_paths(shape.value, item, f"{path}{{}}", inside)  # type: ignore[attr-defined]
    return found


def unfilled(shape_name: str, values: Iterable[Any]) -> list[str]:
    shape = connect_model().shape_for(shape_name)
    filled: set[str] = set()
    for value in values:
        filled |= filled_paths(shape, value, shape_name)
    return [path for path in member_paths(shape, shape_name) if path not in filled]


def test_member_paths_follow_lists_maps_and_recursion() -> None:
    paths = member_paths(connect_model().shape_for("Contact"), "Contact")
    assert "Contact.AgentInfo.HierarchyGroups.Level3.Arn" in paths
    assert "Contact.Recordings[].Location" in paths
    assert "Contact.SegmentAttributes{}.ValueMap{}" in paths
    assert "Contact.RoutingCriteria.Steps[].Expression.AndExpression[]" in paths
    assert not any(path.startswith("Contact.SegmentAttributes{}.ValueMap{}.") for path in paths)
    assert len(paths) == len(set(paths)) > 250


def test_every_contact_member_path_is_filled_somewhere(dataset: Dataset) -> None:
    assert unfilled("Contact", (record for _, record in dataset.contacts())) == []


def test_every_user_and_queue_member_path_is_filled_somewhere(dataset: Dataset) -> None:
    instances = dataset.instances.values()
    users = [agent.user for instance in instances for agent in instance.directory.agents]
    queues = [queue.record for instance in instances for queue in instance.directory.queues]
    assert unfilled("User", users) == []
    assert unfilled("Queue", queues) == []


def test_every_reference_member_path_is_filled_somewhere(dataset: Dataset) -> None:
    references = [
        summary
        for instance in dataset.instances.values()
        for summaries in instance.references.values()
        for summary in summaries
    ]
    assert unfilled("ReferenceSummary", references) == []
    shape = connect_model().shape_for("ReferenceSummary")
    strict = Rules(enums=True, patterns=True)
    assert [p for r in references for p in problems(shape, r, "Reference", strict)] == []
