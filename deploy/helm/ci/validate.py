"""Validates rendered manifests (`helm template`'s output) against Kubernetes' schemas, the
way kubeconform --strict does, with schemas that come from PyPI (kubeconform fetches its own
from GitHub):

- built-in kinds: kubernetes-validate's JSON schemas of each Kubernetes release, strict (an
  unknown field is an error), for the oldest release the chart supports (Chart.yaml's
  kubeVersion) and the newest kubernetes-validate knows, or each --kubernetes-version;
- ServiceMonitor: cloudcoil's pydantic models of prometheus-operator's CRDs (types, required
  fields, enums, patterns). The models skip fields they do not know, so a field that does
  not come back out of the model is reported as unknown: strict too.

Any other kind is an error: nothing here knows its schema.

    "$(python deploy/helm/ci/tools.py python)" deploy/helm/ci/validate.py \
        [--kubernetes-version 1.30] FILE...

(the tools' Python: deploy/helm/tools.lock has kubernetes-validate and the models).

Prints one line a problem and exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate.utils as kubernetes
import pydantic
import yaml
from cloudcoil.models.prometheus_operator import v1 as monitoring

__all__ = ["problems"]

CHART = Path(__file__).resolve().parent.parent / "connect-graphql-gateway" / "Chart.yaml"


def _oldest_supported() -> str:
    """The release of Chart.yaml's kubeVersion (>=1.25.0-0): 1.25."""
    floor = re.match(r">=\s*(\d+\.\d+)", yaml.safe_load(CHART.read_text())["kubeVersion"])
    assert floor, "Chart.yaml's kubeVersion is no >= range"
    return floor.group(1)


def default_versions() -> list[str]:
    return [_oldest_supported(), kubernetes.major_minor(kubernetes.latest_version())]


def _unknown(given: Any, read: Any, path: str) -> Iterator[str]:
    """The paths in `given` that `read` (the model's dump of it) has not kept."""
    if isinstance(given, dict):
        for key, value in given.items():
            if not isinstance(read, dict) or key not in read:
                yield f"{path}.{key}"
            else:
                yield from _unknown(value, read[key], f"{path}.{key}")
    elif isinstance(given, list) and isinstance(read, list):
        for n, (item, kept) in enumerate(zip(given, read, strict=False)):
            yield from _unknown(item, kept, f"{path}[{n}]")


def _service_monitor(resource: dict[str, Any]) -> list[str]:
    try:
        model = monitoring.ServiceMonitor.model_validate(resource)
    except pydantic.ValidationError as error:
        return [
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        ]
    read = model.model_dump(by_alias=True, exclude_unset=True, mode="json")
    return [f"{path.lstrip('.')}: unknown field" for path in _unknown(resource, read, "")]


def _built_in(resource: dict[str, Any], version: str) -> list[str]:
    try:
        kubernetes.validate(resource, version, strict=True)
    except kubernetes.ValidationError as error:
        return [f"{'.'.join(str(part) for part in error.path)}: {error.message}"]
    except kubernetes.SchemaNotFoundError as error:
        return [error.message]
    return []


def problems(resource: dict[str, Any], versions: list[str]) -> list[str]:
    """What is wrong with one resource, one line each (empty: valid)."""
    if resource.get("apiVersion") == "monitoring.coreos.com/v1":
        if resource.get("kind") == "ServiceMonitor":
            return _service_monitor(resource)
        return [f"no schema here for {resource.get('kind')}"]
    return [
        f"Kubernetes {version}: {problem}"
        for version in versions
        for problem in _built_in(resource, version)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubernetes-version", action="append", dest="versions")
    parser.add_argument("files", nargs="+", type=Path)
    arguments = parser.parse_args()
    versions = arguments.versions or default_versions()
    failed = False
    for file in arguments.files:
        resources = [r for r in yaml.safe_load_all(file.read_text()) if r]
        found = [] if resources else ["no resources"]
        for resource in resources:
            name = f"{resource.get('kind')}/{resource.get('metadata', {}).get('name')}"
            found += [f"{name}: {problem}" for problem in problems(resource, versions)]
        for problem in found:
            print(f"{file}: {problem}")
        if not found:
            kinds = ", ".join(sorted({str(r.get("kind")) for r in resources}))
            print(f"{file}: {len(resources)} valid (Kubernetes {', '.join(versions)}): {kinds}")
        failed = failed or bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
