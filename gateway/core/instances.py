"""The Connect instances the gateway serves (GATEWAY_INSTANCES, or GATEWAY_INSTANCE_ID alone),
each with the region and account Connect counts its quotas in, and the role to assume when
the instance is in another account.

    GATEWAY_INSTANCES="arn:aws:connect:us-east-1:111111111111:instance/<id>,
      arn:aws:connect:eu-west-2:222222222222:instance/<id>
        role=arn:aws:iam::222222222222:role/gateway external-id=<value>"

Entries are separated by commas; after an instance ARN (or an ID, in the default region and
the credentials' own account) come optional `role=<role ARN>` and `external-id=<value>`. An
external ID with a comma or a space needs the JSON form:
`[{"arn": "...", "role": "...", "externalId": "..."}]`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

__all__ = ["ConnectInstance", "instance_id_of", "parse_instances"]

_ARN = re.compile(r"^arn:(aws[a-z-]*):connect:([a-z0-9-]+):(\d{12}):instance/([^/]+)$")
_INSTANCE_ID = re.compile(r"^[A-Za-z0-9-]{1,100}$")
_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")  # STS' own pattern and lengths


def instance_id_of(value: str) -> str:
    """The instance ID in `value`, an instance ID or an instance ARN; ValueError otherwise."""
    value = value.strip()
    match = _ARN.match(value)
    if match:
        return match.group(4)
    if _INSTANCE_ID.match(value):
        return value
    raise ValueError(f"{value!r} is not a Connect instance ID or instance ARN")


@dataclass(frozen=True)
class ConnectInstance:
    """One instance. `region`/`account` are None for a bare ID: boto3's region, and the
    account of whatever credentials boto3 finds."""

    id: str
    region: str | None = None
    account: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    partition: str = "aws"

    @classmethod
    def parse(
        cls, text: str, role: str | None = None, external_id: str | None = None
    ) -> ConnectInstance:
        text = text.strip()
        match = _ARN.match(text)
        instance = (
            cls(match.group(4), match.group(2), match.group(3), partition=match.group(1))
            if match
            else cls(instance_id_of(text))
        )
        if external_id is not None and role is None:
            raise ValueError(f"{text!r}: external-id needs a role")
        if role is not None:
            role_match = _ROLE.match(role)
            if not role_match:
                raise ValueError(
                    f"{role!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
                )
            if instance.account is not None and role_match.group(1) != instance.account:
                # Connect's API takes credentials of the instance's own account only.
                raise ValueError(f"{role!r} is not in the account of {text!r}")
            if external_id is not None and not _EXTERNAL_ID.match(external_id):
                raise ValueError("an external-id is 2 to 1224 of A-Z a-z 0-9 + = , . @ : / - _")
            account = instance.account or role_match.group(1)
            instance = cls(
                instance.id, instance.region, account, role, external_id, instance.partition
            )
        return instance

    @property
    def arn(self) -> str | None:
        if self.region is None or self.account is None:
            return None
        return f"arn:{self.partition}:connect:{self.region}:{self.account}:instance/{self.id}"

    @property
    def scope(self) -> tuple[str | None, str | None, str | None]:
        """Where Connect counts this instance's calls, and with whose credentials: instances
        with the same scope share one boto3 client, quota and breakers."""
        return (self.account, self.region, self.role_arn)


def parse_instances(value: str) -> tuple[ConnectInstance, ...]:
    """GATEWAY_INSTANCES' text (see the module's docstring); ValueError on a bad entry."""
    value = value.strip()
    if value.startswith("["):
        try:
            items = json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"is not valid JSON: {error.msg}") from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValueError('JSON must be a list of {"arn": ..., "role": ..., "externalId": ...}')
        instances = []
        for item in items:
            unknown = set(item) - {"arn", "id", "role", "externalId"}
            if unknown or not isinstance(item.get("arn", item.get("id")), str):
                raise ValueError(
                    f"each entry needs an arn (or id), then role and externalId: {item!r}"
                )
            instances.append(
                ConnectInstance.parse(
                    item.get("arn", item.get("id")), item.get("role"), item.get("externalId")
                )
            )
    else:
        instances = []
        for entry in (part.strip() for part in value.split(",")):
            if not entry:
                continue
            first, *options = entry.split()
            named: dict[str, str] = {}
            for option in options:
                key, equals, text = option.partition("=")
                if not equals or key not in ("role", "external-id") or key in named or not text:
                    raise ValueError(
                        f"{option!r}: after an instance come role=<ARN> and external-id=<value>"
                    )
                named[key] = text
            instances.append(
                ConnectInstance.parse(first, named.get("role"), named.get("external-id"))
            )
    ids = [instance.id for instance in instances]
    if len(set(ids)) != len(ids):
        raise ValueError("lists an instance twice")
    return tuple(instances)
