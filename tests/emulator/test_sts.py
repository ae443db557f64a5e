"""Where the emulator is (region, account, instance) and its STS AssumeRole, through
unmodified boto3: the credentials it issues, who Connect and S3 then take."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from gateway.emulator import DEMO_INSTANCE_ID, EmulatorOptions
from gateway.emulator.operations.storage import MEDIA_BUCKET
from gateway.emulator.protocol.sts import issue
from tests import web
from tests.emulator.conftest import error_of

ACCOUNT = "222222222222"
REGION = "eu-west-2"
INSTANCE = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/team/contact-gateway"
NO_RETRIES = Config(retries={"total_max_attempts": 1})


def _client(service: str, url: str, region: str = REGION, **credentials: str) -> Any:
    keys = credentials or {"aws_access_key_id": "AKIDBASE", "aws_secret_access_key": "x"}
    if service == "s3":
        url += "/_s3"
    # STS's refusals are the server's to make: botocore would check lengths and ranges first.
    config = NO_RETRIES.merge(Config(parameter_validation=service != "sts"))
    return boto3.client(service, endpoint_url=url, region_name=region, config=config, **keys)


def _assumed(credentials: dict[str, Any]) -> dict[str, str]:
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def _first_contact(url: str) -> str:
    contacts = web.get(f"{url}/_emulator/contacts").raise_for_status().json()["contacts"]
    return str(contacts[0]["id"])


def test_region_account_and_instance_make_its_arns(serve: Callable[..., str]) -> None:
    url = serve(region=REGION, account_id=ACCOUNT, instance_id=INSTANCE)
    contact_id = _first_contact(url)
    contact = _client("connect", url).describe_contact(InstanceId=INSTANCE, ContactId=contact_id)
    arn = contact["Contact"]["Arn"]
    assert arn.startswith(f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE}/contact/")
    # Other contacts than the demo's: the instance ID seeds them.
    assert contact_id != _first_contact(serve())
    # The demo's instance is not there under its old name.
    code, _, status = error_of(
        _client("connect", url).describe_contact, InstanceId=DEMO_INSTANCE_ID, ContactId=contact_id
    )
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_a_request_signed_for_another_region_is_refused(serve: Callable[..., str]) -> None:
    url = serve(region=REGION, instance_id=INSTANCE)
    contact_id = _first_contact(url)
    elsewhere = _client("connect", url, region="us-east-1")
    code, message, status = error_of(
        elsewhere.describe_contact, InstanceId=INSTANCE, ContactId=contact_id
    )
    assert (code, status) == ("InvalidSignatureException", 403)
    assert "scoped to a valid region" in message
    # Without a region of its own, the emulator takes any (the demo's behaviour).
    anywhere = serve()
    assert _client("connect", anywhere, region="ap-south-1").describe_contact(
        InstanceId=DEMO_INSTANCE_ID, ContactId=_first_contact(anywhere)
    )


def test_assume_role_issues_credentials_on_the_wall_clock(serve: Callable[..., str]) -> None:
    url = serve(region=REGION, account_id=ACCOUNT, sts_credential_seconds=1800)
    before = datetime.now(UTC).replace(microsecond=0)
    answer = _client("sts", url).assume_role(RoleArn=ROLE, RoleSessionName="gateway")
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert before + timedelta(seconds=1800) <= credentials["Expiration"]
    assert credentials["Expiration"] <= datetime.now(UTC) + timedelta(seconds=1801)
    assert answer["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/contact-gateway/gateway"
    )
    asked = _client("sts", url).assume_role(
        RoleArn=ROLE, RoleSessionName="gateway", DurationSeconds=900
    )
    assert asked["Credentials"]["Expiration"] <= datetime.now(UTC) + timedelta(seconds=901)
    stats = web.get(f"{url}/_emulator/stats").json()
    assert stats["calls"]["AssumeRole"] == 2


@pytest.mark.parametrize(
    ("params", "code", "status"),
    [
        ({"RoleArn": ROLE, "RoleSessionName": "gateway"}, "AccessDenied", 403),  # no external ID
        (
            {"RoleArn": ROLE, "RoleSessionName": "gateway", "ExternalId": "other"},
            "AccessDenied",
            403,
        ),
        (
            {
                "RoleArn": "arn:aws:iam::333333333333:role/contact-gateway",
                "RoleSessionName": "gateway",
                "ExternalId": "acme-7",
            },
            "AccessDenied",
            403,
        ),
        (
            {
                "RoleArn": ROLE,
                "RoleSessionName": "gateway",
                "ExternalId": "acme-7",
                "DurationSeconds": 60,
            },
            "ValidationError",
            400,
        ),
        ({"RoleArn": "not-a-role", "RoleSessionName": "gateway"}, "ValidationError", 400),
    ],
)
def test_assume_role_refusals(
    serve: Callable[..., str], params: dict[str, Any], code: str, status: int
) -> None:
    url = serve(account_id=ACCOUNT, role_external_id="acme-7")
    assert error_of(_client("sts", url).assume_role, **params)[::2] == (code, status)


def test_only_assumed_roles_get_into_connect_and_s3(serve: Callable[..., str]) -> None:
    url = serve(region=REGION, account_id=ACCOUNT, instance_id=INSTANCE, only_assumed_roles=True)
    contact_id = _first_contact(url)
    ask = {"InstanceId": INSTANCE, "ContactId": contact_id}

    base = _client("connect", url)
    assert error_of(base.describe_contact, **ask)[::2] == ("UnrecognizedClientException", 403)
    code, _, _ = error_of(_client("s3", url).list_objects_v2, Bucket=MEDIA_BUCKET)
    assert code == "InvalidToken"

    credentials = _client("sts", url).assume_role(RoleArn=ROLE, RoleSessionName="gateway")
    role = _assumed(credentials["Credentials"])
    assert _client("connect", url, **role).describe_contact(**ask)["Contact"]["Id"] == contact_id
    assert "Contents" in _client("s3", url, **role).list_objects_v2(Bucket=MEDIA_BUCKET)

    # Credentials another account's STS issued, and expired ones, do not get in.
    theirs = issue("333333333333", ROLE, "gateway", datetime.now(UTC) + timedelta(hours=1))
    stranger = _client("connect", url, **_assumed(theirs))
    assert error_of(stranger.describe_contact, **ask)[::2] == ("AccessDeniedException", 403)
    old = issue(ACCOUNT, ROLE, "gateway", datetime.now(UTC) - timedelta(seconds=1))
    expired = _client("connect", url, **_assumed(old))
    assert error_of(expired.describe_contact, **ask)[::2] == ("ExpiredTokenException", 403)
    # A token whose access key ID was not issued with it is not one of ours.
    forged = _assumed(credentials["Credentials"]) | {"aws_access_key_id": "ASIAFORGED0000000000"}
    code, _, _ = error_of(_client("connect", url, **forged).describe_contact, **ask)
    assert code == "UnrecognizedClientException"


def test_other_posts_to_the_root_still_reach_connect(emulator_url: str) -> None:
    """POST / with a form that is no STS call, or with JSON, is Connect's (which has no
    operation there): 404 UnknownOperationException, as before STS."""
    for body, kind in ((b"x=1", "application/x-www-form-urlencoded"), (b"{}", "application/json")):
        answer = web.post(
            f"{emulator_url}/",
            content=body,
            headers={"content-type": kind, "authorization": "AWS4-HMAC-SHA256 Credential=x"},
        )
        assert answer.status_code == 404
        assert answer.headers["x-amzn-ErrorType"] == "UnknownOperationException"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("region", "Europe"),
        ("account_id", "1234"),
        ("instance_id", "not-a-uuid"),
        ("sts_credential_seconds", 60),
    ],
)
def test_bad_options_are_refused(option: str, value: Any) -> None:
    with pytest.raises(ValueError, match=option):
        EmulatorOptions(**{option: value})
