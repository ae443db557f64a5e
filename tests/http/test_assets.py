"""Static assets: served from the package, cached for a year only under their digest, pages
confined to the gateway's own origin."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gateway.http.assets import STATIC, Assets
from tests.support import Gateway

ROOT = Path(__file__).parents[2]


def test_an_asset_under_its_digest_is_cached_for_a_year(gateway: Gateway) -> None:
    url = Assets().url("graphiql", "vendor/graphiql.min.js")

    response = gateway.http.get(url)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith(
        ("text/javascript", "application/javascript")
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == (STATIC / "graphiql/vendor/graphiql.min.js").read_bytes()


@pytest.mark.parametrize("query", ["", "?v=0123456789abcdef"], ids=["no-digest", "stale-digest"])
def test_an_asset_without_its_current_digest_is_revalidated(gateway: Gateway, query: str) -> None:
    response = gateway.http.get(f"/static/graphiql/graphiql.js{query}")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    again = gateway.http.get(
        f"/static/graphiql/graphiql.js{query}", headers={"if-none-match": response.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    ["/static/graphiql/missing.js", "/static/../settings.py", "/static/graphiql/%2e%2e/../app.py"],
)
def test_nothing_outside_the_static_folder(gateway: Gateway, path: str) -> None:
    assert gateway.http.get(path).status_code == 404


def test_assets_are_read_only(gateway: Gateway) -> None:
    response = gateway.http.post("/static/graphiql/graphiql.js")

    assert response.status_code == 405


def test_the_graphiql_page_loads_only_from_the_gateway(gateway: Gateway) -> None:
    page = gateway.http.get("/graphql", headers={"accept": "text/html"})

    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert "<script>" not in page.text, "no inline script: the policy forbids it"
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(urls) >= 7
    for url in urls:
        assert url.startswith("/static/graphiql/"), url
        assert gateway.http.get(url).status_code == 200, url


def test_vendored_versions_and_licenses_are_recorded() -> None:
    vendor = STATIC / "graphiql" / "vendor"
    versions = (vendor / "VERSIONS.json").read_text()
    licenses = (vendor / "LICENSES.txt").read_text()
    for package in ("graphiql", "react", "react-dom", "@graphiql/plugin-explorer"):
        assert f'"{package}"' in versions
        assert re.search(rf"^{re.escape(package)}@[\d.]+: MIT$", licenses, re.MULTILINE), package


@pytest.mark.long
def test_the_wheel_carries_the_static_files(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=600,
    )
    [wheel] = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"gateway/http/static/{path.relative_to(STATIC)}"
        for path in STATIC.rglob("*")
        if path.is_file()
    }
    assert expected <= names
    assert "gateway/http/static/graphiql/vendor/graphiql.min.js" in expected
