"""Routes built from botocore's model: every operation reachable, labels decoded."""

from __future__ import annotations

import re

import pytest
from botocore.model import ServiceModel

from gateway.emulator.protocol.model import connect_model
from gateway.emulator.protocol.routing import Route, Router


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(connect_model())


def sample_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "label-value", template.partition("?")[0])


def test_every_operation_is_routed_to_itself(router: Router) -> None:
    model = connect_model()
    assert len(model.operation_names) > 300
    for name in model.operation_names:
        http = model.operation_model(name).http
        match = router.match(http["method"], sample_path(http["requestUri"]))
        assert match is not None, name
        assert match.operation.name == name


def test_describe_contact_labels(router: Router) -> None:
    match = router.match("GET", "/contacts/instance-1/contact%2F1")
    assert match is not None
    assert match.operation.name == "DescribeContact"
    assert match.labels == {"InstanceId": "instance-1", "ContactId": "contact/1"}


def test_unknown_paths_and_methods(router: Router) -> None:
    assert router.match("GET", "/nowhere") is None
    assert router.match("DELETE", "/contacts/instance-1/contact-1") is None
    assert router.match("GET", "/contacts/instance-1/contact-1/extra") is None


def greedy_model() -> ServiceModel:
    operations = {
        "GetObject": {
            "name": "GetObject",
            "http": {"method": "GET", "requestUri": "/{Bucket}/{Key+}"},
        },
        "ListUploads": {
            "name": "ListUploads",
            "http": {"method": "GET", "requestUri": "/{Bucket}?uploads"},
        },
        "GetBucket": {"name": "GetBucket", "http": {"method": "GET", "requestUri": "/{Bucket}"}},
        "GetPolicy": {
            "name": "GetPolicy",
            "http": {"method": "GET", "requestUri": "/{Bucket}/policy"},
        },
    }
    metadata = {"protocol": "rest-json", "apiVersion": "1", "endpointPrefix": "x"}
    return ServiceModel({"metadata": metadata, "operations": operations, "shapes": {}})


def test_greedy_labels_query_literals_and_literal_preference() -> None:
    router = Router(greedy_model())
    found = router.match("GET", "/bucket/a/b%20c.txt")
    assert found is not None
    assert (found.operation.name, found.labels) == (
        "GetObject",
        {"Bucket": "bucket", "Key": "a/b c.txt"},
    )
    policy = router.match("GET", "/bucket/policy")
    assert policy is not None
    assert policy.operation.name == "GetPolicy"
    uploads = router.match("GET", "/bucket", "uploads")
    assert uploads is not None
    assert uploads.operation.name == "ListUploads"
    bucket = router.match("GET", "/bucket")
    assert bucket is not None
    assert bucket.operation.name == "GetBucket"


def test_route_compiles_query_literals() -> None:
    route = Route.compile(greedy_model().operation_model("ListUploads"))
    assert route.query == (("uploads", None),)
    assert route.labels == ("Bucket",)
