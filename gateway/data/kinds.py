"""The kinds of entity the store keeps, each declared once: everything a Connect-backed
entity needs, in one place (docs/architecture.md#adding-a-field-or-a-write).

A kind says how to fetch one entity by (instance, id) and how long it is fresh, and also:
- `fetch`: most kinds are one Connect read, a `Read` (the operation, the parameter the ID
  goes in, the answer's member): `ConnectClient.read` makes it, nothing else to write;
- `operations`: the AWS operations its fetch calls (`service:Operation`, boto3's service
  names; a `Read`'s own by default), so that the task role allows exactly them
  (tests/test_deploy.py reads this table);
- `calls`: the most upstream calls one fetch makes (a page each), what the cost limit
  counts for a field whose resolver declares `metadata=loads(kind)` (gateway/api/members.py;
  gateway/api/cost.py reads it);
- `shape` and `members`: the botocore shape of its records and the class
  scripts/generate_types.py writes for it (its GraphQL members), for kinds read whole;
- `invalidated_by`: which contact events make a cached one wrong (`updatedProperties` of
  CONTACT_DATA_UPDATED, or `ANY_UPDATE`, `ANY_EVENT`, `OTHER_PROPERTIES`), and `scope`: the
  contacts of the event whose entries it drops; a kind no event names says why in
  `not_invalidated`;
- `personal`: "none", "members" (some members are, classified in
  gateway/api/personal_data.py or marked on their fields), or "all" (only for callers with
  contacts:pii; kept apart from what others may read). A kind's shape is classified
  member by member in gateway/api/personal_data.py when "members"; when "none", the kind
  says it here, once.
tests/data/test_kinds.py fails for a kind without an invalidation rule, a cost, a
personal-data class or an operation the task role allows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from gateway.connect import ConnectClient
from gateway.core.settings import Settings
from gateway.data.quality import (
    evaluation_ttl,
    evaluations_ttl,
    fetch_evaluation,
    fetch_transcript,
    transcript_ttl,
)

__all__ = [
    "AGENT",
    "ANY_EVENT",
    "ANY_UPDATE",
    "ASSOCIATED",
    "ATTRIBUTES",
    "CONTACT",
    "EVALUATION",
    "EVALUATIONS",
    "HOURS",
    "KINDS",
    "NAMED",
    "OTHER_PROPERTIES",
    "QUEUE",
    "RAW_TRANSCRIPT",
    "REFERENCES",
    "REFERENCE_GROUPS",
    "STORAGE",
    "TASK_TEMPLATE",
    "TRANSCRIPT",
    "Kind",
    "Read",
]

ANY_EVENT = "*event"
"""Every contact event, state events included (what no event can carry, e.g. a tree)."""
ANY_UPDATE = "*update"
"""Every CONTACT_DATA_UPDATED, whatever it names (data that changes without its own event)."""
OTHER_PROPERTIES = "*other"
"""A CONTACT_DATA_UPDATED naming a property no kind names (the name, the description...)."""

REFERENCE_GROUPS = 3
"""ListContactReferences calls for one contact: Connect takes at most 6 of its reference
types a call (botocore's model; tests check this number against it), a page each."""

Personal = Literal["none", "members", "all"]
Scope = Literal["contact", "chain", "tree"]


@dataclass(frozen=True)
class Read:
    """A fetch that is one Connect read: `operation` (`DescribeUser`) with the entity's ID
    as `parameter` (and the instance's as InstanceId); the entity is the answer's `member`
    (None: the whole answer, as GetTaskTemplate gives it)."""

    operation: str
    parameter: str
    member: str | None
    what: str

    async def __call__(self, connect: ConnectClient, instance_id: str, entity_id: str) -> Any:
        params = {self.parameter: entity_id}
        return await connect.read(self.operation, self.what, instance_id, self.member, **params)


@dataclass(frozen=True)
class Kind:
    """A kind of entity (the module's docstring says what each member is for). A fetch may
    take a fourth argument, the `hint` its reader passes to `EntityStore.get` (what else it
    needs, e.g. the contact's record)."""

    name: str
    fetch: Callable[..., Awaitable[Any]]
    ttl: Callable[[Settings, Any], float]
    personal: Personal
    operations: tuple[str, ...] = ()  # a Read's own when empty
    calls: int = 1
    invalidated_by: frozenset[str] = frozenset()
    scope: Scope = "contact"
    not_invalidated: str | None = None
    # How long past its TTL an entry is still served, flagged with its age, while one
    # background refresh runs (None: GATEWAY_STALE_WHILE_REVALIDATE_SECONDS, unflagged).
    stale_for: Callable[[Settings], float] | None = None
    # Its records keep their sources (gateway/data/sources.py): freshness per member.
    sourced: bool = False
    shape: str | None = None
    members: str | None = None

    def __post_init__(self) -> None:
        if not self.operations and isinstance(self.fetch, Read):
            object.__setattr__(self, "operations", (f"connect:{self.fetch.operation}",))

    def key(self, instance_id: str, entity_id: str) -> str:
        return f"{self.name}:v2:{instance_id}:{entity_id}"

    def tag(self, instance_id: str, entity_id: str) -> str:
        """The entity's name in invalidations and response cache tags."""
        return f"{self.name}:{instance_id}:{entity_id}"

    def dropped_by(self, updated: frozenset[str] | None, named: frozenset[str]) -> bool:
        """Whether an event drops this kind's entries: a state event (`updated` None) or a
        CONTACT_DATA_UPDATED naming `updated`; `named` is every property some kind names."""
        if ANY_EVENT in self.invalidated_by:
            return True
        if updated is None:
            return False
        if ANY_UPDATE in self.invalidated_by or self.invalidated_by & updated:
            return True
        return OTHER_PROPERTIES in self.invalidated_by and bool(updated - named)


def _contact_ttl(settings: Settings, record: Any) -> float:
    # Ended: disconnected, and out of after-contact work (its end is still to come).
    agent = record.get("AgentInfo") or {}
    working = agent.get("ConnectedToAgentTimestamp") and not agent.get(
        "AfterContactWorkEndTimestamp"
    )
    if record.get("DisconnectTimestamp") and not working:
        return settings.ttl_ended_seconds
    return settings.ttl_active_seconds


def _directory_ttl(settings: Settings, _: Any) -> float:
    return settings.ttl_directory_seconds


def _contact_data_ttl(settings: Settings, _: Any) -> float:
    return settings.ttl_contact_data_seconds


def _tree_ttl(settings: Settings, summaries: Any) -> float:
    # A tree grows while a contact of it is active, and later too (a callback, a reply):
    # an active tree is fresh as long as an active contact, an ended one as contact data.
    if any(not summary.get("DisconnectTimestamp") for summary in summaries):
        return settings.ttl_active_seconds
    return settings.ttl_contact_data_seconds


_DIRECTORY = "directory data: no contact event names it; GATEWAY_TTL_DIRECTORY_SECONDS bounds it"

CONTACT = Kind(
    "contact", Read("DescribeContact", "ContactId", "Contact", "contact"), _contact_ttl,
    personal="members",
    # State events are merged into it (gateway/data/event_records.py), not dropped.
    invalidated_by=frozenset({OTHER_PROPERTIES}), sourced=True,
)  # fmt: skip
AGENT = Kind(
    "agent", Read("DescribeUser", "UserId", "User", "agent"), _directory_ttl,
    personal="members", not_invalidated=_DIRECTORY,
)  # fmt: skip
QUEUE = Kind(
    "queue", Read("DescribeQueue", "QueueId", "Queue", "queue"), _directory_ttl,
    personal="none", not_invalidated=_DIRECTORY,
)  # fmt: skip
ATTRIBUTES = Kind(
    "attributes", ConnectClient.get_contact_attributes, _contact_data_ttl,
    operations=("connect:GetContactAttributes",), calls=1, personal="all",
    invalidated_by=frozenset({"UserDefinedAttributes"}), scope="chain",
)  # fmt: skip
"""The attributes of a chain, kept by its initial contact (any contact of it may name it)."""
REFERENCES = Kind(
    "references", ConnectClient.list_contact_references, _contact_data_ttl,
    operations=("connect:ListContactReferences",), calls=REFERENCE_GROUPS, personal="all",
    invalidated_by=frozenset({"References"}),
)  # fmt: skip
ASSOCIATED = Kind(
    "associated", ConnectClient.list_associated_contacts, _tree_ttl,
    operations=("connect:ListAssociatedContacts",), calls=1, personal="members",
    invalidated_by=frozenset({ANY_EVENT}), scope="tree",
)  # fmt: skip
"""A contact's tree (ListAssociatedContacts), keyed by the initial contact of its chain."""

_TRANSCRIPT_OPERATIONS = (
    "connect:ListRealtimeContactAnalysisSegmentsV2",
    "connect-contact-lens:ListRealtimeContactAnalysisSegments",
    "s3:ListObjectsV2",
    "s3:GetObject",
)
# Quality data changes without an event of its own (an evaluation submitted, an analysis
# done): any data update drops the contact's transcripts and evaluations.
TRANSCRIPT = Kind(
    "transcript", fetch_transcript, transcript_ttl,
    operations=_TRANSCRIPT_OPERATIONS, calls=4, personal="members",
    invalidated_by=frozenset({ANY_UPDATE}),
)  # fmt: skip
"""A contact's redacted Contact Lens transcript (gateway/data/quality.py); hint: TranscriptHint.
Its real-time API, else the storage config, the listing and the output file (S3)."""
RAW_TRANSCRIPT = Kind(
    "rawtranscript", fetch_transcript, transcript_ttl,
    operations=_TRANSCRIPT_OPERATIONS, calls=4, personal="all",
    invalidated_by=frozenset({ANY_UPDATE}),
)  # fmt: skip
"""A contact's original transcript: personal data, kept apart from the redacted one."""
EVALUATIONS = Kind(
    "evaluations", ConnectClient.list_contact_evaluations, evaluations_ttl,
    operations=("connect:ListContactEvaluations",), calls=1, personal="none",
    invalidated_by=frozenset({ANY_UPDATE}),
)  # fmt: skip
EVALUATION = Kind(
    "evaluation", fetch_evaluation, evaluation_ttl,
    operations=("connect:DescribeContactEvaluation",), calls=1, personal="none",
    not_invalidated="keyed `<evaluationId>@<LastModifiedTime>`: a new version is a new key",
)  # fmt: skip
"""DescribeContactEvaluation, keyed `<evaluationId>@<LastModifiedTime>`."""


TASK_TEMPLATE = Kind(
    "tasktemplate", Read("GetTaskTemplate", "TaskTemplateId", None, "task template"),
    _directory_ttl, personal="none",  # what an administrator wrote, the same for every task
    not_invalidated="an instance's configuration: GATEWAY_TTL_DIRECTORY_SECONDS bounds it",
    shape="GetTaskTemplateResponse", members="TaskTemplateMembers",
)  # fmt: skip
"""A task template (GetTaskTemplate), keyed by its ID: what a task's form asks."""


HOURS = Kind(
    "hours", Read("DescribeHoursOfOperation", "HoursOfOperationId", "HoursOfOperation",
    "hours of operation"), _directory_ttl, personal="none",  # a schedule, not a person
    not_invalidated=_DIRECTORY, shape="HoursOfOperation", members="HoursOfOperationMembers",
)  # fmt: skip
"""A queue's hours of operation (DescribeHoursOfOperation), keyed by their ID."""


def _storage(connect: ConnectClient, instance: str, resource: str) -> Awaitable[Any]:
    return connect.list_instance_storage_configs(instance, resource)


STORAGE = Kind(
    "storage", _storage, _directory_ttl,
    operations=("connect:ListInstanceStorageConfigs",), calls=1, personal="none",
    not_invalidated="an instance's configuration: GATEWAY_TTL_DIRECTORY_SECONDS bounds it",
)  # fmt: skip
"""An instance's storage configs of a resource type (ListInstanceStorageConfigs)."""

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        CONTACT, AGENT, QUEUE, ATTRIBUTES, REFERENCES, ASSOCIATED, TRANSCRIPT, RAW_TRANSCRIPT,
        EVALUATIONS, EVALUATION, STORAGE, TASK_TEMPLATE, HOURS,
    )
}  # fmt: skip
"""Every kind the store keeps (search pages are gateway/data/search.py's SEARCH)."""

NAMED = frozenset(
    name for kind in KINDS.values() for name in kind.invalidated_by if not name.startswith("*")
)
"""Every `updatedProperties` value some kind names."""
