"""The schema covers botocore's Contact shape, recursively: a botocore upgrade that adds
members fails here, naming each missing field, until the types are regenerated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import botocore.session
from botocore.model import Shape
from strawberry.types.base import get_object_definition

from gateway.api.members import registered
from gateway.api.schema import create_schema

ROOT = Path(__file__).parent.parent.parent


def _camel(member: str) -> str:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from generate_types import _camel as camel
    finally:
        sys.path.pop(0)
    return str(camel(member))


def _missing(shape: Shape, path: str, seen: set[str], missing: list[str]) -> None:
    if shape.type_name == "list":
        _missing(shape.member, f"{path}[]", seen, missing)  # type: ignore[attr-defined]
        return
    if shape.type_name == "map":
        _missing(shape.value, f"{path}{{}}", seen, missing)  # type: ignore[attr-defined]
        return
    if shape.type_name != "structure" or shape.name in seen:
        return
    seen.add(shape.name)
    try:
        definition = get_object_definition(registered(shape.name), strict=True)
    except KeyError:
        missing.append(f"{path} (no type for shape {shape.name})")
        return
    fields = {field.graphql_name or field.python_name for field in definition.fields}
    fields |= {field.python_name for field in definition.fields}
    for name, member in shape.members.items():  # type: ignore[attr-defined]
        if _camel(name) not in fields:
            missing.append(f"{path}.{name} (field {_camel(name)})")
        _missing(member, f"{path}.{name}", seen, missing)


def test_every_member_of_contact_is_a_field() -> None:
    model = botocore.session.get_session().get_service_model("connect")
    missing: list[str] = []
    for root in ("Contact", "User", "Queue", "ReferenceSummary"):
        _missing(model.shape_for(root), root, set(), missing)
    assert not missing, "fields missing for:\n" + "\n".join(missing)


def test_every_enum_value_is_in_the_schema() -> None:
    model = botocore.session.get_session().get_service_model("connect")
    types = create_schema()._schema.type_map
    for name in ("Channel", "ContactInitiationMethod", "AnsweringMachineDetectionStatus"):
        values = set(types[name].values)  # type: ignore[attr-defined]
        assert set(model.shape_for(name).enum) | {"UNRECOGNIZED"} == values


def test_the_contact_type_has_the_schema_names() -> None:
    names = set(create_schema()._schema.type_map["Contact"].fields)  # type: ignore[attr-defined]
    assert {"id", "arn", "instanceId", "channel", "initiationMethod", "agentInfo"} <= names
    assert {"initialContact", "previousContact", "relatedContact", "chain"} <= names


def test_generated_types_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_types.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
