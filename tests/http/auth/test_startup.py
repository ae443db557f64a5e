"""Production defaults: no start without a decision on authentication, nor with a bad
keys file; and the command that makes API keys."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.core.settings import Settings
from gateway.http.app import create_app, file_problems
from gateway.http.auth.keys import ApiKeys


def _serve(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    return subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--port", "0"],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_real_instance_without_gateway_auth_does_not_start() -> None:
    result = _serve(GATEWAY_INSTANCE_ID="aaaa-1111")

    assert result.returncode != 0
    assert "GATEWAY_AUTH: Value error, must be set with a real instance" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_keys_file_stops_the_start(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [{"id": "x", "sha256": "abc", "scopes": []}]}))

    result = _serve(
        GATEWAY_INSTANCE_ID="aaaa-1111", GATEWAY_AUTH="api-key", GATEWAY_API_KEYS_FILE=str(keys)
    )

    assert result.returncode != 0
    assert "GATEWAY_API_KEYS_FILE: keys[0].sha256 must be 64" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "is not JSON"),
        ('{"keys": {}}', "must be"),
        (
            '{"keys": [{"id": "a", "sha256": "' + "0" * 64 + '", "scopes": ["contacts:reed"]}]}',
            "unknown scope 'contacts:reed'",
        ),
        (
            '{"keys": [{"id": "a", "sha256": "' + "0" * 64 + '", "scopes": []},'
            ' {"id": "a", "sha256": "' + "1" * 64 + '", "scopes": []}]}',
            "two keys have the same id",
        ),
    ],
)
def test_keys_files_are_checked(tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(document)

    with pytest.raises(ValueError, match=message):
        ApiKeys.load(path)


def test_a_missing_keys_file_is_named(tmp_path: Path) -> None:
    settings = Settings(
        instance_id="aaaa-1111", auth="api-key", api_keys_file=tmp_path / "absent.json"
    )
    (problem,) = file_problems(settings)
    assert problem.startswith("GATEWAY_API_KEYS_FILE: cannot read")
    with pytest.raises(ValueError, match="cannot read"):
        create_app(settings)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"auth": "jwt"}, "jwt_jwks_url"),
        ({"auth": "api-key"}, "api_keys_file"),
        ({"auth": "password"}, "auth"),
        (
            {
                "auth": "jwt",
                "jwt_jwks_url": "http://idp.example.com/jwks",
                "jwt_issuer": "i",
                "jwt_audience": "a",
            },
            "jwt_jwks_url",
        ),
    ],
)
def test_incomplete_or_unsafe_authentication_is_refused(
    settings: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(instance_id="aaaa-1111", **settings)  # type: ignore[arg-type]

    assert field in {str(error["loc"][0]) for error in raised.value.errors()}


def test_demo_and_emulator_settings_need_no_authentication() -> None:
    assert Settings().auth_methods == frozenset()
    assert Settings().graphiql_enabled
    assert not Settings(instance_id="aaaa-1111", auth="none").graphiql_enabled


def test_the_api_key_command_prints_a_key_and_its_entry(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway",
            "api-key",
            "--id",
            "dashboard",
            "--scope",
            "contacts:read",
            "--scope",
            "instance:aaaa-1111",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()

    key = out[0].rsplit(" ", 1)[1]
    entry = json.loads(out[-1])
    assert entry == {
        "id": "dashboard",
        "sha256": hashlib.sha256(key.encode()).hexdigest(),
        "scopes": ["contacts:read", "instance:aaaa-1111"],
    }
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": [entry]}))
    caller = ApiKeys.load(path).caller(key)
    assert caller is not None
    assert caller.id == "key:dashboard"
    assert ApiKeys.load(path).caller(key + "x") is None
