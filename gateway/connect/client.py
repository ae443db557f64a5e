"""Connect's API as coroutines: one route per account and region (where Connect counts its
quotas), each with its boto3 clients (Connect, `connect-contact-lens` for calls' real-time
analysis, S3 for Contact Lens' output files and presigned recording URLs), its quota and its
breakers; calls run off the event loop in one bounded pool. A route for an instance in
another account signs with a role assumed through STS, refreshed by botocore before the
credentials expire."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore import xform_name
from botocore.config import Config
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    CredentialProvider,
    Credentials,
    DeferredRefreshableCredentials,
)

from gateway.connect.breaker import Breaker, State
from gateway.connect.errors import translate
from gateway.connect.quota import Quota
from gateway.connect.wire import MAX_RESULTS
from gateway.core import deadline
from gateway.core.clock import SYSTEM, Clock
from gateway.core.errors import GatewayError, UpstreamThrottled, UpstreamUnavailable
from gateway.core.instances import ConnectInstance
from gateway.core.records import Record
from gateway.core.settings import Settings
from gateway.observability import tracing
from gateway.observability.metrics import Metrics

__all__ = ["ConnectClient", "Record", "Route", "to_json"]

log = logging.getLogger(__name__)


# Only for an emulator: with an endpoint_url and no credentials found the boto3 way.
_BACKOFF_BASE, _BACKOFF_CAP = 0.1, 2.0  # seconds: full-jitter exponential backoff
_MOST_THROTTLED_ATTEMPTS = 20  # a call Connect keeps throttling: tried at most this often
_EMULATOR_KEYS = {"aws_access_key_id": "emulator", "aws_secret_access_key": "emulator"}
_EMULATOR_CREDENTIALS = {"access_key": "emulator", "secret_key": "emulator"}


Scope = tuple[str | None, str | None, str | None]
"""(account, region, role): see ConnectInstance.scope."""


@dataclass
class Route:
    """The boto3 clients, quota and breakers of one account and region."""

    connect_client: Any
    lens_client: Any
    s3_client: Any
    quota: Quota
    account: str
    region: str
    breakers: dict[str, Breaker] = field(default_factory=dict)

    def close(self) -> None:
        for client in (self.connect_client, self.lens_client, self.s3_client):
            client.close()


class ConnectClient:
    """Connect's API as coroutines returning `Record`s or raising `GatewayError`s; each
    call goes the way of its instance's account and region."""

    def __init__(
        self,
        routes: dict[Scope, Route],
        settings: Settings,
        metrics: Metrics,
        clock: Clock = SYSTEM,
    ) -> None:
        self._routes = routes
        self._settings = settings
        self.clock = clock
        """What the gateway reads time from (breakers, searches' "now")."""
        self._pool = ThreadPoolExecutor(
            settings.connect_max_concurrency, thread_name_prefix="connect"
        )
        self._metrics = metrics
        self._attempts = settings.connect_max_attempts
        self.longest_call = (
            settings.connect_max_attempts
            * (
                settings.connect_connect_timeout
                + settings.connect_read_timeout
                + settings.quota_wait_seconds
                + _BACKOFF_CAP
            )
            + 1
        )
        """Seconds a call can take at most, retries and quota waits included."""
        self._by_client = {
            id(client): route
            for route in routes.values()
            for client in (route.connect_client, route.lens_client, route.s3_client)
        }

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        quotas: Callable[[str], Quota],
        metrics: Metrics,
        clock: Clock = SYSTEM,
    ) -> ConnectClient:
        """A route for each account and region of the instances served (and, for instances
        named only in GATEWAY_ALLOWED_INSTANCES, the default instance's). `quotas` makes
        the quota of one account and region, given its name ("<account>/<region>")."""
        config = Config(
            connect_timeout=settings.connect_connect_timeout,
            read_timeout=settings.connect_read_timeout,
            max_pool_connections=settings.connect_max_concurrency,
            retries={"mode": "standard", "total_max_attempts": 1},  # the gateway retries
            user_agent_extra="connect-graphql-gateway",
        )
        base = boto3.session.Session(botocore_session=_session(), region_name=settings.aws_region)
        instances = list(settings.connect_instances) or [settings.connect_instance("")]
        routes: dict[Scope, Route] = {}
        for instance in instances:
            if instance.scope not in routes:
                routes[instance.scope] = _route(settings, base, instance, config, quotas)
        return cls(routes, settings, metrics, clock)

    def route(self, instance_id: str) -> Route:
        """The route of `instance_id`: its account and region's clients and quota."""
        return self._routes[self._settings.connect_instance(instance_id).scope]

    async def read(
        self, operation: str, what: str, instance_id: str, member: str | None, **params: Any
    ) -> Record:
        """One read of Connect named by its operation (`DescribeUser`): the answer's
        `member` (None: the whole answer), as JSON. What most kinds fetch
        (gateway/data/kinds.py's `Read`): a new kind of this shape needs no method here."""
        client = self.route(instance_id).connect_client
        method = getattr(client, xform_name(operation))
        response = await self._call(method, what, InstanceId=instance_id, **params)
        record: Record = to_json(response[member] if member is not None else response)
        return record

    async def write(
        self, operation: str, instance_id: str, *, replay_safe: bool, **params: Any
    ) -> Record:
        """One write to Connect named by its operation (`UpdateContact`): its answer, as
        JSON. A throttled attempt was not carried out and is tried again, like a read's;
        an attempt whose answer is lost (a 5xx, a timeout) may have been, so it is tried
        again only if `replay_safe`: the write sets values (doing it twice is doing it
        once) or carries a ClientToken (Connect answers the first call's answer again).
        botocore would make a new ClientToken for each attempt: the caller passes one."""
        method = getattr(self.route(instance_id).connect_client, xform_name(operation))
        response = await self._call(
            method, "contact", replay_safe=replay_safe, InstanceId=instance_id, **params
        )
        answer: Record = to_json(response)  # without botocore's ResponseMetadata
        return answer

    async def get_contact_attributes(self, instance_id: str, initial_contact_id: str) -> Record:
        response = await self._call(
            self.route(instance_id).connect_client.get_contact_attributes,
            "contact",
            InstanceId=instance_id,
            InitialContactId=initial_contact_id,
        )
        return dict(response.get("Attributes", {}))

    async def list_contact_references(self, instance_id: str, contact_id: str) -> list[Record]:
        """Every reference of the contact, of every type, all pages. Connect takes at most
        `max` types a call (6 today): the types go in groups, together, a call a page."""
        client = self.route(instance_id).connect_client
        shape: Any = client.meta.service_model.shape_for("ReferenceTypes")
        every, size = shape.member.enum, shape.metadata.get("max", 6)
        groups = [every[n : n + size] for n in range(0, len(every), size)]
        pages = await asyncio.gather(
            *(self._references(instance_id, contact_id, group) for group in groups)
        )
        return [reference for page in pages for reference in page]

    async def _references(
        self, instance_id: str, contact_id: str, types: list[str]
    ) -> list[Record]:
        params: dict[str, Any] = {
            "InstanceId": instance_id,
            "ContactId": contact_id,
            "ReferenceTypes": types,
        }
        method = self.route(instance_id).connect_client.list_contact_references
        references, _ = await self._pages(method, "contact", "ReferenceSummaryList", **params)
        return references

    async def list_associated_contacts(self, instance_id: str, contact_id: str) -> list[Record]:
        """The contact's whole tree (AssociatedContactSummary records), every page, 100 a
        page (Connect's most)."""
        params: dict[str, Any] = {
            "InstanceId": instance_id,
            "ContactId": contact_id,
            "MaxResults": MAX_RESULTS,  # Connect's most
        }
        method = self.route(instance_id).connect_client.list_associated_contacts
        summaries, _ = await self._pages(method, "contact", "ContactSummaryList", **params)
        return summaries

    async def search_contacts(self, **params: Any) -> Record:
        client = self.route(params["InstanceId"]).connect_client
        response = await self._call(client.search_contacts, "instance", **params)
        record: Record = to_json(response)
        return record

    # --- Quality data: Contact Lens, evaluations, where recordings are ----------------------

    async def list_realtime_contact_analysis_segments_v2(
        self, instance_id: str, contact_id: str, output_type: str, segment_types: list[str]
    ) -> Record:
        """A chat's real-time analysis (Connect's V2): Channel, Status and every page's
        Segments."""
        params: dict[str, Any] = {
            "InstanceId": instance_id,
            "ContactId": contact_id,
            "OutputType": output_type,
            "SegmentTypes": segment_types,
            "MaxResults": MAX_RESULTS,
        }
        method = self.route(instance_id).connect_client.list_realtime_contact_analysis_segments_v2
        segments, last = await self._pages(method, "analysis", "Segments", **params)
        return {"Channel": last.get("Channel"), "Status": last.get("Status"), "Segments": segments}

    async def list_realtime_contact_analysis_segments(
        self, instance_id: str, contact_id: str
    ) -> list[Record]:
        """A call's real-time analysis segments (connect-contact-lens), every page."""
        params: dict[str, Any] = {
            "InstanceId": instance_id,
            "ContactId": contact_id,
            "MaxResults": MAX_RESULTS,
        }
        method = self.route(instance_id).lens_client.list_realtime_contact_analysis_segments
        segments, _ = await self._pages(method, "analysis", "Segments", **params)
        return segments

    async def list_contact_evaluations(self, instance_id: str, contact_id: str) -> list[Record]:
        """The contact's evaluations (EvaluationSummary records), every page."""
        params: dict[str, Any] = {"InstanceId": instance_id, "ContactId": contact_id}
        method = self.route(instance_id).connect_client.list_contact_evaluations
        summaries, _ = await self._pages(method, "contact", "EvaluationSummaryList", **params)
        return summaries

    async def list_instance_storage_configs(
        self, instance_id: str, resource_type: str
    ) -> list[Record]:
        """The instance's storage configs of `resource_type` (CALL_RECORDINGS...), every page."""
        params: dict[str, Any] = {"InstanceId": instance_id, "ResourceType": resource_type}
        method = self.route(instance_id).connect_client.list_instance_storage_configs
        configs, _ = await self._pages(method, "instance", "StorageConfigs", **params)
        return configs

    async def list_object_keys(self, instance_id: str, bucket: str, prefix: str) -> list[str]:
        """The keys under `prefix` in `bucket` of the instance's account (S3 ListObjectsV2,
        every page)."""
        s3_client = self.route(instance_id).s3_client
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        items, _ = await self._pages(
            s3_client.list_objects_v2,
            "object",
            "Contents",
            token=("ContinuationToken", "NextContinuationToken"),
            **params,
        )
        return [item["Key"] for item in items]

    async def get_object_bytes(self, instance_id: str, bucket: str, key: str) -> bytes:
        """An S3 object's body (GetObject), read whole in the same guarded call."""
        body: bytes = await self._call(
            self.route(instance_id).s3_client.get_object,
            "object",
            then=_read_body,
            Bucket=bucket,
            Key=key,
        )
        return body

    async def presigned_get(self, instance_id: str, bucket: str, key: str, expires_in: int) -> str:
        """A presigned S3 GET URL (SigV4), made by botocore here: no call to AWS. Off the
        event loop, since the credentials it signs with may be refreshed first."""
        method = self.route(instance_id).s3_client.generate_presigned_url
        params = {"Bucket": bucket, "Key": key}
        url: str = await asyncio.get_running_loop().run_in_executor(
            self._pool,
            functools.partial(method, "get_object", Params=params, ExpiresIn=expires_in),
        )
        return url

    async def _pages(
        self,
        method: Callable[..., Any],
        what: str,
        items: str,
        *,
        token: tuple[str, str] = ("NextToken", "NextToken"),
        **params: Any,
    ) -> tuple[list[Any], Record]:
        """Every page of a paginated operation, each page one guarded call (`_call`): the
        `items` member of them all, and the last page (for its other members). `token`
        names the request's and the answer's continuation token members."""
        asked, answered = token
        found: list[Any] = []
        while True:
            page = await self._call(method, what, **params)
            found += to_json(page.get(items, []))
            if not page.get(answered):
                return found, page
            params[asked] = page[answered]

    async def _call(
        self,
        method: Callable[..., Any],
        what: str,
        *,
        then: Callable[[Any], Any] | None = None,
        replay_safe: bool = True,
        **params: Any,
    ) -> Any:
        """One Connect call, retried (up to GATEWAY_CONNECT_MAX_ATTEMPTS, within the
        request's deadline) when Connect throttles or fails (fails: only if `replay_safe`,
        see `write`); with the quota guard on, Connect's 429s are retried further, while the
        caller's quota wait allows (`_guarded_call`). Each attempt passes the
        operation's breaker and takes its own turn of the quota: botocore's own retries are
        off, since they would bypass it. `method` is a method of any of the boto3 clients
        (its own client names the operation); `then` runs on the answer in the same thread
        (reading a streamed body), inside the attempt."""
        client = method.__self__  # type: ignore[attr-defined]
        route = self._by_client[id(client)]
        operation = client.meta.method_to_api_mapping[method.__name__]
        with tracing.connect_span(operation):
            return await self._guarded_call(
                route, operation, method, what, then, replay_safe, **params
            )

    async def _guarded_call(
        self,
        route: Route,
        operation: str,
        method: Callable[..., Any],
        what: str,
        then: Callable[[Any], Any] | None = None,
        replay_safe: bool = True,
        **params: Any,
    ) -> Any:
        breaker = route.breakers.get(operation)
        if breaker is None:
            breaker = route.breakers[operation] = Breaker(
                self._settings.breaker_failures, self._settings.breaker_reset_seconds, self.clock
            )
        labels = (operation, route.region, route.account)
        # A 429 of Connect's is someone else spending the account's quota: with the quota
        # guard on, it is retried beyond GATEWAY_CONNECT_MAX_ATTEMPTS while the caller's
        # wait (GATEWAY_QUOTA_WAIT_SECONDS, from the first attempt) and deadline allow, each
        # retry taking its turn of the guard, which Connect's 429 has slowed.
        absorbs = route.quota.rates is not None
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            breaker.before(operation)
            try:
                waited = await route.quota.take(operation)
            except BaseException:
                breaker.abandoned()  # refused or cancelled before calling: no verdict
                raise
            self._metrics.quota_wait.labels(*labels).observe(waited)
            tracing.annotate(quota_wait_seconds=waited, retries=attempt - 1)
            try:
                call = functools.partial(method, **params)
                if then is not None:
                    call = functools.partial(_then, call, then)
                return await self._send(labels, breaker, call, what)
            except (UpstreamThrottled, UpstreamUnavailable) as error:
                if isinstance(error, UpstreamThrottled):
                    # Connect's own 429: the account's quota is spent by others too.
                    await route.quota.throttled(operation)
                pause = random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt))
                if pause >= deadline.remaining():
                    raise
                if isinstance(error, UpstreamUnavailable):
                    if attempt >= self._attempts or not replay_safe:
                        raise  # not replay_safe: it may have been carried out, never resent
                elif attempt >= self._attempts and not (
                    absorbs
                    and attempt < _MOST_THROTTLED_ATTEMPTS
                    and time.monotonic() + pause - started < route.quota.wait
                ):
                    raise
                await asyncio.sleep(pause)

    async def _send(
        self,
        labels: tuple[str, str, str],
        breaker: Breaker,
        call: Callable[[], Any],
        what: str,
    ) -> Any:
        """One attempt, off the event loop; its outcome goes to the breaker and metrics.
        Only Connect's answer counts: a cancelled attempt is neither success nor failure."""
        outcome = "cancelled"
        try:
            with self._metrics.upstream_latency.labels(*labels).time():
                result = await asyncio.get_running_loop().run_in_executor(self._pool, call)
            outcome = "ok"
            return result
        except asyncio.CancelledError:
            raise
        except Exception as error:
            translated = error if isinstance(error, GatewayError) else translate(error, what)
            outcome = translated.code if isinstance(translated, GatewayError) else "unexpected"
            if translated is error:
                raise
            raise translated from error
        finally:
            if outcome == UpstreamUnavailable.code:
                breaker.failed()
            elif outcome == "cancelled":
                breaker.abandoned()
            else:
                breaker.succeeded()
            self._metrics.breaker_open.labels(*labels).set(breaker.state is State.OPEN)
            operation, region, account = labels
            self._metrics.upstream_calls.labels(operation, outcome, region, account).inc()
            tracing.annotate(outcome=outcome)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        for route in self._routes.values():
            route.close()


def _route(
    settings: Settings,
    base: boto3.session.Session,
    instance: ConnectInstance,
    config: Config,
    quotas: Callable[[str], Quota],
) -> Route:
    """The clients of `instance`'s account and region: signed with boto3's credentials, or
    with `instance.role_arn` assumed through STS (refreshed before they expire)."""
    region = instance.region or base.region_name
    endpoint = settings.connect_endpoint(region)
    kwargs: dict[str, Any] = {"region_name": region}
    if endpoint is not None:
        kwargs["endpoint_url"] = endpoint
        kwargs["region_name"] = region or "us-east-1"
    found = base.get_credentials()  # boto3's chain, walked once
    source = found
    if source is None and endpoint is not None:
        log.info("no AWS credentials found; using placeholder ones for the emulator")
        source = Credentials(**_EMULATOR_CREDENTIALS)
    session = base
    if instance.role_arn is not None:
        session = _assumed(settings, base, instance, config, source, kwargs["region_name"])
    elif source is not None and found is None:
        kwargs.update(_EMULATOR_KEYS)
    connect = session.client("connect", config=config, **kwargs)
    # Contact Lens: the same region and endpoint handling (an emulator serves both).
    lens = session.client("connect-contact-lens", config=config, **kwargs)
    s3_kwargs = {k: v for k, v in kwargs.items() if k != "endpoint_url"}
    s3_config = config.merge(Config(signature_version="s3v4"))
    s3_endpoint = settings.s3_endpoint(region)
    if s3_endpoint:
        s3_kwargs["endpoint_url"] = s3_endpoint
        s3_kwargs["region_name"] = kwargs["region_name"]
        s3_config = s3_config.merge(Config(s3={"addressing_style": "path"}))
    s3 = session.client("s3", config=s3_config, **s3_kwargs)
    account = instance.account or "default"
    return Route(
        connect, lens, s3, quotas(f"{account}/{region}"), account, str(kwargs["region_name"])
    )


def _session() -> botocore.session.Session:
    """A fresh botocore session that reads service models through the process's one
    loader: each session would otherwise parse them again (Connect's, S3's, endpoints:
    some 0.2 s of CPU), for every route and every app of the process."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader(core.get_config_variable("data_path")))
    return core


@functools.cache
def _loader(data_path: str | None) -> botocore.loaders.Loader:
    return botocore.loaders.create_loader(data_path)


class _AssumedRole(CredentialProvider):
    METHOD = "assume-role"

    def __init__(self, fetcher: AssumeRoleCredentialFetcher) -> None:
        self._fetcher = fetcher

    def load(self) -> DeferredRefreshableCredentials:
        return DeferredRefreshableCredentials(
            refresh_using=self._fetcher.fetch_credentials, method=self.METHOD
        )


def _assumed(
    settings: Settings,
    base: boto3.session.Session,
    instance: ConnectInstance,
    config: Config,
    source: Credentials | None,
    region: str | None,
) -> boto3.session.Session:
    """A session whose credentials are `instance.role_arn`'s, fetched by botocore's own
    AssumeRole fetcher (with the external ID when there is one) and refreshed by botocore
    before they expire (its advisory window: 15 minutes ahead)."""
    if source is None:
        raise ValueError(f"no AWS credentials to assume {instance.role_arn} with")
    assert instance.role_arn is not None
    sts = functools.partial(
        base.client, config=config, region_name=region, endpoint_url=settings.sts_endpoint(region)
    )
    extra: dict[str, Any] = {"RoleSessionName": "connect-graphql-gateway"}
    if instance.external_id is not None:
        extra["ExternalId"] = instance.external_id
    fetcher = AssumeRoleCredentialFetcher(sts, source, instance.role_arn, extra_args=extra)
    core = _session()
    resolver = core.get_component("credential_provider")
    resolver.insert_before("env", _AssumedRole(fetcher))
    return boto3.session.Session(botocore_session=core, region_name=region)


def _then(call: Callable[[], Any], then: Callable[[Any], Any]) -> Any:
    return then(call())


def _read_body(response: Any) -> bytes:
    body: bytes = response["Body"].read()
    return body


def to_json(value: Any) -> Any:
    """A boto3 response value made JSON-safe: datetimes become ISO-8601 strings in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    return value
