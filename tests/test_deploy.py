"""The deployment kept honest by the code: the task role allows exactly the IAM actions of the
operations the gateway calls, Connect's, Contact Lens' and S3's (derived from its source, so
neither can drift), the template's settings
exist, its start-up command writes the API keys file, and the image's hashed lockfile covers
what pyproject.toml needs at run time.

Nothing here imports the gateway: the source is read as text, so these stay fast."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import yaml
from botocore import xform_name
from packaging.requirements import Requirement

from gateway.data.kinds import KINDS
from gateway.data.search import SEARCH
from gateway.data.writes import WRITES
from tests.cfn import Stack

ROOT = Path(__file__).parents[1]
GATEWAY = ROOT / "gateway"
TEMPLATE = ROOT / "deploy" / "cloudformation.yaml"
LOCK = ROOT / "deploy" / "requirements.lock"
BUILD_LOCK = ROOT / "deploy" / "build-requirements.lock"

KNOWN_OPERATIONS = {
    operation.partition(":")[2]
    for kind in (*KINDS.values(), SEARCH)
    for operation in kind.operations
    if operation.startswith("connect:")
} | set(WRITES)
"""The Connect operations the kinds declare (gateway/data/kinds.py) and the writes
(gateway/data/writes.py): the derivation from the code must find them all."""


# --- What the code calls ---------------------------------------------------------------------


@cache
def _operations_by_method(service: str = "connect") -> dict[str, str]:
    """boto3's method name of each operation of a service (describe_contact: DescribeContact)."""
    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


def _connect_operations_by_method() -> dict[str, str]:
    return _operations_by_method("connect")


# The IAM action of an operation, by service: Contact Lens' actions are connect:'s; S3 lists
# with s3:ListBucket and reads (GetObject, HeadObject) with s3:GetObject.
_S3_ACTIONS = {"ListObjectsV2": "s3:ListBucket", "HeadObject": "s3:GetObject"}
_IAM_PREFIX = {"connect": "connect", "connect-contact-lens": "connect", "s3": "s3"}


def _is_client(node: ast.expr) -> bool:
    """`self._client`, `client`, `self.connect_client`...: a name that says client."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return "client" in name.lower()


def _scan(package: Path) -> tuple[set[str], set[str]]:
    """In the package's modules (but the emulator's, which serves Connect's API): the
    attributes taken of clients (`<client>.<name>`), and the services boto3 clients are
    made for (`.client("connect", ...)`)."""
    attributes: set[str] = set()
    services: set[str] = set()
    for path in sorted(package.rglob("*.py")):
        if "emulator" not in path.relative_to(package).parts:
            found = _scan_module(path, path.stat().st_mtime_ns)
            attributes |= found[0]
            services |= found[1]
    return attributes, services


@cache
def _scan_module(path: Path, mtime_ns: int) -> tuple[frozenset[str], frozenset[str]]:
    text = path.read_text(encoding="utf-8")
    if "client" not in text.lower():
        return frozenset(), frozenset()
    attributes, services = set(), set()
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.Attribute) and _is_client(node.value):
            attributes.add(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "client"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            services.add(str(node.args[0].value))
        elif _names_a_read(node):
            # ConnectClient.read("DescribeUser", ...), kinds' Read("DescribeUser", ...) and
            # writes' Write("UpdateContact", ...) call the boto3 method of that name.
            attributes.add(xform_name(node.args[0].value))  # type: ignore[attr-defined]
    return frozenset(attributes), frozenset(services)


def _names_a_read(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or not node.args:
        return False
    first, func = node.args[0], node.func
    named = (isinstance(func, ast.Name) and func.id in ("Read", "Write")) or (
        isinstance(func, ast.Attribute) and func.attr == "read"
    )
    return named and isinstance(first, ast.Constant) and isinstance(first.value, str)


def connect_operations(package: Path) -> set[str]:
    """The Connect operations the package's code calls: every `<client>.<boto3 method>`
    (called, or passed on to be called, as gateway/connect/client.py does) whose method
    is one of Connect's operations."""
    methods = _connect_operations_by_method()
    attributes, _ = _scan(package)
    return {methods[name] for name in attributes if name in methods}


def boto3_services(package: Path) -> set[str]:
    """The services the package makes boto3 clients for."""
    return _scan(package)[1]


def called_actions(package: Path) -> set[str]:
    """The IAM actions the package's calls need: each `<client>.<boto3 method>` that is an
    operation of a service it makes a client for. A presigned S3 GET URL is fetched with
    the role's credentials (s3:GetObject); reading S3 objects of a KMS-encrypted bucket
    needs kms:Decrypt."""
    attributes, services = _scan(package)
    actions: set[str] = set()
    for service in services:
        prefix = _IAM_PREFIX[service]  # a new service: say what its actions are called
        for name in attributes:
            operation = _operations_by_method(service).get(name)
            if operation is not None:
                actions.add(_S3_ACTIONS.get(operation, f"{prefix}:{operation}"))
    if "s3" in services and "generate_presigned_url" in attributes:
        actions.add("s3:GetObject")
    if "s3:GetObject" in actions:
        actions.add("kms:Decrypt")
    if "AssumeRoleCredentialFetcher" in attributes | _names(package):
        actions.add("sts:AssumeRole")  # botocore calls it, for instances of other accounts
    return actions


def _names(package: Path) -> set[str]:
    """Every name the package's modules (but the emulator's) use."""
    return {
        node.id
        for path in sorted(package.rglob("*.py"))
        if "emulator" not in path.relative_to(package).parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Name)
    }


# --- What the template allows ----------------------------------------------------------------


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt...) as their long forms."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _tag)


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(), Loader=_TemplateLoader)
    return loaded


def _container() -> dict[str, Any]:
    [container] = template()["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    return container  # type: ignore[no-any-return]


def task_role_actions() -> set[str]:
    """Every action the task's role (TaskDefinition.TaskRoleArn) allows."""
    resources = template()["Resources"]
    role = resources["TaskDefinition"]["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
    actions: set[str] = set()
    for policy in resources[role]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:  # a statement only with its parameter set
                _, statement, absent = statement["Fn::If"]
                assert absent == {"Ref": "AWS::NoValue"}
            assert statement["Effect"] == "Allow"
            action = statement["Action"]
            actions |= {action} if isinstance(action, str) else set(action)
    return actions


def iam_action(operation: str) -> str:
    """The IAM action of a kind's `service:Operation`."""
    service, _, name = operation.partition(":")
    return _S3_ACTIONS.get(name, f"{_IAM_PREFIX[service]}:{name}")


def test_the_task_role_allows_every_operation_a_kind_declares() -> None:
    allowed = task_role_actions()
    for kind in (*KINDS.values(), SEARCH):
        for operation in kind.operations:
            assert iam_action(operation) in allowed, (kind.name, operation)


def test_every_operation_a_kind_declares_is_one_the_code_calls() -> None:
    called = called_actions(GATEWAY)
    for kind in (*KINDS.values(), SEARCH):
        for operation in kind.operations:
            assert iam_action(operation) in called, (kind.name, operation)


def drift(needed: set[str], actions: set[str]) -> list[str]:
    """What is wrong between the actions the code's calls need and the role's actions."""
    return [
        f"the code calls {action} but the task role does not allow it"
        for action in sorted(needed - actions)
    ] + [
        f"the task role allows {action}, which the code never calls"
        for action in sorted(actions - needed)
    ]


def test_task_role_allows_exactly_what_the_code_calls() -> None:
    assert drift(called_actions(GATEWAY), task_role_actions()) == []


def test_quality_data_calls_are_derived_with_their_iam_actions() -> None:
    assert called_actions(GATEWAY) >= {
        "connect:ListRealtimeContactAnalysisSegmentsV2",
        "connect:ListRealtimeContactAnalysisSegments",  # connect-contact-lens
        "connect:ListContactEvaluations",
        "connect:DescribeContactEvaluation",
        "connect:ListInstanceStorageConfigs",
        "s3:ListBucket",
        "s3:GetObject",
        "kms:Decrypt",
        "sts:AssumeRole",
    }


def test_the_derivation_finds_every_known_operation() -> None:
    # So that a derivation broken by a refactoring cannot pass by finding nothing.
    assert connect_operations(GATEWAY) >= KNOWN_OPERATIONS


def test_the_aws_services_called_are_connect_contact_lens_and_s3() -> None:
    # No KMS client (S3 decrypts for the role), and STS only through botocore's
    # AssumeRoleCredentialFetcher: a new client would need its actions in the template (and
    # _IAM_PREFIX), and this test changed with them.
    assert boto3_services(GATEWAY) == {"connect", "connect-contact-lens", "s3"}


def test_a_call_without_permission_is_reported(tmp_path: Path) -> None:
    package = tmp_path / "gateway"
    shutil.copytree(GATEWAY, package, ignore=shutil.ignore_patterns("emulator", "static"))
    (package / "flows.py").write_text(
        "class Flows:\n"
        "    def list(self, instance_id):\n"
        "        return self._client.list_contact_flows(InstanceId=instance_id)\n"
    )
    operations = connect_operations(package)
    assert "ListContactFlows" in operations
    assert drift(called_actions(package), task_role_actions()) == [
        "the code calls connect:ListContactFlows but the task role does not allow it"
    ]


def test_the_role_covers_each_instance_and_its_contacts_agents_and_queues() -> None:
    statement = template()["Resources"]["TaskRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ][0]
    # Resource: Split(",", Join(",", [ARNs, ARNs/contact/*, ARNs/agent/*, ARNs/queue/*]))
    [separator, joined] = statement["Resource"]["Fn::Split"]
    assert separator == ","
    [comma, parts] = joined["Fn::Join"]
    assert comma == ","
    assert parts[0] == {"Fn::Join": [",", {"Ref": "InstanceArns"}]}
    for part, kind in zip(parts[1:], ("contact", "agent", "queue"), strict=True):
        assert part == {
            "Fn::Sub": [
                f"${{Arns}}/{kind}/*",
                {"Arns": {"Fn::Join": [f"/{kind}/*,", {"Ref": "InstanceArns"}]}},
            ]
        }


# --- The template's settings -----------------------------------------------------------------


def _settings_fields() -> set[str]:
    tree = ast.parse((GATEWAY / "core" / "settings.py").read_text(encoding="utf-8"))
    [settings] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings"]
    return {
        node.target.id
        for node in settings.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }


def test_every_gateway_variable_of_the_template_is_a_setting() -> None:
    container = _container()
    names = [e["Name"] for e in container["Environment"] + container["Secrets"]]
    gateway_names = [n for n in names if n.startswith("GATEWAY_")]
    assert len(gateway_names) == len(set(gateway_names))
    unknown = {
        n for n in gateway_names if n.removeprefix("GATEWAY_").lower() not in _settings_fields()
    }
    assert unknown == set()
    for needed in ("GATEWAY_INSTANCES", "GATEWAY_CURSOR_SECRET", "GATEWAY_API_KEYS_FILE"):
        assert needed in gateway_names
    # GATEWAY_CACHE_URL is built at start-up, with the cache user's password (below).
    assert {"CACHE_ADDRESS", "CACHE_USERNAME", "CACHE_PASSWORD"} <= set(names)


def test_container_is_read_only_non_root_and_health_checked() -> None:
    container = _container()
    assert container["ReadonlyRootFilesystem"] is True
    assert container["User"].split(":")[0] not in ("0", "root")
    assert container["MountPoints"] == [
        {"SourceVolume": "state", "ContainerPath": "/var/lib/gateway", "ReadOnly": False},
        {"SourceVolume": "tmp", "ContainerPath": "/tmp", "ReadOnly": False},
    ]
    [keys_file] = [e for e in container["Environment"] if e["Name"] == "GATEWAY_API_KEYS_FILE"]
    assert keys_file["Value"].startswith("/var/lib/gateway/")
    assert container["PortMappings"][0]["ContainerPort"] == 8000
    target_group = template()["Resources"]["TargetGroup"]["Properties"]
    assert target_group["HealthCheckPath"] == "/readyz"
    assert target_group["Port"] == 8000


def test_the_start_up_command_writes_the_api_keys_file(tmp_path: Path) -> None:
    # The task's command, run with a stand-in for connect-gateway that shows what it got.
    command = _container()["Command"]
    assert command[:2] == ["python", "-c"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "connect-gateway"
    keys_file = tmp_path / "api-keys.json"
    dashboard = {"id": "dashboard", "sha256": "ab" * 32, "scopes": ["contacts:read"]}
    fake.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "print(json.dumps({'argv': sys.argv[1:], 'env': sorted(os.environ),"
        " 'cache': os.environ['GATEWAY_CACHE_URL']}))\n"
    )
    fake.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GATEWAY_API_KEYS_FILE": str(keys_file),
        "API_KEYS_JSON": json.dumps({"keys": [dashboard]}),
        "EVENTS_API_KEY": "the-events-key",
        "CACHE_ADDRESS": "gw.serverless.use1.cache.amazonaws.com:6379",
        "CACHE_USERNAME": "gateway",
        "CACHE_PASSWORD": "p@ss/word:1",
    }
    done = subprocess.run(
        [sys.executable, "-c", command[2]], env=env, capture_output=True, text=True, check=True
    )
    shown = json.loads(done.stdout)
    assert shown["argv"] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    for secret in ("API_KEYS_JSON", "EVENTS_API_KEY", "CACHE_PASSWORD", "CACHE_USERNAME"):
        assert secret not in shown["env"]
    assert shown["cache"] == (
        "rediss://gateway:p%40ss%2Fword%3A1@gw.serverless.use1.cache.amazonaws.com:6379/0"
    )
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    events = {
        "id": "eventbridge",
        "scopes": ["events:write"],
        "sha256": hashlib.sha256(b"the-events-key").hexdigest(),
    }
    assert json.loads(keys_file.read_text()) == {"keys": [dashboard, events]}


def test_contact_events_go_only_for_the_instances_to_events() -> None:
    resources = template()["Resources"]
    alone = Stack(template(), **REQUIRED)
    pattern = alone.resource("ContactEventsRule")["EventPattern"]  # type: ignore[index]
    assert pattern == {
        "source": ["aws.connect"],
        "detail-type": ["Amazon Connect Contact Event"],
        "detail": {"instanceArn": [INSTANCE]},
    }
    assert alone.resource("EventBusPolicy") is None  # no other account may put events
    destination = resources["EventsApiDestination"]["Properties"]
    assert destination["InvocationEndpoint"] == {"Fn::Sub": "https://${DomainName}/events"}
    auth = resources["EventsConnection"]["Properties"]["AuthParameters"]["ApiKeyAuthParameters"]
    assert auth["ApiKeyName"] == "X-API-Key"
    assert "resolve:secretsmanager:${EventsApiKeySecret}" in auth["ApiKeyValue"]["Fn::Sub"]


INSTANCE = "arn:aws:connect:us-east-1:111111111111:instance/aaaaaaaa-0000-4000-8000-000000000001"
OTHER = "arn:aws:connect:eu-west-2:222222222222:instance/bbbbbbbb-0000-4000-8000-000000000002"
REQUIRED = {
    "InstanceArns": INSTANCE,
    "DomainName": "gateway.example.com",
    "HostedZoneId": "Z0123456789ABCDEFGHIJ",
    "ImageUri": "111111111111.dkr.ecr.us-east-1.amazonaws.com/connect-graphql-gateway:1",
}
"""The parameters without a default (and a zone, so that the certificate is requested)."""

FARGATE = {  # Fargate's CPU and memory pairs (MiB), as AWS documents them
    256: {512, 1024, 2048},
    512: set(range(1024, 4097, 1024)),
    1024: set(range(2048, 8193, 1024)),
    2048: set(range(4096, 16385, 1024)),
    4096: set(range(8192, 30721, 1024)),
}


def _allowed(parameter: str) -> list[str]:
    return [str(v) for v in template()["Parameters"][parameter]["AllowedValues"]]


def test_the_defaults_create_in_a_fresh_account() -> None:
    stack = Stack(template(), **REQUIRED)
    assert stack.refused() == []
    assert stack.condition("CreateNetwork")  # its own VPC: a fresh account has none to give
    assert stack.resource("Vpc") is not None
    service = stack.resource("Service")
    assert service is not None
    network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    assert network["Subnets"] == ["<Ref PrivateSubnet1>", "<Ref PrivateSubnet2>"]

    def endpoints(stack: Stack) -> set[str]:
        return {
            found["ServiceName"]
            for name, resource in template()["Resources"].items()
            if resource["Type"] == "AWS::EC2::VPCEndpoint"
            and (found := stack.resource(name)) is not None
        }

    assert endpoints(stack) == {"com.amazonaws.us-east-1.s3"}  # the rest through the NAT
    private = Stack(template(), **REQUIRED, InterfaceEndpoints="on")
    assert endpoints(private) == {
        f"com.amazonaws.us-east-1.{service}"
        for service in ("s3", "ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts")
    }
    assert stack.resource("NatGateway1") is not None  # Connect has no endpoint: NAT
    listener = stack.resource("HttpsListener")
    assert listener["Certificates"] == [{"CertificateArn": "<Ref Certificate>"}]  # type: ignore[index]


def test_the_rules_refuse_every_cpu_and_memory_pair_fargate_does_not_run() -> None:
    for cpu in _allowed("TaskCpu"):
        for memory in _allowed("TaskMemory"):
            refused = Stack(template(), **REQUIRED, TaskCpu=cpu, TaskMemory=memory).refused()
            valid = int(memory) in FARGATE[int(cpu)]
            assert (refused == []) == valid, (cpu, memory, refused)
            if not valid:
                [why] = refused
                assert why.startswith(f"With TaskCpu {cpu}, TaskMemory must be "), why


def test_the_rules_refuse_a_max_count_below_the_desired_count() -> None:
    for desired in _allowed("DesiredCount"):
        for most in _allowed("MaxCount"):
            refused = Stack(template(), **REQUIRED, DesiredCount=desired, MaxCount=most).refused()
            if int(most) < int(desired):
                assert refused == [f"MaxCount must be at least DesiredCount ({desired})."]
            else:
                assert refused == [], (desired, most)


def test_auto_scaling_owns_the_task_count() -> None:
    stack = Stack(template(), **REQUIRED, DesiredCount="3", MaxCount="8")
    assert "DesiredCount" not in stack.resource("Service")  # type: ignore[operator]
    target = stack.resource("ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == ("3", "8")  # type: ignore[index]


def test_the_rules_want_the_subnets_of_a_network_given_and_a_certificate_or_zone() -> None:
    existing = {**REQUIRED, "Network": "existing"}
    assert Stack(template(), **existing).refused() == [
        "Network=existing needs VpcId.",
        "Network=existing needs PrivateSubnetIds.",
        "Network=existing needs PublicSubnetIds.",
    ]
    given = existing | {
        "VpcId": "vpc-0123456789abcdef0",
        "PrivateSubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
        "PublicSubnetIds": "subnet-0123456789abcdef2,subnet-0123456789abcdef3",
    }
    stack = Stack(template(), **given)
    assert stack.refused() == []
    assert stack.resource("Vpc") is None
    subnets = stack.resource("Cache")["SubnetIds"]  # type: ignore[index]
    assert subnets == given["PrivateSubnetIds"].split(",")
    no_zone = {k: v for k, v in REQUIRED.items() if k != "HostedZoneId"}
    assert Stack(template(), **no_zone).refused() == [
        "Without CertificateArn the stack requests a certificate validated in HostedZoneId: "
        "give one of them."
    ]
    certificate = "arn:aws:acm:us-east-1:111111111111:certificate/abc"
    assert Stack(template(), **no_zone, CertificateArn=certificate).refused() == []


def test_a_trial_in_the_default_vpc_gives_the_tasks_public_ips() -> None:
    public = {
        **REQUIRED,
        "Network": "public",
        "VpcId": "vpc-0123456789abcdef0",
        "PublicSubnetIds": "subnet-0123456789abcdef2,subnet-0123456789abcdef3",
    }
    stack = Stack(template(), **public)
    assert stack.refused() == []
    network = stack.resource("Service")["NetworkConfiguration"]["AwsvpcConfiguration"]  # type: ignore[index]
    assert network["AssignPublicIp"] == "ENABLED"
    assert network["Subnets"] == public["PublicSubnetIds"].split(",")


def test_other_accounts_events_are_let_in_and_matched() -> None:
    stack = Stack(
        template(), **REQUIRED, EventSourceAccounts="222222222222", OtherAccountInstanceArns=OTHER
    )
    assert stack.refused() == []
    pattern = stack.resource("ContactEventsRule")["EventPattern"]  # type: ignore[index]
    assert pattern["detail"]["instanceArn"] == [INSTANCE, OTHER]
    policy = stack.resource("EventBusPolicy")
    assert policy is not None
    statement = policy["Statement"]
    assert statement["Principal"] == {"AWS": ["222222222222"]}
    assert statement["Action"] == "events:PutEvents"
    assert statement["Condition"] == {"StringEquals": {"events:source": "aws.connect"}}
    assert Stack(template(), **REQUIRED, EventSourceAccounts="222222222222").refused() == [
        "EventSourceAccounts needs OtherAccountInstanceArns (their instances)."
    ]
    outputs = template()["Outputs"]
    assert {"TaskRoleArn", "EventsConnectionName", "EventBusArn"} <= outputs.keys()


def test_the_cache_takes_only_the_gateways_password_authenticated_user() -> None:
    stack = Stack(template(), **REQUIRED)
    cache = stack.resource("Cache")
    assert cache is not None
    assert cache["UserGroupId"] == "<Ref CacheUserGroup>"
    assert cache["Engine"] == "valkey"
    assert cache["MajorEngineVersion"] == "8"
    assert cache["KmsKeyId"] == "<Ref DataKey>"
    assert set(cache["CacheUsageLimits"]) == {"DataStorage", "ECPUPerSecond"}
    group = stack.resource("CacheUserGroup")
    assert group["UserIds"] == ["<Ref CacheDisabledDefaultUser>", "<Ref CacheUser>"]  # type: ignore[index]
    default = stack.resource("CacheDisabledDefaultUser")
    assert default["UserName"] == "default"  # type: ignore[index]
    assert default["AccessString"].startswith("off ")  # type: ignore[index]
    user = stack.resource("CacheUser")
    assert user["AuthenticationMode"]["Type"] == "password"  # type: ignore[index]
    assert "-@dangerous" in user["AccessString"]  # type: ignore[index]
    assert "CachePasswordSecret" in user["AuthenticationMode"]["Passwords"][0]  # type: ignore[index]


def test_what_outlives_the_stack_is_kept_and_what_fails_is_alarmed() -> None:
    resources = template()["Resources"]
    for name in ("LogGroup", "EventsDeadLetterQueue", "DataKey"):
        assert resources[name]["DeletionPolicy"] == "Retain", name
        assert resources[name]["UpdateReplacePolicy"] == "Retain", name
    metrics = {
        (r["Properties"]["Namespace"], r["Properties"]["MetricName"])
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert metrics == {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/Events", "FailedInvocations"),
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
        ("AWS/ApplicationELB", "UnHealthyHostCount"),
    }


def test_recordings_are_read_under_their_prefix_and_decrypted_in_their_region() -> None:
    stack = Stack(
        template(), **REQUIRED, RecordingsBucket="recordings", RecordingsPrefix="connect/a/",
        RecordingsBucketRegion="eu-west-2",
        RecordingsKmsKeyArn="arn:aws:kms:eu-west-2:111111111111:key/abcd-1234",
    )  # fmt: skip
    role = stack.resource("TaskRole")
    assert role is not None
    statements = {s["Sid"]: s for s in role["Policies"][0]["PolicyDocument"]["Statement"]}
    assert statements["ReadRecordingsAndAnalysisFiles"]["Resource"] == (
        "arn:aws:s3:::recordings/connect/a/*"
    )
    assert statements["FindAnalysisFiles"]["Condition"] == {
        "StringLike": {"s3:prefix": "connect/a/*"}
    }
    assert statements["DecryptRecordingsThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-2.amazonaws.com"}
    }


# --- The image's lockfiles -------------------------------------------------------------------


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def _locked(path: Path) -> dict[str, tuple[str, list[str]]]:
    """Each locked requirement's name: its version and hashes."""
    entries: dict[str, tuple[str, list[str]]] = {}
    text = path.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement, *options = line.split(" --hash=")
        parsed = Requirement(requirement.strip())
        [specifier] = parsed.specifier
        assert specifier.operator == "==", line
        entries[_name(requirement.strip())] = (specifier.version, options)
    return entries


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[_name(name)] = version.strip()
    return pins


def test_the_lockfile_covers_the_runtime_requirements_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # The run-time dependencies, and the image's extra (uvloop).
    image_extras = project["optional-dependencies"]["fast"]
    runtime = {_name(r) for r in (*project["dependencies"], *image_extras)}
    locked = _locked(LOCK)
    assert runtime - locked.keys() == set(), "missing from the lock: run scripts/lock"
    for name, (_, hashes) in locked.items():
        assert hashes, name
        assert all(h.startswith("sha256:") for h in hashes), name
    # Only run-time dependencies: none of the test or dev tools.
    tools = {
        _name(r)
        for extra, group in project["optional-dependencies"].items()
        if extra != "fast"
        for r in group
    }
    assert (tools - {"connect-graphql-gateway"}) & locked.keys() == set()
    # The versions the tests run with.
    pins = _constraints()
    for name, (version, _) in locked.items():
        assert pins.get(name) == version, f"{name}=={version}: not constraints.txt's"


def test_the_build_lockfile_has_the_build_backend_hashed() -> None:
    backend = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    locked = _locked(BUILD_LOCK)
    assert {_name(r) for r in backend} <= locked.keys()
    assert all(hashes for _, hashes in locked.values())


def test_the_instances_variable_is_the_instance_arns_then_the_cross_account_ones() -> None:
    [variable] = [e for e in _container()["Environment"] if e["Name"] == "GATEWAY_INSTANCES"]
    assert variable["Value"] == {
        "Fn::Join": [
            ",",
            [{"Fn::Join": [",", {"Ref": "InstanceArns"}]}, {"Ref": "CrossAccountInstances"}],
        ]
    }
    # What it joins to parses: tests/core/test_settings.py (the template's form).


# --- scripts/deploy --------------------------------------------------------------------------


def _deploy(*arguments: str) -> subprocess.CompletedProcess[str]:
    # No aws or docker on this PATH: a dry run must not need them.
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [str(ROOT / "scripts" / "deploy"), "--dry-run", *arguments],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


def test_the_deploy_script_prints_every_command_from_build_to_url() -> None:
    done = _deploy(
        "--region", "eu-west-2", "--domain", "gateway.example.com", "--instance-arns", INSTANCE,
        "--hosted-zone-id", "Z0123456789ABCDEFGHIJ", "--tag", "v1", "--platform", "linux/arm64",
        "--parameter", "AlarmEmail=ops@example.com",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "https://gateway.example.com/graphql\n"
    commands = [line[2:] for line in done.stderr.splitlines() if line.startswith("+ ")]
    steps = [
        "aws sts get-caller-identity",
        "aws ecr create-repository --region eu-west-2 --repository-name connect-graphql-gateway",
        "aws ecr get-login-password --region eu-west-2 | docker login",
        "docker buildx build --platform linux/arm64 --tag",
        "aws ecr describe-images --region eu-west-2",
        "aws cloudformation validate-template --region eu-west-2",
        "aws cloudformation deploy --region eu-west-2 --stack-name connect-gateway",
        "aws cloudformation describe-stacks --region eu-west-2",
    ]
    assert len(commands) == len(steps), commands
    for command, step in zip(commands, steps, strict=True):
        assert command.startswith(step), (command, step)
    deploy = commands[6]
    for parameter in (
        f"InstanceArns={INSTANCE}", "DomainName=gateway.example.com", "CpuArchitecture=ARM64",
        "Network=create", "HostedZoneId=Z0123456789ABCDEFGHIJ", "AlarmEmail=ops@example.com",
        "--capabilities CAPABILITY_IAM",
    ):  # fmt: skip
        assert parameter in deploy, parameter
    # The image by digest, so that a task never runs another build of the same tag.
    assert "connect-graphql-gateway@sha256:" in deploy


def test_the_deploy_script_refuses_a_certificate_of_another_region() -> None:
    done = _deploy(
        "--region", "us-east-1", "--domain", "gateway.example.com", "--instance-arns", INSTANCE,
        "--certificate-arn", "arn:aws:acm:eu-west-1:111111111111:certificate/abc",
    )  # fmt: skip
    assert done.returncode == 1
    assert "the certificate is in eu-west-1, the stack in us-east-1" in done.stderr


def test_the_deploy_script_wants_a_certificate_or_a_zone() -> None:
    done = _deploy(
        "--region", "us-east-1", "--domain", "g.example.com", "--instance-arns", INSTANCE
    )
    assert done.returncode == 2
    assert "--hosted-zone-id" in done.stderr
