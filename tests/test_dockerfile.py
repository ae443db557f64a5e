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
    [base] = _instructions("FROM")
    assert re.fullmatch(r"python:3\.1[1-9]-slim", base)
    [user] = _instructions("USER")
    assert user not in ("root", "0")
    assert "useradd" in DOCKERFILE


def test_healthcheck_and_command() -> None:
    assert "HEALTHCHECK" in DOCKERFILE
    assert "/healthz" in DOCKERFILE
    [command] = _instructions("CMD")
    assert command.startswith('["connect-gateway", "serve", "--host", "0.0.0.0"')


def test_copied_files_exist_and_are_not_ignored() -> None:
    for line in _instructions("COPY"):
        *sources, _ = line.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source not in IGNORED, source


def test_pinned_install() -> None:
    assert "--constraint constraints.txt" in DOCKERFILE
