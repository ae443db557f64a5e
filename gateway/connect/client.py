"""One boto3 Connect client per process, called off the event loop in a bounded pool; beside
it the `connect-contact-lens` client (calls' real-time analysis) and an S3 client (Contact
Lens' output files, presigned recording URLs), their calls guarded the same way."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from gateway.connect.breaker import Breaker, State
from gateway.connect.errors import translate
from gateway.connect.quota import Quota
from gateway.connect.wire import MAX_RESULTS
from gateway.core import deadline
from gateway.core.clock import SYSTEM, Clock
from gateway.core.errors import GatewayError, UpstreamThrottled, UpstreamUnavailable
from gateway.core.settings import Settings
from gateway.observability import tracing
from gateway.observability.metrics import Metrics

if TYPE_CHECKING:
    from mypy_boto3_connect import ConnectClient as BotoConnectClient

__all__ = ["ConnectClient", "Record", "to_json"]

log = logging.getLogger(__name__)

Record = dict[str, Any]
"""An entity as Connect returns it (member names as in the API), JSON-safe:
timestamps are ISO-8601 strings in UTC, so records cache as JSON unchanged."""

# Only for an emulator: with an endpoint_url and no credentials found the boto3 way.
_BACKOFF_BASE, _BACKOFF_CAP = 0.1, 2.0  # seconds: full-jitter exponential backoff
_EMULATOR_CREDENTIALS = {"aws_access_key_id": "emulator", "aws_secret_access_key": "emulator"}


class ConnectClient:
    """Connect's API as coroutines returning `Record`s or raising `GatewayError`s."""

    def __init__(
        self,
        client: BotoConnectClient,
        settings: Settings,
        quota: Quota,
        metrics: Metrics,
        clock: Clock = SYSTEM,
        lens_client: Any = None,
        s3_client: Any = None,
    ) -> None:
        self._client = client
        self._lens_client = lens_client
        self._s3_client = s3_client
        self.clock = clock
        """What the gateway reads time from (breakers, searches' "now")."""
        self._pool = ThreadPoolExecutor(
            settings.connect_max_concurrency, thread_name_prefix="connect"
        )
        self._quota, self._metrics = quota, metrics
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
        self._breakers: dict[str, Breaker] = defaultdict(
            lambda: Breaker(settings.breaker_failures, settings.breaker_reset_seconds, clock)
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, quota: Quota, metrics: Metrics, clock: Clock = SYSTEM
    ) -> ConnectClient:
        config = Config(
            connect_timeout=settings.connect_connect_timeout,
            read_timeout=settings.connect_read_timeout,
            max_pool_connections=settings.connect_max_concurrency,
            retries={"mode": "standard", "total_max_attempts": 1},  # the gateway retries
            user_agent_extra="connect-graphql-gateway",
        )
        session = boto3.session.Session(region_name=settings.aws_region)
        kwargs: dict[str, Any] = {}
        if settings.connect_endpoint_url:
            kwargs["endpoint_url"] = settings.connect_endpoint_url
            if session.region_name is None:
                kwargs["region_name"] = "us-east-1"
            if session.get_credentials() is None:
                log.info("no AWS credentials found; using placeholder ones for the emulator")
                kwargs.update(_EMULATOR_CREDENTIALS)
        client = session.client("connect", config=config, **kwargs)
        # Contact Lens: the same region and endpoint handling (an emulator serves both).
        lens_client = session.client("connect-contact-lens", config=config, **kwargs)
        s3_kwargs = {k: v for k, v in kwargs.items() if k != "endpoint_url"}
        s3_config = config.merge(Config(signature_version="s3v4"))
        if settings.s3_endpoint:
            s3_kwargs["endpoint_url"] = settings.s3_endpoint
            s3_kwargs.setdefault("region_name", session.region_name or "us-east-1")
            s3_config = s3_config.merge(Config(s3={"addressing_style": "path"}))
        s3_client = session.client("s3", config=s3_config, **s3_kwargs)
        return cls(client, settings, quota, metrics, clock, lens_client, s3_client)

    async def describe_contact(self, instance_id: str, contact_id: str) -> Record:
        return await self._describe(
            self._client.describe_contact,
            "contact",
            "Contact",
            ContactId=contact_id,
            InstanceId=instance_id,
        )

    async def describe_user(self, instance_id: str, user_id: str) -> Record:
        return await self._describe(
            self._client.describe_user, "agent", "User", UserId=user_id, InstanceId=instance_id
        )

    async def describe_queue(self, instance_id: str, queue_id: str) -> Record:
        return await self._describe(
            self._client.describe_queue, "queue", "Queue", QueueId=queue_id, InstanceId=instance_id
        )

    async def _describe(
        self, method: Callable[..., Any], what: str, member: str, **params: Any
    ) -> Record:
        response = await self._call(method, what, **params)
        record: Record = to_json(response[member])
        return record

    async def get_contact_attributes(self, instance_id: str, initial_contact_id: str) -> Record:
        response = await self._call(
            self._client.get_contact_attributes,
            "contact",
            InstanceId=instance_id,
            InitialContactId=initial_contact_id,
        )
        return dict(response.get("Attributes", {}))

    async def list_contact_references(self, instance_id: str, contact_id: str) -> list[Record]:
        """Every reference of the contact, of every type, all pages. Connect takes at most
        `max` types a call (6 today): the types go in groups, together, a call a page."""
        shape: Any = self._client.meta.service_model.shape_for("ReferenceTypes")
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
        references: list[Record] = []
        while True:
            page = await self._call(self._client.list_contact_references, "contact", **params)
            references += to_json(page.get("ReferenceSummaryList", []))
            if not page.get("NextToken"):
                return references
            params["NextToken"] = page["NextToken"]

    async def list_associated_contacts(self, instance_id: str, contact_id: str) -> list[Record]:
        """The contact's whole tree (AssociatedContactSummary records), every page, 100 a
        page (Connect's most)."""
        params: dict[str, Any] = {
            "InstanceId": instance_id,
            "ContactId": contact_id,
            "MaxResults": MAX_RESULTS,  # Connect's most
        }
        summaries: list[Record] = []
        while True:
            page = await self._call(self._client.list_associated_contacts, "contact", **params)
            summaries += to_json(page.get("ContactSummaryList", []))
            if not page.get("NextToken"):
                return summaries
            params["NextToken"] = page["NextToken"]

    async def search_contacts(self, **params: Any) -> Record:
        response = await self._call(self._client.search_contacts, "instance", **params)
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
        segments: list[Record] = []
        while True:
            page = await self._call(
                self._client.list_realtime_contact_analysis_segments_v2, "analysis", **params
            )
            segments += to_json(page.get("Segments", []))
            if not page.get("NextToken"):
                return {"Channel": page.get("Channel"), "Status": page.get("Status"),
                        "Segments": segments}  # fmt: skip
            params["NextToken"] = page["NextToken"]

    async def list_realtime_contact_analysis_segments(
        self, instance_id: str, contact_id: str
    ) -> list[Record]:
        """A call's real-time analysis segments (connect-contact-lens), every page."""
        params: dict[str, Any] = {
            "InstanceId": instance_id,
            "ContactId": contact_id,
            "MaxResults": MAX_RESULTS,
        }
        segments: list[Record] = []
        while True:
            page = await self._call(
                self._lens_client.list_realtime_contact_analysis_segments, "analysis", **params
            )
            segments += to_json(page.get("Segments", []))
            if not page.get("NextToken"):
                return segments
            params["NextToken"] = page["NextToken"]

    async def list_contact_evaluations(self, instance_id: str, contact_id: str) -> list[Record]:
        """The contact's evaluations (EvaluationSummary records), every page."""
        params: dict[str, Any] = {"InstanceId": instance_id, "ContactId": contact_id}
        summaries: list[Record] = []
        while True:
            page = await self._call(self._client.list_contact_evaluations, "contact", **params)
            summaries += to_json(page.get("EvaluationSummaryList", []))
            if not page.get("NextToken"):
                return summaries
            params["NextToken"] = page["NextToken"]

    async def describe_contact_evaluation(self, instance_id: str, evaluation_id: str) -> Record:
        """{"Evaluation": ..., "EvaluationForm": ...}"""
        response = await self._call(
            self._client.describe_contact_evaluation,
            "evaluation",
            InstanceId=instance_id,
            EvaluationId=evaluation_id,
        )
        record: Record = to_json(response)
        return record

    async def list_instance_storage_configs(
        self, instance_id: str, resource_type: str
    ) -> list[Record]:
        """The instance's storage configs of `resource_type` (CALL_RECORDINGS...), every page."""
        params: dict[str, Any] = {"InstanceId": instance_id, "ResourceType": resource_type}
        configs: list[Record] = []
        while True:
            page = await self._call(
                self._client.list_instance_storage_configs, "instance", **params
            )
            configs += to_json(page.get("StorageConfigs", []))
            if not page.get("NextToken"):
                return configs
            params["NextToken"] = page["NextToken"]

    async def list_object_keys(self, bucket: str, prefix: str) -> list[str]:
        """The keys under `prefix` in `bucket` (S3 ListObjectsV2, every page)."""
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        keys: list[str] = []
        while True:
            page = await self._call(self._s3_client.list_objects_v2, "object", **params)
            keys += [item["Key"] for item in page.get("Contents", [])]
            if not page.get("IsTruncated") or not page.get("NextContinuationToken"):
                return keys
            params["ContinuationToken"] = page["NextContinuationToken"]

    async def get_object_bytes(self, bucket: str, key: str) -> bytes:
        """An S3 object's body (GetObject), read whole in the same guarded call."""
        body: bytes = await self._call(
            self._s3_client.get_object, "object", then=_read_body, Bucket=bucket, Key=key
        )
        return body

    async def presigned_get(self, bucket: str, key: str, expires_in: int) -> str:
        """A presigned S3 GET URL (SigV4), made by botocore here: no call to AWS. Off the
        event loop, since the credentials it signs with may be refreshed first."""
        method = self._s3_client.generate_presigned_url
        params = {"Bucket": bucket, "Key": key}
        url: str = await asyncio.get_running_loop().run_in_executor(
            self._pool,
            functools.partial(method, "get_object", Params=params, ExpiresIn=expires_in),
        )
        return url

    async def _call(
        self,
        method: Callable[..., Any],
        what: str,
        *,
        then: Callable[[Any], Any] | None = None,
        **params: Any,
    ) -> Any:
        """One Connect call, retried (up to GATEWAY_CONNECT_MAX_ATTEMPTS, within the
        request's deadline) when Connect throttles or fails. Each attempt passes the
        operation's breaker and takes its own turn of the quota: botocore's own retries are
        off, since they would bypass it. `method` is a method of any of the boto3 clients
        (its own client names the operation); `then` runs on the answer in the same thread
        (reading a streamed body), inside the attempt."""
        client = getattr(method, "__self__", self._client)
        operation = client.meta.method_to_api_mapping[method.__name__]
        with tracing.connect_span(operation):
            return await self._guarded_call(operation, method, what, then, **params)

    async def _guarded_call(
        self,
        operation: str,
        method: Callable[..., Any],
        what: str,
        then: Callable[[Any], Any] | None = None,
        **params: Any,
    ) -> Any:
        breaker = self._breakers[operation]
        for attempt in range(1, self._attempts + 1):
            breaker.before(operation)
            try:
                waited = await self._quota.take(operation)
            except BaseException:
                breaker.abandoned()  # refused or cancelled before calling: no verdict
                raise
            self._metrics.quota_wait.labels(operation).observe(waited)
            tracing.annotate(quota_wait_seconds=waited, retries=attempt - 1)
            try:
                call = functools.partial(method, **params)
                if then is not None:
                    call = functools.partial(_then, call, then)
                return await self._send(operation, breaker, call, what)
            except (UpstreamThrottled, UpstreamUnavailable) as error:
                if isinstance(error, UpstreamThrottled):
                    # Connect's own 429: the account's quota is spent by others too.
                    await self._quota.throttled(operation)
                pause = random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt))
                if attempt == self._attempts or pause >= deadline.remaining():
                    raise
                await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _send(
        self, operation: str, breaker: Breaker, call: Callable[[], Any], what: str
    ) -> Any:
        """One attempt, off the event loop; its outcome goes to the breaker and metrics.
        Only Connect's answer counts: a cancelled attempt is neither success nor failure."""
        outcome = "cancelled"
        try:
            with self._metrics.upstream_latency.labels(operation).time():
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
            self._metrics.breaker_open.labels(operation).set(breaker.state is State.OPEN)
            self._metrics.upstream_calls.labels(operation, outcome).inc()
            tracing.annotate(outcome=outcome)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()
        for other in (self._lens_client, self._s3_client):
            if other is not None:
                other.close()


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
