"""The package installed as the image installs it (tests/test_dockerfile.py checks the
Dockerfile says so): the runtime from deploy/requirements.lock with every hash checked,
into a fresh virtualenv, then the built wheel alone (no editable install, no sources on
the path). That install holds no emulator (a distribution of its own,
gateway/emulator/pyproject.toml): without an instance it says how to get one and stops;
with the emulator's wheel beside it, the demo serves GraphiQL with its assets and the
journey page."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests import web
from tests.support import Process

pytestmark = pytest.mark.long(8)  # processes and builds: scheduled first

ROOT = Path(__file__).resolve().parents[1]
UV = Path(sys.executable).parent / "uv"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the locked runtime and the wheel: its bin directory."""
    assert UV.exists(), "uv (the dev extra) installs the lockfile fast, from its cache"
    base = tmp_path_factory.mktemp("image")
    wheels, env = base / "wheels", base / "venv"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(ROOT),
            str(ROOT / "gateway" / "emulator"),
        ],
        check=True,
        timeout=600,
    )
    venv.create(env, with_pip=False)
    python = str(env / "bin" / "python")
    lock = ROOT / "deploy" / "requirements.lock"
    install = [str(UV), "pip", "install", "--quiet", "--python", python]
    subprocess.run([*install, "--require-hashes", "-r", str(lock)], check=True, timeout=600)
    [wheel] = wheels.glob("connect_graphql_gateway-*.whl")
    subprocess.run([*install, "--no-deps", str(wheel)], check=True, timeout=600)
    return env / "bin"


def test_the_installed_package_is_the_wheel(installed: Path) -> None:
    where = subprocess.run(
        [str(installed / "python"), "-c", "import gateway; print(gateway.__file__)"],
        cwd=installed,  # not the checkout: its gateway/ must not be the one imported
        env={"PATH": str(installed), "HOME": str(installed.parent)},  # nor PYTHONPATH's
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "site-packages" in where
    assert str(ROOT / "gateway") not in where


def test_the_production_install_has_no_emulator_and_says_how_to_get_one(
    installed: Path,
) -> None:
    [wheel] = (installed.parent.parent / "wheels").glob("connect_graphql_gateway-*.whl")
    assert not [name for name in zipfile.ZipFile(wheel).namelist() if "/emulator/" in name]
    env = {"PATH": str(installed), "HOME": str(installed.parent)}
    for command in (["serve"], ["emulator"]):
        stopped = subprocess.run(
            [str(installed / "connect-gateway"), *command],
            cwd=installed, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert stopped.returncode != 0
        assert "pip install connect-gateway-emulator" in stopped.stderr
        assert "GATEWAY_INSTANCE_ID" in stopped.stderr


def test_with_the_emulator_the_demo_serves_graphiql_and_the_journey(installed: Path) -> None:
    [wheel] = (installed.parent.parent / "wheels").glob("connect_gateway_emulator-*.whl")
    python = str(installed / "python")
    subprocess.run(
        [str(UV), "pip", "install", "--quiet", "--python", python, "--no-deps", str(wheel)],
        check=True,
        timeout=600,
    )
    env = {"PATH": str(installed), "HOME": str(installed.parent)}
    process = Process("serve", "--port", "0", env=env, python=python, cwd=str(installed))
    try:
        match, _ = process.wait_for(r"serving GraphQL at (http://[\d.]+:\d+)/graphql")
        url = match.group(1)
        page = web.get(f"{url}/graphql", headers={"accept": "text/html"}, timeout=30)
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="(/static/graphiql/[^"]+)"', page.text)
        assert any("vendor" in asset for asset in assets), assets
        for asset in assets:
            served = web.get(f"{url}{asset}", timeout=30)
            assert served.status_code == 200, asset
            assert served.content, asset
        journey = web.get(f"{url}/journey", headers={"accept": "text/html"}, timeout=30)
        assert journey.status_code == 200
        scripts = re.findall(r'(?:src|href)="(/static/journey/[^"]+)"', journey.text)
        assert scripts
        for asset in scripts:
            assert web.get(f"{url}{asset}", timeout=30).status_code == 200, asset
    finally:
        process.stop()
    shutil.rmtree(installed.parent, ignore_errors=True)
