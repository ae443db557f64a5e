#!/usr/bin/env python3
"""Refreshes gateway/http/static/graphiql/vendor/ from the npm registry: GraphiQL, its
explorer plugin, React and ReactDOM at the pinned versions below, as the UMD bundles and
CSS a browser loads.

Installs them with npm into a temporary folder, copies the files, and writes VERSIONS.json
(each vendored package: version, license, files with their SHA-256) and LICENSES.txt (the
license of every package npm installed for them, the ones bundled into GraphiQL's build
included). To upgrade: change a version here, run the script, run the browser tests.

    .venv/bin/python scripts/vendor_assets.py
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "gateway" / "http" / "static" / "graphiql" / "vendor"

# package -> (version, {file in the package: file name in TARGET})
PACKAGES: dict[str, tuple[str, dict[str, str]]] = {
    "react": ("18.3.1", {"umd/react.production.min.js": "react.production.min.js"}),
    "react-dom": ("18.3.1", {"umd/react-dom.production.min.js": "react-dom.production.min.js"}),
    "graphiql": (
        "4.1.2",
        {"graphiql.min.js": "graphiql.min.js", "graphiql.min.css": "graphiql.min.css"},
    ),
    "@graphiql/plugin-explorer": (
        "4.0.6",
        {"dist/index.umd.js": "plugin-explorer.umd.js", "dist/style.css": "plugin-explorer.css"},
    ),
}
# graphiql's peer dependency; its build bundles graphql-js, the install needs it to resolve.
PEERS = {"graphql": "16.11.0"}
LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "license", "LICENCE", "LICENSE-MIT")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="vendor-assets-") as tmp:
        work = Path(tmp)
        specs = [f"{name}@{version}" for name, (version, _) in PACKAGES.items()]
        specs += [f"{name}@{version}" for name, version in PEERS.items()]
        (work / "package.json").write_text('{"private": true}\n')
        subprocess.run(
            [
                "npm",
                "install",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--save-exact",
                *specs,
            ],
            cwd=work,
            check=True,
        )
        modules = work / "node_modules"
        versions = {
            name: copy_package(modules / name, files) for name, (_, files) in PACKAGES.items()
        }
        (TARGET / "VERSIONS.json").write_text(json.dumps(versions, indent=2) + "\n")
        (TARGET / "LICENSES.txt").write_text(licenses(modules))
    print(f"vendored {', '.join(specs)} into {TARGET.relative_to(ROOT)}")


def copy_package(package: Path, files: dict[str, str]) -> dict[str, object]:
    manifest = json.loads((package / "package.json").read_text())
    copied = {}
    for source, name in files.items():
        shutil.copyfile(package / source, TARGET / name)
        copied[name] = {
            "from": source,
            "sha256": hashlib.sha256((TARGET / name).read_bytes()).hexdigest(),
        }
    return {"version": manifest["version"], "license": manifest.get("license"), "files": copied}


def licenses(modules: Path) -> str:
    """Every installed package's name, version, license and license text, sorted by name."""
    parts: dict[str, str] = {}
    for manifest_path in sorted(modules.glob("**/package.json")):
        package = manifest_path.parent
        if package.parent.name != "node_modules" and package.parent.parent.name != "node_modules":
            continue  # a package.json inside a package (test fixtures, sub-builds)
        manifest = json.loads(manifest_path.read_text())
        if "name" not in manifest or "version" not in manifest:
            continue
        text = next(
            (
                (package / n).read_text(errors="replace")
                for n in LICENSE_NAMES
                if (package / n).is_file()
            ),
            "(no license file in the package)",
        )
        key = f"{manifest['name']}@{manifest['version']}"
        parts[key] = f"{'=' * 78}\n{key}: {manifest.get('license')}\n{'=' * 78}\n{text.strip()}\n"
    return "\n".join(parts[key] for key in sorted(parts))


if __name__ == "__main__":
    main()
