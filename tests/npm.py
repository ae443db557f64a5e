"""npm for the tests, one at a time on this machine.

Each xdist worker runs a module's fixtures itself, so two workers can reach the same
`npm ci` at once: in one directory they delete each other's files (a fresh clone's CI once
failed so). `pytest-xdist`'s `xdist_group` cannot keep them apart on pytest 9.2 (it renames
`item._nodeid`, which pytest no longer reads), so an exclusive file lock does.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK = Path(tempfile.gettempdir()) / f"connect-graphql-gateway-npm-{os.getuid()}.lock"


@contextmanager
def npm_lock() -> Iterator[None]:
    """Held while npm installs or builds: one holder across processes (released if the
    holder dies)."""
    with LOCK.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def npm(directory: Path, *args: str) -> str:
    """Runs `npm args` in directory, failing with npm's own output."""
    done = subprocess.run(
        ["npm", *args], cwd=directory, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def run_id() -> str:
    """The same for every worker of one pytest run (a lone process makes its own)."""
    return os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"


NODE = Path(__file__).parent / "node"
"""tests/node: the Node tools the tests run (graphql-http's audit, Apollo's federation)."""


def install_node_tools() -> Path:
    """tests/node's pinned packages, installed by npm (once; again when a pin changes)."""
    with npm_lock():
        wanted = json.loads((NODE / "package.json").read_text())["dependencies"]
        installed = NODE / "node_modules"
        if not all(
            (installed / name / "package.json").is_file()
            and json.loads((installed / name / "package.json").read_text())["version"] == version
            for name, version in wanted.items()
        ):
            npm(NODE, "ci", "--no-audit", "--no-fund", "--loglevel=error")
    return NODE
