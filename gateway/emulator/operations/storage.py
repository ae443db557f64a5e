"""Where each instance keeps its media: ListInstanceStorageConfigs' answer, the same
bucket and prefixes the seeded recordings' Locations name (`gateway.emulator.world.analytics`)
and the emulator's S3 serves (`gateway.emulator.operations.media`).

Every instance stores call recordings and chat transcripts, KMS-encrypted, in the bucket
MEDIA_BUCKET under `connect/<instanceId>/CallRecordings` and `.../ChatTranscripts` (Contact
Lens writes its output files beside them, under `connect/<instanceId>/Analysis`), and
streams live media to Kinesis Video Streams with the prefix `connect-live`. Other resource
types have no storage configured (an empty list).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from gateway.emulator.operations.lookups import instance_of
from gateway.emulator.operations.paging import page
from gateway.emulator.protocol.errors import ConnectError
from gateway.emulator.protocol.model import connect_model
from gateway.emulator.world.dataset import DEMO_ACCOUNT_ID, DEMO_REGION, Dataset

__all__ = [
    "MEDIA_BUCKET",
    "analysis_prefix",
    "list_instance_storage_configs",
    "recordings_prefix",
    "storage_configs",
    "transcripts_prefix",
]

MEDIA_BUCKET = "example-connect-media"
_KEY = "key/5b0e1c7e-4a1f-4a53-9d0c-2f4c1b7d8e90"


def recordings_prefix(instance_id: str) -> str:
    return f"connect/{instance_id}/CallRecordings"


def transcripts_prefix(instance_id: str) -> str:
    return f"connect/{instance_id}/ChatTranscripts"


def analysis_prefix(instance_id: str) -> str:
    """Where Contact Lens writes its output files (`Analysis/Voice/...`, `Analysis/Chat/...`)."""
    return f"connect/{instance_id}/Analysis"


def storage_configs(
    instance_id: str,
    resource_type: str,
    region: str = DEMO_REGION,
    account: str = DEMO_ACCOUNT_ID,
) -> list[dict[str, Any]]:
    """The instance's InstanceStorageConfigs for `resource_type`, encrypted with a KMS key
    of its region and account."""
    encryption = {"EncryptionType": "KMS", "KeyId": f"arn:aws:kms:{region}:{account}:{_KEY}"}
    if resource_type in ("CALL_RECORDINGS", "CHAT_TRANSCRIPTS"):
        prefix = (recordings_prefix if resource_type == "CALL_RECORDINGS" else transcripts_prefix)(
            instance_id
        )
        s3 = {"BucketName": MEDIA_BUCKET, "BucketPrefix": prefix, "EncryptionConfig": encryption}
        config: dict[str, Any] = {"StorageType": "S3", "S3Config": s3}
    elif resource_type == "MEDIA_STREAMS":
        video = {"Prefix": "connect-live", "RetentionPeriodHours": 24}
        config = {"StorageType": "KINESIS_VIDEO_STREAM", "KinesisVideoStreamConfig": video}
        video["EncryptionConfig"] = encryption
    else:
        return []
    digest = hashlib.sha256(f"{instance_id}:{resource_type}".encode()).hexdigest()
    return [{"AssociationId": digest, **config}]


def list_instance_storage_configs(dataset: Dataset, params: Mapping[str, Any]) -> dict[str, Any]:
    instance = instance_of(dataset, params)
    kind = params["ResourceType"]
    allowed: list[str] = connect_model().shape_for("InstanceStorageResourceType").enum  # type: ignore[attr-defined]
    if kind not in allowed:
        message = (
            f"Value '{kind}' at 'resourceType' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
        raise ConnectError("InvalidParameterException", message)
    query = {"InstanceId": instance.id, "ResourceType": kind}
    size = params.get("MaxResults") or 10
    items, token = page(
        storage_configs(instance.id, kind, instance.region, instance.account),
        size,
        params.get("NextToken"),
        query,
    )
    return {"StorageConfigs": items, "NextToken": token}
