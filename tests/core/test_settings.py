from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from gateway.core.settings import Settings


def test_lists_from_comma_separated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", "https://desk.example.com, http://localhost:3000")
    monkeypatch.setenv(
        "GATEWAY_ALLOWED_INSTANCES", "aaaa-1,arn:aws:connect:eu-west-2:123456789012:instance/bbbb-2"
    )
    monkeypatch.setenv("GATEWAY_INSTANCE_ID", "arn:aws:connect:eu-west-2:123456789012:instance/cc")
    monkeypatch.setenv("GATEWAY_AUTH", "none")

    settings = Settings()

    assert settings.cors_origins == ("https://desk.example.com", "http://localhost:3000")
    assert settings.instance_ids == {"aaaa-1", "bbbb-2", "cc"}
    assert settings.default_instance == "cc"
    assert settings.aws_region == "eu-west-2"
    assert not settings.demo


def test_demo_when_nothing_is_configured() -> None:
    settings = Settings()
    assert settings.demo
    assert settings.instance_ids == frozenset()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cors_origins", "*", "is not an origin"),
        ("cache_url", "memcached://x", "must be memory:// or redis://"),
        ("instance_id", "arn:aws:s3:::bucket", "is not a Connect instance ID"),
        ("connect_endpoint_url", "ftp://x", "must be an http:// or https:// URL"),
        ("ttl_active_seconds", "-1", "greater than or equal to 0"),
    ],
)
def test_unsafe_or_invalid_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, field: str, value: str, message: str
) -> None:
    monkeypatch.setenv("GATEWAY_AUTH", "none")
    monkeypatch.setenv(f"GATEWAY_{field.upper()}", value)

    with pytest.raises(ValidationError, match=message):
        Settings()


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        Settings().port = 1  # type: ignore[misc]


EAST = "arn:aws:connect:us-east-1:111111111111:instance/aaaa-1"
WEST = "arn:aws:connect:eu-west-2:222222222222:instance/bbbb-2"
ROLE = "arn:aws:iam::222222222222:role/gateway"


def test_several_instances_regions_and_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_INSTANCES", f"{EAST}, {WEST} role={ROLE} external-id=acme-7")
    monkeypatch.setenv("GATEWAY_AUTH", "none")

    settings = Settings()

    east, west = settings.connect_instances
    assert (east.id, east.region, east.account, east.role_arn) == (
        "aaaa-1",
        "us-east-1",
        "111111111111",
        None,
    )
    assert (west.region, west.account, west.role_arn, west.external_id) == (
        "eu-west-2",
        "222222222222",
        ROLE,
        "acme-7",
    )
    assert east.scope != west.scope
    assert settings.default_instance == "aaaa-1"  # the first listed
    assert settings.instance_ids == {"aaaa-1", "bbbb-2"}
    assert settings.aws_region == "us-east-1"
    assert not settings.demo
    assert west.arn == WEST


def test_instance_id_picks_the_default_among_the_instances() -> None:
    settings = Settings(instances=f"{EAST},{WEST}", instance_id="bbbb-2", auth="none")
    assert settings.default_instance == "bbbb-2"
    assert [i.id for i in settings.connect_instances] == ["bbbb-2", "aaaa-1"]
    with pytest.raises(ValidationError, match="must be one of GATEWAY_INSTANCES"):
        Settings(instances=EAST, instance_id="cccc-3", auth="none")


def test_instances_as_json_for_an_external_id_with_a_comma() -> None:
    text = json.dumps([{"arn": EAST}, {"arn": WEST, "role": ROLE, "externalId": "a,b=c"}])
    settings = Settings(instances=text, auth="none")
    assert settings.connect_instances[1].external_id == "a,b=c"
    # and back: what the CLI hands to worker processes parses to the same
    assert Settings(instances=settings.model_dump()["instances"], auth="none") == settings


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{EAST} role=arn:aws:iam::333333333333:role/x", "not in the account"),
        (f"{EAST} role=not-a-role", "not an IAM role ARN"),
        (f"{EAST} external-id=abc", "external-id needs a role"),
        (f"{EAST} colour=blue", "after an instance come role="),
        (f"{EAST},{EAST}", "twice"),
        ("not-an-instance!", "not a Connect instance ID"),
        ("[{]", "not valid JSON"),
    ],
)
def test_bad_instances_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(instances=text, auth="none")


def test_an_endpoint_per_region() -> None:
    settings = Settings(
        instances=f"{EAST},{WEST}",
        connect_endpoint_url="us-east-1=http://127.0.0.1:1,eu-west-2=http://127.0.0.1:2",
        auth="none",
    )
    assert settings.connect_endpoint("eu-west-2") == "http://127.0.0.1:2"
    assert settings.s3_endpoint("us-east-1") == "http://127.0.0.1:1/_s3"
    assert settings.sts_endpoint("eu-west-2") == "http://127.0.0.1:2"
    with pytest.raises(ValidationError, match="no endpoint for region eu-west-2"):
        Settings(
            instances=f"{EAST},{WEST}",
            connect_endpoint_url="us-east-1=http://127.0.0.1:1",
            auth="none",
        )
    with pytest.raises(ValidationError, match="REGION=URL"):
        Settings(connect_endpoint_url="east=http://127.0.0.1:1", auth="none")


def test_a_real_instance_list_needs_auth() -> None:
    with pytest.raises(ValidationError, match="must be set with a real instance"):
        Settings(instances=EAST)


def test_the_templates_joined_form_parses() -> None:
    # deploy/cloudformation.yaml joins InstanceArns and CrossAccountInstances with a comma:
    # an empty CrossAccountInstances leaves a trailing one.
    alone = Settings(instances=f"{EAST},", auth="none")
    assert [i.id for i in alone.connect_instances] == ["aaaa-1"]
    both = Settings(instances=f"{EAST},{WEST} role={ROLE} external-id=x1", auth="none")
    assert both.connect_instances[1].role_arn == ROLE
