"""The one pass over a document: depth, aliases and cost, each fragment evaluated once."""

from __future__ import annotations

import math
from pathlib import Path

import botocore.session
import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, get_named_type, parse

from gateway.api.cost import COSTS, cost_of
from gateway.api.limits import CAP, Limits, check, measure
from gateway.api.schema import create_schema
from gateway.data.kinds import REFERENCE_GROUPS

# The federated schema: every field of the plain one, and `_entities` (GATEWAY_FEDERATION).
SCHEMA = create_schema(federation=True)._schema
OPERATIONS = sorted(Path(__file__).parents[2].joinpath("schema", "operations").glob("*.graphql"))
ENTITIES = {
    "Contact",
    "Agent",
    "Queue",
    "TaskTemplate",
    "ContactConnection",
    "AttributesEntry",
    "ReferenceSummary",
    "_Entity",
}


def fragment_bomb(levels: int) -> str:
    """Each fragment spreads the next twice, under two links: 2^levels contacts."""
    fragments = [
        f"fragment F{n} on Contact {{ previousContact {{ ...F{n + 1} }} "
        f"initialContact {{ ...F{n + 1} }} }}"
        for n in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Contact {{ id }}")
    return 'query Bomb { contact(contactId: "x") { ...F0 } }\n' + "\n".join(fragments)


def test_the_fragment_bomb_is_measured_once_per_fragment() -> None:
    found = measure(SCHEMA, parse(fragment_bomb(24)), None, {}, Limits(max_depth=100))

    assert found["Bomb"].depth == 25
    assert found["Bomb"].cost == 2**25 - 1  # the contact, and two links per level


def test_spreads_count_their_aliases_each_time() -> None:
    query = """
    query Q { contact(contactId: "x") { ...A ...A } }
    fragment A on Contact { one: id two: id ...B ...B }
    fragment B on Contact { three: id }
    """
    assert measure(SCHEMA, parse(query), "Q", {}, Limits())["Q"].aliases == 8


def test_a_cycle_is_guarded() -> None:
    query = """
    query Q { contact(contactId: "x") { ...A } }
    fragment A on Contact { previousContact { ...B } }
    fragment B on Contact { initialContact { ...A } }
    """
    found = measure(SCHEMA, parse(query), "Q", {}, Limits())["Q"]
    assert found.cost <= 3


def test_costs_multiply_by_list_bounds() -> None:
    query = """
    query Q($ids: [ID!]!, $first: Int!) {
      contacts(contactIds: $ids) { chain { agent { id } } }
      searchContacts(timeRange: {type: INITIATION_TIMESTAMP, startTime: "2024-01-01T00:00:00Z",
                     endTime: "2024-01-02T00:00:00Z"}, first: $first) {
        edges { node { queue { name } } }
      }
    }
    """
    found = measure(SCHEMA, parse(query), "Q", {"ids": ["a", "b", "c"], "first": 7}, Limits())
    contacts = 3 * (1 + 50 * (1 + 1))
    search = 1 + 7 * (1 + 1)
    assert found["Q"].cost == contacts + search


def test_a_cost_saturates() -> None:
    nested = "chain { " * 9 + "id" + " }" * 9
    query = "query Q($ids: [ID!]!) { contacts(contactIds: $ids) { " + nested + " } }"
    found = measure(SCHEMA, parse(query), "Q", {"ids": ["a"] * 100}, Limits())
    assert found["Q"].cost == CAP


def test_over_the_cost_limit_the_message_gives_both_numbers() -> None:
    query = "query Q($ids: [ID!]!) { contacts(contactIds: $ids) { chain { id } } }"
    [error] = check(SCHEMA, parse(query), "Q", {"ids": ["a"] * 10}, Limits(max_cost=100))
    assert "510" in error.message
    assert "100" in error.message


@pytest.mark.parametrize("path", OPERATIONS, ids=[p.stem for p in OPERATIONS])
def test_every_example_operation_is_within_the_default_limits(path: Path) -> None:
    variables = {"contactIds": ["a"] * 100, "after": "cursor"}
    assert check(SCHEMA, parse(path.read_text()), None, variables, Limits()) == []


def test_every_field_that_reaches_an_entity_has_a_cost() -> None:
    missing = []
    for type_ in SCHEMA.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            reaches = get_named_type(field.type).name in ENTITIES
            if reaches and cost_of(type_.name, name, field) is None:
                missing.append(f"{type_.name}.{name}")
    assert missing == []


def test_every_cost_names_a_field_of_the_schema() -> None:
    for key in COSTS:
        type_name, field = key.split(".")
        type_ = SCHEMA.type_map[type_name]
        assert isinstance(type_, GraphQLObjectType)
        assert field in type_.fields, key


def test_list_fields_with_a_cost_declare_their_bound() -> None:
    for key, cost in COSTS.items():
        type_name, field = key.split(".")
        type_ = SCHEMA.type_map[type_name]
        assert isinstance(type_, GraphQLObjectType)
        field_type = type_.fields[field].type
        inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
        if isinstance(inner, GraphQLList) and get_named_type(inner).name == "Contact":
            assert cost.items != 1 or cost.each == 0, key


def test_reference_groups_match_connect() -> None:
    model = botocore.session.get_session().get_service_model("connect")
    shape = model.shape_for("ReferenceTypes")
    assert math.ceil(len(shape.member.enum) / shape.metadata["max"]) == REFERENCE_GROUPS
