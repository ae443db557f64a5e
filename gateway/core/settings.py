"""All configuration: read once from the environment (GATEWAY_*), overridden by CLI flags.

`Settings` is frozen and validated when built; the CLI turns a validation error into a
clear message naming the variable, and the process does not start.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlparse

from pydantic import Field, ValidationInfo, field_serializer, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gateway.core.instances import ConnectInstance, instance_id_of, parse_instances
from gateway.core.rates import CONNECT_DEFAULT, CONNECT_QUOTAS, Rate, Rates, parse_rates

__all__ = [
    "EVENTS_TTL_ACTIVE_SECONDS",
    "EVENTS_TTL_CONTACT_DATA_SECONDS",
    "EVENTS_TTL_ENDED_SECONDS",
    "ConnectInstance",
    "Settings",
    "instance_id_of",
]

_ORIGIN = re.compile(r"^https?://[^/\s*]+$")

AUTH_METHODS = ("api-key", "jwt")
EVENTS_TTL_ENDED_SECONDS = 21_600.0
EVENTS_TTL_CONTACT_DATA_SECONDS = 3_600.0
EVENTS_TTL_ACTIVE_SECONDS = 60.0
_TRUE = ("1", "true", "on", "yes")

CommaList = Annotated[tuple[str, ...], NoDecode]


def _endpoints(value: str | None) -> dict[str, str]:
    """GATEWAY_CONNECT_ENDPOINT_URL: {"": url} for one URL, else {region: url}."""
    if not value:
        return {}
    if "=" not in value:
        return {"": value.strip()}
    endpoints = {}
    for pair in filter(None, (part.strip() for part in value.split(","))):
        region, equals, url = pair.partition("=")
        if not equals or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region.strip()):
            raise ValueError("must be a URL, or REGION=URL pairs (us-east-1=http://...,...)")
        endpoints[region.strip()] = url.strip()
    return endpoints


def _check_url(url: str) -> None:
    if urlparse(url).scheme not in ("http", "https"):
        raise ValueError("must be an http:// or https:// URL")


def _methods(auth: object) -> frozenset[str]:
    return frozenset(str(auth).split(",")) - {"none"} if auth else frozenset()


def _comma_list(value: object) -> object:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", frozen=True, extra="forbid")

    instance_id: str | None = None
    instances: Annotated[tuple[ConnectInstance, ...], NoDecode] = ()
    allowed_instances: CommaList = ()
    connect_endpoint_url: str | None = None
    s3_endpoint_url: str | None = None
    sts_endpoint_url: str | None = None
    region: str | None = None

    cache_url: str = "memory://"
    cache_cluster: Literal["auto", "on", "off"] = "auto"
    cache_namespace: str = "cgg"
    cache_timeout_seconds: float = Field(default=0.5, gt=0)
    ttl_ended_seconds: float = Field(default=900, ge=0)
    ttl_active_seconds: float = Field(default=5, ge=0)
    ttl_not_found_seconds: float = Field(default=30, ge=0)
    ttl_directory_seconds: float = Field(default=3600, ge=0)
    ttl_contact_data_seconds: float = Field(default=60, ge=0)
    ttl_search_seconds: float = Field(default=5, ge=0, le=3600)
    ttl_quality_seconds: float = Field(default=86400, ge=0)
    ttl_quality_running_seconds: float = Field(default=10, ge=0)
    stale_while_revalidate_seconds: float = Field(default=30, ge=0)
    stale_if_error_seconds: float = Field(default=3600, ge=0)
    response_cache: bool = True
    response_cache_mb: float = Field(default=64, gt=0, le=65536)
    memory_cache_mb: float = Field(default=64, gt=0, le=65536)

    quotas: Annotated[dict[str, Rate], NoDecode] = Field(default_factory=dict)
    quota_rate: float | Literal["off"] | None = None
    quota_burst: int | None = Field(default=None, ge=1)
    quota_wait_seconds: float = Field(default=5.0, ge=0)
    quota_headroom: float = Field(default=0.9, gt=0, le=1)
    quota_share: float = Field(default=0.8, gt=0, le=1)
    quota_replicas: int = Field(default=1, ge=1)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_reset_seconds: float = Field(default=10.0, gt=0)
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    shutdown_seconds: int = Field(default=20, ge=0, le=3600)
    no_cache_per_minute: int = Field(default=6, ge=0)
    caller_upstream_calls_per_minute: int = Field(default=300, ge=0)

    connect_max_concurrency: int = Field(default=16, ge=1, le=256)
    connect_connect_timeout: float = Field(default=2.0, gt=0)
    connect_read_timeout: float = Field(default=5.0, gt=0)
    connect_max_attempts: int = Field(default=3, ge=1, le=10)

    events: bool = False
    federation: bool = False
    max_subscriptions: int = Field(default=1000, ge=0)
    max_subscriptions_per_connection: int = Field(default=10, ge=1, le=100)
    max_subscriptions_per_caller: int = Field(default=100, ge=1)
    max_websockets_per_caller: int = Field(default=20, ge=1)
    max_event_body_bytes: int = Field(default=1_048_576, ge=262_144, le=16 * 1024 * 1024)

    cors_origins: CommaList = ()
    max_query_depth: int = Field(default=12, ge=2, le=100)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=5000, ge=100, le=100_000)
    max_cost: int = Field(default=500, ge=1)
    max_body_bytes: int = Field(default=65536, ge=1024, le=16 * 1024 * 1024)
    cursor_secret: str | None = Field(default=None, repr=False, min_length=32)
    trusted_documents: str | None = None
    trusted_documents_only: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    # Who may read what (gateway/http/auth/): no default with a real instance (_auth).
    auth: str | None = Field(default=None, validate_default=True)
    api_keys_file: Path | None = Field(default=None, validate_default=True)
    jwt_jwks_url: str | None = Field(default=None, validate_default=True)
    jwt_issuer: str | None = Field(default=None, validate_default=True)
    jwt_audience: str | None = Field(default=None, validate_default=True)
    jwt_scopes_claim: str | None = None
    jwt_audience_claim: str = Field(default="aud", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    jwt_leeway_seconds: float = Field(default=30, ge=0, le=300)
    jwt_jwks_ttl_seconds: float = Field(default=300, gt=0)
    jwt_jwks_refetch_seconds: float = Field(default=30, ge=0)
    graphiql: bool | None = None
    introspection: bool = True

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # uvicorn's event loop: uvloop when installed (the `fast` extra, in the image), else
    # asyncio's; or either by name.
    event_loop: Literal["auto", "asyncio", "uvloop"] = "auto"
    example_contact_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _event_ttls(cls, values: object) -> object:
        # With contact events flowing, a contact is updated by its events (what they carry)
        # and invalidated by them (what they cannot carry): its TTL only bounds staleness
        # when an event is lost, or for members no event carries, so it can be long.
        if isinstance(values, dict) and str(values.get("events", "")).lower() in _TRUE:
            values = dict(values)
            values.setdefault("ttl_ended_seconds", EVENTS_TTL_ENDED_SECONDS)
            values.setdefault("ttl_active_seconds", EVENTS_TTL_ACTIVE_SECONDS)
            values.setdefault("ttl_contact_data_seconds", EVENTS_TTL_CONTACT_DATA_SECONDS)
        return values

    _split = field_validator("allowed_instances", "cors_origins", mode="before")(_comma_list)

    @field_validator("quota_rate", mode="before")
    @classmethod
    def _quota_off(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in ("", "off"):
            return "off" if value.strip() else None
        return value

    @field_validator("quota_rate")
    @classmethod
    def _quota_rate(cls, value: float | str | None) -> float | str | None:
        if isinstance(value, float) and not value > 0:
            raise ValueError("must be a positive number of requests a second, or off")
        return value

    @field_validator("quotas", mode="before")
    @classmethod
    def _quotas(cls, value: object) -> object:
        return parse_rates(value) if isinstance(value, str) else value

    @field_serializer("quotas")
    def _quotas_text(self, value: dict[str, Rate]) -> str:
        return ",".join(f"{operation}={rate}" for operation, rate in value.items())

    @field_validator("instance_id")
    @classmethod
    def _instance_id(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else value.strip()

    @field_validator("instances", mode="before")
    @classmethod
    def _instances(cls, value: object) -> object:
        return parse_instances(value) if isinstance(value, str) else value

    @field_serializer("instances")
    def _instances_text(self, value: tuple[ConnectInstance, ...]) -> str:
        return json.dumps(
            [
                {"arn" if i.arn else "id": i.arn or i.id}
                | ({"role": i.role_arn} if i.role_arn else {})
                | ({"externalId": i.external_id} if i.external_id else {})
                for i in value
            ]
        )

    @field_validator("allowed_instances")
    @classmethod
    def _allowed(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(instance_id_of(item) for item in value)

    @field_validator("cache_url")
    @classmethod
    def _cache_url(cls, value: str) -> str:
        scheme = urlparse(value).scheme
        if scheme not in ("memory", "redis", "rediss"):
            raise ValueError("must be memory:// or redis://host:port/db")
        return value

    @field_validator("connect_endpoint_url")
    @classmethod
    def _connect_endpoint(cls, value: str | None) -> str | None:
        # One URL, or REGION=URL pairs (an emulator per region).
        for url in _endpoints(value).values():
            _check_url(url)
        return value or None

    @field_validator("s3_endpoint_url", "sts_endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value:
            _check_url(value)
        return value or None

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not _ORIGIN.match(origin):
                # A wildcard would let any web page read customer data with a user's access.
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
        return value

    @field_validator("trusted_documents")
    @classmethod
    def _manifest(cls, value: str | None) -> str | None:
        # A path only: the app reads the manifest when it is assembled (see
        # gateway.http.app.file_problems), refusing a bad one at start-up.
        return value or None

    @model_validator(mode="after")
    def _trusted_only(self) -> Settings:
        if self.trusted_documents_only and self.trusted_documents is None:
            raise ValueError("GATEWAY_TRUSTED_DOCUMENTS_ONLY needs GATEWAY_TRUSTED_DOCUMENTS")
        return self

    @field_validator("auth")
    @classmethod
    def _auth(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            if info.data.get("instance_id") is not None or info.data.get("instances"):
                raise ValueError(
                    "must be set with a real instance: api-key, jwt, api-key,jwt, or none "
                    "(only behind a proxy that authenticates callers itself)"
                )
            return None
        methods = {item.strip().lower() for item in value.split(",") if item.strip()}
        if methods == {"none"}:
            return "none"
        if not methods or not methods <= set(AUTH_METHODS):
            raise ValueError("must be api-key, jwt, api-key,jwt or none")
        return ",".join(m for m in AUTH_METHODS if m in methods)

    @field_validator("api_keys_file")
    @classmethod
    def _keys_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            if "api-key" in _methods(info.data.get("auth")):
                raise ValueError("is required with GATEWAY_AUTH=api-key")
            return None
        return value  # read when the app is assembled (gateway.http.app.file_problems)

    @field_validator("jwt_jwks_url", "jwt_issuer", "jwt_audience")
    @classmethod
    def _jwt(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = value.strip() if value else None
        if value is None and "jwt" in _methods(info.data.get("auth")):
            raise ValueError("is required with GATEWAY_AUTH=jwt")
        if value is not None and info.field_name == "jwt_jwks_url":
            url = urlparse(value)
            # Keys fetched in clear could be swapped on the way: only a local issuer may.
            loopback = url.hostname in ("127.0.0.1", "localhost", "::1")
            if url.scheme != "https" and not (url.scheme == "http" and loopback):
                raise ValueError("must be an https:// URL")
        return value

    @model_validator(mode="after")
    def _instance(self) -> Settings:
        if self.instance_id is not None:
            instance_id_of(self.instance_id)
            if self.instances and self.default_instance not in {i.id for i in self.instances}:
                raise ValueError("GATEWAY_INSTANCE_ID must be one of GATEWAY_INSTANCES")
        endpoints = _endpoints(self.connect_endpoint_url)
        if "" not in endpoints and endpoints:
            for instance in self.connect_instances:
                if (instance.region or self.aws_region) not in endpoints:
                    raise ValueError(
                        "GATEWAY_CONNECT_ENDPOINT_URL names no endpoint for region "
                        f"{instance.region or self.aws_region} (instance {instance.id})"
                    )
        return self

    @model_validator(mode="after")
    def _quota_burst(self) -> Settings:
        if self.quota_burst is not None and not isinstance(self.quota_rate, float):
            raise ValueError("GATEWAY_QUOTA_BURST needs GATEWAY_QUOTA_RATE (a number)")
        return self

    @property
    def rates(self) -> Rates | None:
        """The quota per Connect operation, None when the guard is off: Connect's defaults,
        or GATEWAY_QUOTA_RATE/BURST for every operation, and GATEWAY_QUOTAS over either."""
        if self.quota_rate == "off":
            return None
        if isinstance(self.quota_rate, float):
            burst = self.quota_burst or max(1, math.ceil(2 * self.quota_rate))
            return Rates(dict(self.quotas), Rate(self.quota_rate, burst))
        return Rates({**CONNECT_QUOTAS, **self.quotas}, CONNECT_DEFAULT)

    @property
    def auth_methods(self) -> frozenset[str]:
        """`api-key`, `jwt`, both, or none at all (GATEWAY_AUTH=none, or unset in demo)."""
        return _methods(self.auth)

    @property
    def graphiql_enabled(self) -> bool:
        return self.demo if self.graphiql is None else self.graphiql

    @property
    def demo(self) -> bool:
        """No Connect configured: the CLI starts the built-in emulator."""
        return self.instance_id is None and not self.instances and self.connect_endpoint_url is None

    def connect_endpoint(self, region: str | None) -> str | None:
        """Where the Connect calls of `region` go: GATEWAY_CONNECT_ENDPOINT_URL (one URL, or
        that region's), else AWS's endpoint (None)."""
        endpoints = _endpoints(self.connect_endpoint_url)
        return endpoints.get("", endpoints.get(region or ""))

    def s3_endpoint(self, region: str | None) -> str | None:
        """Where S3 calls go (path-style): GATEWAY_S3_ENDPOINT_URL, else with an emulator
        (GATEWAY_CONNECT_ENDPOINT_URL) its S3 at `<url>/_s3`, else AWS's endpoint (None)."""
        if self.s3_endpoint_url:
            return self.s3_endpoint_url
        connect = self.connect_endpoint(region)
        return None if connect is None else connect.rstrip("/") + "/_s3"

    def sts_endpoint(self, region: str | None) -> str | None:
        """Where AssumeRole goes: GATEWAY_STS_ENDPOINT_URL, else with an emulator the
        region's (it serves STS too), else AWS's regional endpoint (None)."""
        return self.sts_endpoint_url or self.connect_endpoint(region)

    @property
    def connect_instances(self) -> tuple[ConnectInstance, ...]:
        """The instances served, the default first: GATEWAY_INSTANCES (GATEWAY_INSTANCE_ID
        picks the default among them), or GATEWAY_INSTANCE_ID alone; none in demo mode."""
        if self.instances:
            default = self.default_instance
            return tuple(sorted(self.instances, key=lambda i: i.id != default))
        if self.instance_id is not None:
            return (ConnectInstance.parse(self.instance_id),)
        return ()

    def connect_instance(self, instance_id: str) -> ConnectInstance:
        """The listed instance, or (one of GATEWAY_ALLOWED_INSTANCES, or the emulator's) an
        instance in the default instance's account and region."""
        listed = {i.id: i for i in self.connect_instances}
        if instance_id in listed:
            return listed[instance_id]
        home = next(iter(listed.values()), ConnectInstance(instance_id))
        return ConnectInstance(
            instance_id, home.region, home.account, home.role_arn, home.external_id
        )

    @property
    def default_instance(self) -> str | None:
        """The instance a query without instanceId asks: GATEWAY_INSTANCE_ID, else the first
        of GATEWAY_INSTANCES."""
        if self.instance_id is not None:
            return instance_id_of(self.instance_id)
        return self.instances[0].id if self.instances else None

    @property
    def instance_ids(self) -> frozenset[str]:
        """The instances a query may name: every one served, and the allow-list."""
        return frozenset(self.allowed_instances) | {i.id for i in self.connect_instances}

    @property
    def aws_region(self) -> str | None:
        """GATEWAY_REGION, else the default instance's (from its ARN); None: boto3's."""
        if self.region:
            return self.region
        first = self.connect_instances[:1]
        return first[0].region if first else None
