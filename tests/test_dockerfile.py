"""What can be checked of the image without a Docker engine: the Dockerfile's promises,
and that what it copies exists and is not excluded by .dockerignore."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
IGNORED = {
    line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()
}


def _instructions(name: str) -> list[str]:
    return re.findall(rf"^{name}\s+(.+?)$", DOCKERFILE, flags=re.MULTILINE)


def test_slim_base_non_root_user() -> None:
    *_, base = _instructions("FROM")  # the image is the last stage
    assert re.fullmatch(r"python:3\.1[1-9]-slim", base)
    [user] = _instructions("USER")
    assert user.split(":")[0] not in ("root", "0")
    assert "useradd" in DOCKERFILE


def test_read_only_root_filesystem_and_stop_signal() -> None:
    # The only writable places are volumes: the gateway's own directory (owned by its user,
    # 0700, which a Fargate bind mount keeps) as TMPDIR, and /tmp; SIGTERM starts the
    # graceful shutdown.
    assert _instructions("VOLUME") == ['["/var/lib/gateway", "/tmp"]']
    assert "TMPDIR=/var/lib/gateway" in DOCKERFILE
    assert "chown 10001:10001 /var/lib/gateway" in DOCKERFILE
    assert "chmod 0700 /var/lib/gateway" in DOCKERFILE
    [user] = _instructions("USER")
    assert user == "10001:10001"
    assert _instructions("STOPSIGNAL") == ["SIGTERM"]


def test_healthcheck_and_command() -> None:
    assert "HEALTHCHECK" in DOCKERFILE
    assert "/healthz" in DOCKERFILE
    [command] = _instructions("CMD")
    assert command.startswith('["connect-gateway", "serve", "--host", "0.0.0.0"')


def test_copied_files_exist_and_are_not_ignored() -> None:
    for line in _instructions("COPY"):
        if line.startswith("--from="):
            continue  # from a build stage, not from the context
        *sources, _ = line.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source not in IGNORED, source


def test_hashed_install() -> None:
    # Every dependency from the hashed lockfiles; the package itself without dependencies.
    assert "--require-hashes --requirement deploy/requirements.lock" in DOCKERFILE
    assert "--require-hashes --requirement deploy/build-requirements.lock" in DOCKERFILE
    assert "--no-build-isolation" in DOCKERFILE
    installs = re.findall(r"pip install ([^\\&\n]+)", DOCKERFILE)
    assert installs, "no pip install"
    for arguments in installs:
        assert "--require-hashes" in arguments or "--no-deps" in arguments, arguments
