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
    for needed in ("GATEWAY_INSTANCES", "GATEWAY_CACHE_URL", "GATEWAY_CURSOR_SECRET"):
        assert needed in gateway_names


def test_container_is_read_only_non_root_and_health_checked() -> None:
    container = _container()
    assert container["ReadonlyRootFilesystem"] is True
    assert container["User"].split(":")[0] not in ("0", "root")
    assert container["MountPoints"] == [
        {"SourceVolume": "tmp", "ContainerPath": "/tmp", "ReadOnly": False}
    ]
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
    fake.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "print(json.dumps({'argv': sys.argv[1:], 'env': sorted(os.environ)}))\n"
    )
    fake.chmod(0o755)
    keys_file = tmp_path / "api-keys.json"
    dashboard = {"id": "dashboard", "sha256": "ab" * 32, "scopes": ["contacts:read"]}
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GATEWAY_API_KEYS_FILE": str(keys_file),
        "API_KEYS_JSON": json.dumps({"keys": [dashboard]}),
        "EVENTS_API_KEY": "the-events-key",
    }
    done = subprocess.run(
        [sys.executable, "-c", command[2]], env=env, capture_output=True, text=True, check=True
    )
    shown = json.loads(done.stdout)
    assert shown["argv"] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    assert "API_KEYS_JSON" not in shown["env"]
    assert "EVENTS_API_KEY" not in shown["env"]
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    events = {
        "id": "eventbridge",
        "scopes": ["events:write"],
        "sha256": hashlib.sha256(b"the-events-key").hexdigest(),
    }
    assert json.loads(keys_file.read_text()) == {"keys": [dashboard, events]}


def test_contact_events_go_only_for_the_instances_to_events() -> None:
    resources = template()["Resources"]
    pattern = resources["ContactEventsRule"]["Properties"]["EventPattern"]
    assert pattern == {
        "source": ["aws.connect"],
        "detail-type": ["Amazon Connect Contact Event"],
        "detail": {"instanceArn": {"Ref": "InstanceArns"}},
    }
    destination = resources["EventsApiDestination"]["Properties"]
    assert destination["InvocationEndpoint"] == {"Fn::Sub": "https://${DomainName}/events"}
    auth = resources["EventsConnection"]["Properties"]["AuthParameters"]["ApiKeyAuthParameters"]
    assert auth["ApiKeyName"] == "X-API-Key"
    assert "resolve:secretsmanager:${EventsApiKeySecret}" in auth["ApiKeyValue"]["Fn::Sub"]


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
    runtime = {_name(r) for r in project["dependencies"]}
    locked = _locked(LOCK)
    assert runtime - locked.keys() == set(), "missing from the lock: run scripts/lock"
    for name, (_, hashes) in locked.items():
        assert hashes, name
        assert all(h.startswith("sha256:") for h in hashes), name
    # Only run-time dependencies: none of the test or dev tools.
    extras = {_name(r) for group in project["optional-dependencies"].values() for r in group}
    assert (extras - {"connect-graphql-gateway"}) & locked.keys() == set()
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
