"""The private names of Strawberry and graphql-core the gateway uses (gateway/api/internals.py)
are there, in the versions they were checked against; another version fails here, loudly,
until someone re-reads them against it."""

from __future__ import annotations

import importlib.metadata
import inspect

import pytest
from strawberry.schema.schema import Schema, StrawberryGraphQLCoreExecutionContext

from gateway.api import internals


@pytest.mark.parametrize(("distribution", "version"), sorted(internals.CHECKED.items()))
def test_the_installed_version_is_the_one_checked(distribution: str, version: str) -> None:
    installed = importlib.metadata.version(distribution)
    assert installed == version, (
        f"{distribution} {installed} is not the {version} gateway/api/internals.py was "
        "checked against: re-read its private names (and api/schema.py's execute, "
        "api/execution.py's overrides) against it, then move CHECKED on"
    )


def test_strawberrys_private_members_are_there() -> None:
    for name in ("_create_execution_context", "_process_errors"):
        assert callable(getattr(Schema, name)), name
    assert "self._schema = " in inspect.getsource(Schema.__init__)


@pytest.mark.parametrize("method", sorted(internals.OVERRIDDEN))
def test_the_overridden_methods_take_what_they_took(method: str) -> None:
    parameters = tuple(
        inspect.signature(getattr(StrawberryGraphQLCoreExecutionContext, method)).parameters
    )
    assert parameters == internals.OVERRIDDEN[method]


def test_the_gateway_schema_runs_through_them() -> None:
    from gateway.api.schema import create_schema

    schema = create_schema()
    assert internals.core_schema(schema).query_type is not None
    error = internals.coerce_error(ValueError("boom"))
    assert error.message == "boom"
