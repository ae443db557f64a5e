from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.core.settings import Settings


def test_lists_from_comma_separated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", "https://desk.example.com, http://localhost:3000")
    monkeypatch.setenv(
        "GATEWAY_ALLOWED_INSTANCES", "aaaa-1,arn:aws:connect:eu-west-2:123456789012:instance/bbbb-2"
    )
    monkeypatch.setenv("GATEWAY_INSTANCE_ID", "arn:aws:connect:eu-west-2:123456789012:instance/cc")
    monkeypatch.setenv("GATEWAY_AUTH", "none")

    settings = Settings()

    assert settings.cors_origins == ("https://desk.example.com", "http://localhost:3000")
    assert settings.instances == {"aaaa-1", "bbbb-2", "cc"}
    assert settings.default_instance == "cc"
    assert settings.aws_region == "eu-west-2"
    assert not settings.demo


def test_demo_when_nothing_is_configured() -> None:
    settings = Settings()
    assert settings.demo
    assert settings.instances == frozenset()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cors_origins", "*", "is not an origin"),
        ("cache_url", "memcached://x", "must be memory:// or redis://"),
        ("instance_id", "arn:aws:s3:::bucket", "is not a Connect instance ID"),
        ("connect_endpoint_url", "ftp://x", "must be an http:// or https:// URL"),
        ("ttl_active_seconds", "-1", "greater than or equal to 0"),
    ],
)
def test_unsafe_or_invalid_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, field: str, value: str, message: str
) -> None:
    monkeypatch.setenv("GATEWAY_AUTH", "none")
    monkeypatch.setenv(f"GATEWAY_{field.upper()}", value)

    with pytest.raises(ValidationError, match=message):
        Settings()


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        Settings().port = 1  # type: ignore[misc]
