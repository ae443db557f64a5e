"""Contact, Agent and Queue: Connect's members (generated) plus the graph around a contact:
the links that follow a contact ID member to the contact it names, the chain, the agent and
queue, attributes and references, each through the per-request loaders."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Annotated, Any

import strawberry

from gateway.api.associated import associated_contacts
from gateway.api.context import Info
from gateway.api.execution import DIRECT
from gateway.api.generated import (
    AttributesEntry,
    ContactMembers,
    HoursOfOperationMembers,
    QueueMembers,
    QuickConnectContactDataMembers,
    ReferenceSummary,
    ReferenceType,
    TaskTemplateMembers,
    UserMembers,
)
from gateway.api.members import Node, Place, loads, shape
from gateway.api.personal import PERSONAL_NOTE, PersonalData
from gateway.api.quality import (
    EVALUATIONS_DESCRIPTION,
    RECORDING_URL_DESCRIPTION,
    TRANSCRIPT_DESCRIPTION,
    ContactEvaluation,
    ExpiresIn,
    OriginalTranscript,
    RecordingInfo,
    Recordings,
    Transcript,
    contact_evaluations,
    contact_recording_url,
    contact_transcript,
    recordings_of,
)
from gateway.connect.model import doc, model
from gateway.core.errors import NotFound
from gateway.data.kinds import AGENT, ATTRIBUTES, CONTACT, HOURS, QUEUE, REFERENCES, TASK_TEMPLATE
from gateway.data.loaders import Loader
from gateway.data.sources import Subset, answerable

__all__ = [
    "MAX_CHAIN",
    "Agent",
    "Contact",
    "ContactEvaluation",
    "Queue",
    "QuickConnectContactData",
    "RecordingInfo",
    "contact_link",
    "load_contact",
    "load_directory",
]

MAX_CHAIN = 50
"""The longest chain `Contact.chain` follows (Connect's own chains are far shorter)."""


@dataclass(frozen=True)
class _Subset:
    """A structure's shape cut down to some members, as a summary's shape is."""

    name: str
    members: dict[str, Any]


@functools.cache
def fresh_shape(subset: Subset) -> Any:
    """Contact's shape cut down to the members a cached record answers by itself."""
    contact = model().shape_for("Contact")
    members: dict[str, Any] = {}
    for name, only in subset.members:
        shape = contact.members[name]
        if only is not None:
            inner = {m: shape.members[m] for m in sorted(only)}
            shape = _Subset(f"Fresh{name}", inner)
        members[name] = shape
    return _Subset("FreshContact", members)


async def load_contact(info: Info, instance_id: str, contact_id: str) -> Contact:
    loaders = info.context.loaders
    record = await loaders[CONTACT].load((instance_id, contact_id))
    if record is None:
        raise NotFound(f"contact {contact_id!r} was not found in instance {instance_id!r}")
    place = Place(instance_id)
    fresh = answerable(record, loaders.as_of())
    if fresh is not None:
        # Some members' sources are not fresh (known from events alone, a stale or voided
        # read): those come from a new DescribeContact, loaded once.
        key = (instance_id, contact_id)
        place = Place(instance_id, fresh_shape(fresh), lambda: loaders.complete_contact.load(key))
    contact = Contact.of(record, place)
    assert contact is not None
    info.context.audit.read(instance_id, contact_id)
    return contact


def contact_link(shape: str, member: str, description: str) -> Any:
    """The contact named by `member` (a contact ID) of `shape`, in the same instance.

    An absent ID is simply null; an ID Connect no longer has is null with NOT_FOUND.
    """

    async def resolve(self: Node, info: Info) -> Any:
        contact_id = await self.raw(member)
        if contact_id is None:
            return None
        return await load_contact(info, self._instance, contact_id)

    return strawberry.field(
        resolver=resolve,
        description=f"{description} ({shape}.{member})",
        metadata={DIRECT: resolve},
    )


@strawberry.type(name="Agent", description="An agent (a Connect user), from DescribeUser.")
class Agent(UserMembers):
    pass


@strawberry.type(
    name="HoursOfOperation", description="A queue's hours, from DescribeHoursOfOperation."
)
class HoursOfOperation(HoursOfOperationMembers):
    pass


@strawberry.type(name="Queue", description="A queue, from DescribeQueue.")
class Queue(QueueMembers):
    @strawberry.field(
        description="When the queue is open (hoursOfOperationId), from DescribeHoursOfOperation.",
        metadata=loads(HOURS),
    )
    async def hours_of_operation(self, info: Info) -> HoursOfOperation | None:
        hours_id = self._record.get("HoursOfOperationId")
        if not hours_id:
            return None
        record = await info.context.loaders[HOURS].load((self._instance, hours_id))
        if record is None:
            raise NotFound(f"hours of operation {hours_id!r} were not found")
        return HoursOfOperation.of(record, Place(self._instance))


@strawberry.type(
    name="TaskTemplate", description="A task template (its form's fields), from GetTaskTemplate."
)
class TaskTemplate(TaskTemplateMembers):
    pass


@shape("QuickConnectContactData")
@strawberry.type(name="QuickConnectContactData", description=doc("QuickConnectContactData"))
class QuickConnectContactData(QuickConnectContactDataMembers):
    contact: Contact | None = contact_link(
        "QuickConnectContactData", "ContactId", "The contact the quick connect made"
    )


@shape("Contact")
@strawberry.type(name="Contact", description="Contains information about a contact.")
class Contact(ContactMembers):
    initial_contact: Contact | None = contact_link(
        "Contact", "InitialContactId", "The first contact of this chain"
    )
    previous_contact: Contact | None = contact_link(
        "Contact", "PreviousContactId", "The contact before this one"
    )
    contact_association: Contact | None = contact_link(
        "Contact", "ContactAssociationId", "The root contact of this contact's tree"
    )
    related_contact: Contact | None = contact_link(
        "Contact", "RelatedContactId", "The contact this one is related to"
    )

    @strawberry.field(description="The Amazon Connect instance the contact belongs to.")
    def instance_id(self) -> strawberry.ID:
        return strawberry.ID(self._instance)

    @strawberry.field(
        description=(
            "The contacts from the initial contact of this contact's chain to this one, in "
            "order, following previousContactId (it stops at a contact Connect no longer has)."
        )
    )
    async def chain(self, info: Info) -> list[Contact] | None:
        chain: list[Contact] = [self]
        seen = {await self.raw("Id")}
        while len(chain) < MAX_CHAIN:
            previous_id = await chain[0].raw("PreviousContactId")
            if previous_id is None or previous_id in seen:
                break
            seen.add(previous_id)
            try:
                chain.insert(0, await load_contact(info, self._instance, previous_id))
            except NotFound:
                break
        return chain

    @strawberry.field(
        description=(
            "Every contact of this contact's tree, itself included, in initiation order "
            "(ListAssociatedContacts, every page): transfers, consults, callbacks, tasks, "
            "email replies. Each one's id, arn, channel, initiationMethod, timestamps and "
            "initial/previous/related IDs come with the list; any other field loads that "
            "contact (DescribeContact)."
        )
    )
    async def associated_contacts(self, info: Info) -> list[Contact] | None:
        return await associated_contacts(info, self, Contact.of)

    @strawberry.field(
        description="The agent who accepted the contact (agentInfo.id), from DescribeUser.",
        metadata=loads(AGENT),
    )
    async def agent(self, info: Info) -> Agent | None:
        record = await self._directory("AgentInfo", info.context.loaders[AGENT], "agent")
        return Agent.of(record, Place(self._instance))

    @strawberry.field(
        description="The queue the contact was in (queueInfo.id), from DescribeQueue.",
        metadata=loads(QUEUE),
    )
    async def queue(self, info: Info) -> Queue | None:
        record = await self._directory("QueueInfo", info.context.loaders[QUEUE], "queue")
        return Queue.of(record, Place(self._instance))

    @strawberry.field(
        description="The task template the task was made from (taskTemplateInfo.arn), from "
        "GetTaskTemplate; null for a contact made without one.",
        metadata=loads(TASK_TEMPLATE),
    )
    async def task_template(self, info: Info) -> TaskTemplate | None:
        template = await self.raw("TaskTemplateInfo")
        arn = None if template is None else template.get("Arn")
        if not arn:
            return None
        template_id = str(arn).rsplit("/", 1)[-1]
        record = await info.context.loaders[TASK_TEMPLATE].load((self._instance, template_id))
        if record is None:
            raise NotFound(f"task template {template_id!r} was not found")
        return TaskTemplate.of(record, Place(self._instance))

    # Overrides the generated field for DescribeContact's Attributes member, which Connect
    # fills for tasks only: GetContactAttributes has them for every contact.
    @strawberry.field(  # type: ignore[misc]
        description=(
            "The contact attributes of this contact's chain (GetContactAttributes on the "
            f"initial contact), optionally only some keys. {PERSONAL_NOTE}"
        ),
        permission_classes=[PersonalData],
    )
    async def attributes(
        self,
        info: Info,
        keys: Annotated[
            list[str] | None,
            strawberry.argument(description="Only the attributes with these keys."),
        ] = None,
    ) -> list[AttributesEntry] | None:
        own = await self.raw("Id")
        initial = await self.raw("InitialContactId") or own
        loader = info.context.loaders[ATTRIBUTES]
        # Keyed by the initial contact, one entry serves the whole chain; if Connect has
        # purged the initial contact, the contact's own ID still finds the chain's.
        attributes = await loader.load((self._instance, initial))
        if attributes is None and initial != own:
            attributes = await loader.load((self._instance, own))
        if attributes is None:
            raise NotFound(f"contact {own!r} was not found in instance {self._instance!r}")
        wanted = attributes if keys is None else {k: attributes[k] for k in keys if k in attributes}
        return [AttributesEntry(key=key, value=value) for key, value in wanted.items()]

    @strawberry.field(
        description=(
            "The contact's references (ListContactReferences, every page), "
            f"optionally only some types. {PERSONAL_NOTE}"
        ),
        permission_classes=[PersonalData],
    )
    async def references(
        self,
        info: Info,
        types: Annotated[
            list[ReferenceType] | None,
            strawberry.argument(description="Only references of these types."),
        ] = None,
    ) -> list[ReferenceSummary] | None:
        contact_id = await self.raw("Id")
        summaries = await info.context.loaders[REFERENCES].load((self._instance, contact_id))
        if summaries is None:
            raise NotFound(f"contact {contact_id!r} was not found in instance {self._instance!r}")
        wanted = None if types is None else {t.value for t in types}
        return [
            summary
            for record in summaries
            if wanted is None or _reference_type(record) in wanted
            for summary in [ReferenceSummary.of(record, Place(self._instance))]
            if summary is not None
        ]

    # Overrides the generated field so that each recording knows its contact (the audit
    # line names the contacts whose recording URLs were issued).
    @strawberry.field(  # type: ignore[misc]
        description=f"{doc('Contact', 'Recordings')} {PERSONAL_NOTE}",
        permission_classes=[PersonalData],
    )
    async def recordings(self) -> list[RecordingInfo] | None:
        return recordings_of(await self.raw("Recordings"), self._instance, await self.raw("Id"))

    @strawberry.field(description=TRANSCRIPT_DESCRIPTION, permission_classes=[OriginalTranscript])
    async def transcript(
        self,
        info: Info,
        redacted: Annotated[
            bool,
            strawberry.argument(
                description="Contact Lens' redacted output (true), or the original (false)."
            ),
        ] = True,
    ) -> Transcript | None:
        contact_id = await self.raw("Id")
        result: Transcript | None = await contact_transcript(
            info, self._instance, contact_id, redacted
        )
        return result

    @strawberry.field(description=EVALUATIONS_DESCRIPTION)
    async def evaluations(self, info: Info) -> list[ContactEvaluation] | None:
        return await contact_evaluations(info, self._instance, await self.raw("Id"))

    @strawberry.field(description=RECORDING_URL_DESCRIPTION, permission_classes=[Recordings])
    async def recording_url(self, info: Info, expires_in_seconds: ExpiresIn = 300) -> str | None:
        return await contact_recording_url(info, self, expires_in_seconds)

    async def _directory(self, member: str, loader: Loader, what: str) -> Any:
        """The record (agent, queue) named by `member`'s Id: None without one, NOT_FOUND
        if Connect has none."""
        info_record = await self.raw(member)
        entity_id = None if info_record is None else info_record.get("Id")
        if entity_id is None:
            return None
        return await load_directory(loader, self._instance, entity_id, what)


async def load_directory(loader: Loader, instance: str, entity_id: str, what: str) -> Any:
    """The record (agent, queue) of `entity_id` in `instance`; NOT_FOUND if Connect has none."""
    record = await loader.load((instance, entity_id))
    if record is None:
        raise NotFound(f"{what} {entity_id!r} was not found in instance {instance!r}")
    return record


def _reference_type(summary: dict[str, Any]) -> str:
    """The ReferenceType of a ReferenceSummary: a union whose one member names the type
    (EmailMessagePlainText -> EMAIL_MESSAGE_PLAIN_TEXT)."""
    [member] = summary
    return re.sub(r"(?<!^)(?=[A-Z])", "_", member).upper()
