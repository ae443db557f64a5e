"""Strawberry types for Connect's Contact and its nested structures.

Each is built from a `Record` (Connect's JSON, member names as in the API) by
`from_record`; field names are the camelCase of Connect's member names and
descriptions are Connect's own documentation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from gateway.api.docs import doc
from gateway.api.enums import Channel, ContactInitiationMethod, enum_value
from gateway.connect import Record

__all__ = [
    "AgentHierarchyGroup",
    "AgentInfo",
    "ContactFields",
    "DeviceInfo",
    "HierarchyGroups",
    "QueueInfo",
    "WisdomInfo",
    "timestamp",
]


def timestamp(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _member(shape: str, name: str) -> Any:
    return strawberry.field(default=None, description=doc(shape, name))


@strawberry.type(description=doc("AgentHierarchyGroup"))
class AgentHierarchyGroup:
    arn: str | None = _member("AgentHierarchyGroup", "Arn")

    @classmethod
    def from_record(cls, record: Record | None) -> AgentHierarchyGroup | None:
        return None if record is None else cls(arn=record.get("Arn"))


@strawberry.type(description=doc("HierarchyGroups"))
class HierarchyGroups:
    level1: AgentHierarchyGroup | None = _member("HierarchyGroups", "Level1")
    level2: AgentHierarchyGroup | None = _member("HierarchyGroups", "Level2")
    level3: AgentHierarchyGroup | None = _member("HierarchyGroups", "Level3")
    level4: AgentHierarchyGroup | None = _member("HierarchyGroups", "Level4")
    level5: AgentHierarchyGroup | None = _member("HierarchyGroups", "Level5")

    @classmethod
    def from_record(cls, record: Record | None) -> HierarchyGroups | None:
        if record is None:
            return None
        return cls(
            **{
                f"level{n}": AgentHierarchyGroup.from_record(record.get(f"Level{n}"))
                for n in range(1, 6)
            }
        )


@strawberry.type(description=doc("DeviceInfo"))
class DeviceInfo:
    platform_name: str | None = _member("DeviceInfo", "PlatformName")
    platform_version: str | None = _member("DeviceInfo", "PlatformVersion")
    operating_system: str | None = _member("DeviceInfo", "OperatingSystem")

    @classmethod
    def from_record(cls, record: Record | None) -> DeviceInfo | None:
        if record is None:
            return None
        return cls(
            platform_name=record.get("PlatformName"),
            platform_version=record.get("PlatformVersion"),
            operating_system=record.get("OperatingSystem"),
        )


@strawberry.type(description=doc("AgentInfo"))
class AgentInfo:
    id: strawberry.ID | None = _member("AgentInfo", "Id")
    accepted_by_agent_timestamp: datetime | None = _member("AgentInfo", "AcceptedByAgentTimestamp")
    preview_end_timestamp: datetime | None = _member("AgentInfo", "PreviewEndTimestamp")
    connected_to_agent_timestamp: datetime | None = _member(
        "AgentInfo", "ConnectedToAgentTimestamp"
    )
    agent_pause_duration_in_seconds: int | None = _member(
        "AgentInfo", "AgentPauseDurationInSeconds"
    )
    hierarchy_groups: HierarchyGroups | None = _member("AgentInfo", "HierarchyGroups")
    device_info: DeviceInfo | None = _member("AgentInfo", "DeviceInfo")
    after_contact_work_duration: int | None = _member("AgentInfo", "AfterContactWorkDuration")
    after_contact_work_start_timestamp: datetime | None = _member(
        "AgentInfo", "AfterContactWorkStartTimestamp"
    )
    after_contact_work_end_timestamp: datetime | None = _member(
        "AgentInfo", "AfterContactWorkEndTimestamp"
    )
    agent_initiated_hold_duration: int | None = _member("AgentInfo", "AgentInitiatedHoldDuration")

    @classmethod
    def from_record(cls, record: Record | None) -> AgentInfo | None:
        if record is None:
            return None
        return cls(
            id=record.get("Id"),
            accepted_by_agent_timestamp=timestamp(record.get("AcceptedByAgentTimestamp")),
            preview_end_timestamp=timestamp(record.get("PreviewEndTimestamp")),
            connected_to_agent_timestamp=timestamp(record.get("ConnectedToAgentTimestamp")),
            agent_pause_duration_in_seconds=record.get("AgentPauseDurationInSeconds"),
            hierarchy_groups=HierarchyGroups.from_record(record.get("HierarchyGroups")),
            device_info=DeviceInfo.from_record(record.get("DeviceInfo")),
            after_contact_work_duration=record.get("AfterContactWorkDuration"),
            after_contact_work_start_timestamp=timestamp(
                record.get("AfterContactWorkStartTimestamp")
            ),
            after_contact_work_end_timestamp=timestamp(record.get("AfterContactWorkEndTimestamp")),
            agent_initiated_hold_duration=record.get("AgentInitiatedHoldDuration"),
        )


@strawberry.type(description=doc("QueueInfo"))
class QueueInfo:
    id: strawberry.ID | None = _member("QueueInfo", "Id")
    enqueue_timestamp: datetime | None = _member("QueueInfo", "EnqueueTimestamp")

    @classmethod
    def from_record(cls, record: Record | None) -> QueueInfo | None:
        if record is None:
            return None
        return cls(id=record.get("Id"), enqueue_timestamp=timestamp(record.get("EnqueueTimestamp")))


@strawberry.type(description=doc("WisdomInfo"))
class WisdomInfo:
    session_arn: str | None = _member("WisdomInfo", "SessionArn")

    @classmethod
    def from_record(cls, record: Record | None) -> WisdomInfo | None:
        return None if record is None else cls(session_arn=record.get("SessionArn"))


@strawberry.type
class ContactFields:
    """The plain members of Connect's Contact; `Contact` adds the links."""

    id: strawberry.ID = strawberry.field(description=doc("Contact", "Id"))
    instance_id: strawberry.ID = strawberry.field(
        description="The identifier of the Amazon Connect instance the contact belongs to."
    )
    arn: str | None = _member("Contact", "Arn")
    channel: Channel | None = _member("Contact", "Channel")
    initiation_method: ContactInitiationMethod | None = _member("Contact", "InitiationMethod")
    name: str | None = _member("Contact", "Name")
    description: str | None = _member("Contact", "Description")
    initiation_timestamp: datetime | None = _member("Contact", "InitiationTimestamp")
    disconnect_timestamp: datetime | None = _member("Contact", "DisconnectTimestamp")
    last_update_timestamp: datetime | None = _member("Contact", "LastUpdateTimestamp")
    scheduled_timestamp: datetime | None = _member("Contact", "ScheduledTimestamp")
    initial_contact_id: strawberry.ID | None = _member("Contact", "InitialContactId")
    previous_contact_id: strawberry.ID | None = _member("Contact", "PreviousContactId")
    related_contact_id: strawberry.ID | None = _member("Contact", "RelatedContactId")
    contact_association_id: strawberry.ID | None = _member("Contact", "ContactAssociationId")
    disconnect_reason: str | None = _member("Contact", "DisconnectReason")
    agent_info: AgentInfo | None = _member("Contact", "AgentInfo")
    queue_info: QueueInfo | None = _member("Contact", "QueueInfo")
    wisdom_info: WisdomInfo | None = _member("Contact", "WisdomInfo")

    @staticmethod
    def fields_of(instance_id: str, record: Record) -> dict[str, Any]:
        return {
            "id": record["Id"],
            "instance_id": instance_id,
            "arn": record.get("Arn"),
            "channel": enum_value(Channel, record.get("Channel")),
            "initiation_method": enum_value(
                ContactInitiationMethod, record.get("InitiationMethod")
            ),
            "name": record.get("Name"),
            "description": record.get("Description"),
            "initiation_timestamp": timestamp(record.get("InitiationTimestamp")),
            "disconnect_timestamp": timestamp(record.get("DisconnectTimestamp")),
            "last_update_timestamp": timestamp(record.get("LastUpdateTimestamp")),
            "scheduled_timestamp": timestamp(record.get("ScheduledTimestamp")),
            "initial_contact_id": record.get("InitialContactId"),
            "previous_contact_id": record.get("PreviousContactId"),
            "related_contact_id": record.get("RelatedContactId"),
            "contact_association_id": record.get("ContactAssociationId"),
            "disconnect_reason": record.get("DisconnectReason"),
            "agent_info": AgentInfo.from_record(record.get("AgentInfo")),
            "queue_info": QueueInfo.from_record(record.get("QueueInfo")),
            "wisdom_info": WisdomInfo.from_record(record.get("WisdomInfo")),
        }
