"""The demo dataset: two Connect instances, their agents and queues, and their contacts.

Everything is derived from `seed` with `random.Random` and the dataset's `now`, so the same
seed always gives the same IDs and links, and the same times relative to `now`: built at
NOW (2026-11-02T09:00:00Z, the default) it is always the same; the emulator on the wall
clock builds it at its start-up, so that the seeded data ends when it starts.

DEMO_INSTANCE_ID holds ~250 contacts over the three days before now, on every channel and
with every initiation method: transfer chains up to 5 contacts deep (agent TRANSFERs and
flow QUEUE_TRANSFERs), callbacks, chats with disconnect-flow follow-ups (DISCONNECT), tasks
related to calls and chats (API and FLOW, some scheduled after now, some transferred on
between agents while keeping their RelatedContactId, so that a contact can have previous,
initial and related links to three different contacts), email threads
(INBOUND and AGENT_REPLY in turn, sharing a ContactAssociationId), monitored calls
(MONITOR), in-app calls (WEBRTC_API), third-party legs (EXTERNAL_OUTBOUND), outbound and
campaign calls, voicemails; and, made apart so that the rest stays as it was, contact
trees that branch (`gateway.emulator.world.branches`: a called-back call transferred, consulted
on, followed by tasks and an email thread). Contacts whose events run past now are still active: no
DisconnectTimestamp. SECOND_INSTANCE_ID holds about ten contacts of its own, and its
agents come from a directory (they have a DirectoryUserId).

Every member of botocore's Contact, User and Queue shapes, recursively, is filled on at
least one record (tests/emulator/test_coverage.py checks it). Beside the records, each
instance keeps its chains' contact attributes by initial contact ID (see
`gateway.emulator.world.attributes`), each contact's references
(`gateway.emulator.world.references`), the transcripts Contact Lens analysed
(`gateway.emulator.world.transcripts`) and the contacts' evaluations
(`gateway.emulator.world.evaluations`).

Loose ends, on purpose, for testing how links to missing contacts are handled:
- one TRANSFER voice contact whose PreviousContactId and InitialContactId name a contact
  that no longer exists (purged by retention), and
- one API task whose RelatedContactId names a purged contact.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from gateway.emulator.world import branches as b
from gateway.emulator.world import chains as c
from gateway.emulator.world import journeys as j
from gateway.emulator.world.attributes import Attributes, seed_attributes
from gateway.emulator.world.contacts import ContactFactory, Leg, Record
from gateway.emulator.world.directory import Agent, Directory, Queue, build_directory
from gateway.emulator.world.evaluations import Evaluations, seed_evaluations
from gateway.emulator.world.references import seed_references
from gateway.emulator.world.timeline import NOW, ms
from gateway.emulator.world.transcripts import Transcript, seed_transcripts

__all__ = [
    "DEMO_ACCOUNT_ID",
    "DEMO_INSTANCE_ID",
    "DEMO_REGION",
    "NOW",
    "SECOND_INSTANCE_ID",
    "Dataset",
    "Instance",
    "build_dataset",
]

DEMO_REGION = "us-east-1"
DEMO_ACCOUNT_ID = "111122223333"
DEMO_INSTANCE_ID = "d7a3c8e4-2f61-4b9e-8c05-93e1f6a2b7d4"
SECOND_INSTANCE_ID = "5e0b9f12-8c3d-4e7a-a691-0f4d2c8b6e35"

_DEMO_SIZE = 240
_CONSULTED_CALLS = 4

Journey = Callable[[ContactFactory, datetime], list[Record]]


@dataclass(frozen=True)
class Instance:
    """One Connect instance: its ARN, agents, queues and contacts by ID; the attributes of
    its chains by initial contact ID; references and transcripts by contact ID; evaluation
    forms and evaluations. Contacts,
    attributes and references change: updates write them, and the timeline moves active
    contacts on."""

    id: str
    arn: str
    directory: Directory
    contacts: dict[str, Record]
    attributes: dict[str, Attributes] = field(default_factory=dict)
    references: dict[str, list[Record]] = field(default_factory=dict)
    transcripts: Mapping[str, Transcript] = field(default_factory=dict)
    evaluations: Evaluations = field(default_factory=lambda: Evaluations({}, {}))
    client_tokens: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    """What each ClientToken's call did: (operation, its answer), answered again as is."""

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    def agent(self, agent_id: str) -> Agent | None:
        return next((agent for agent in self.directory.agents if agent.id == agent_id), None)

    def queue(self, queue_id: str) -> Queue | None:
        return next((queue for queue in self.directory.queues if queue.id == queue_id), None)


@dataclass(frozen=True)
class Dataset:
    """The instances the emulator serves."""

    instances: Mapping[str, Instance]

    def instance(self, instance_id: str) -> Instance | None:
        """The instance named by its ID or its ARN."""
        return self.instances.get(instance_id.rsplit("instance/", 1)[-1])

    def contacts(self) -> Iterator[tuple[Instance, Record]]:
        for instance in self.instances.values():
            for record in instance.contacts.values():
                yield instance, record


def build_dataset(
    seed: int = 20170808,
    now: datetime = NOW,
    *,
    region: str = DEMO_REGION,
    account: str = DEMO_ACCOUNT_ID,
    instance_id: str = DEMO_INSTANCE_ID,
) -> Dataset:
    """The demo's instances, their contacts ending at `now` (to the millisecond), in
    `region` and `account`; `instance_id` names the first (its contacts, drawn from RNGs
    seeded with it, differ from the demo's when it does)."""
    now = ms(now)
    home = Home(region, account)
    demo = _instance(seed, now, home, instance_id, (15, 8), _demo_journeys, trees=_demo_trees)
    second = _instance(
        seed, now, home, SECOND_INSTANCE_ID, (4, 3), _second_journeys, directory_backed=True
    )
    return Dataset({demo.id: demo, second.id: second})


@dataclass(frozen=True)
class Home:
    """Where the instances live: their region and AWS account."""

    region: str
    account: str


def _instance(
    seed: int,
    now: datetime,
    home: Home,
    instance_id: str,
    size: tuple[int, int],
    journeys: Callable[[ContactFactory], None],
    *,
    directory_backed: bool = False,
    trees: Callable[[ContactFactory], None] | None = None,
) -> Instance:
    """An instance of `size` (agents, queues), its contacts made by `journeys`.

    Each concern draws from its own RNG, so that adding to one leaves the others' data as
    it was."""

    def rng(concern: str) -> random.Random:
        return random.Random(f"{seed}:{concern}:{instance_id}")

    arn = f"arn:aws:connect:{home.region}:{home.account}:instance/{instance_id}"
    directory = build_directory(
        rng("directory"), arn, *size, now, directory_backed=directory_backed
    )
    factory = ContactFactory(rng("contacts"), arn, directory, home.account, now=now)
    journeys(factory)
    if trees is not None:
        # From an RNG of their own, so that the other journeys' contacts stay as they were.
        trees(ContactFactory(rng("trees"), arn, directory, home.account, factory.contacts, now))
    ordered = sorted(factory.contacts.values(), key=lambda record: record["InitiationTimestamp"])
    attributes = seed_attributes(rng("attributes"), ordered)
    return Instance(
        instance_id,
        arn,
        directory,
        {record["Id"]: record for record in ordered},
        attributes,
        seed_references(rng("references"), arn, ordered),
        seed_transcripts(rng("transcripts"), ordered, attributes),
        seed_evaluations(rng("evaluations"), arn, directory, ordered),
    )


def _demo_journeys(f: ContactFactory) -> None:
    for journey, count in _required_journeys():
        for _ in range(count):
            journey(f, _past(f))
    _active_journeys(f)
    _loose_ends(f)
    weighted = _random_journeys()
    while len(f.contacts) < _DEMO_SIZE:
        journey = f.rng.choices([journey for journey, _ in weighted], [w for _, w in weighted])[0]
        journey(f, _past(f))


def _demo_trees(f: ContactFactory) -> None:
    for _ in range(_CONSULTED_CALLS):
        b.consulted_call(f, _past(f))


def _second_journeys(f: ContactFactory) -> None:
    c.transfer_chain(f, _past(f), 3)
    call = j.inbound_call(f, _past(f))[0]
    j.related_task(f, call, f.caller())
    c.chat(f, _past(f))
    c.email_thread(f, _past(f), 2)
    j.inbound_call(f, _past(f), answered=False)
    j.outbound_call(f, _past(f))


def _required_journeys() -> list[tuple[Journey, int]]:
    return [
        (partial(c.transfer_chain, depth=5), 2),
        (partial(c.transfer_chain, depth=4), 1),
        (partial(c.transfer_chain, depth=3, channel="CHAT"), 1),
        (partial(c.transfer_chain, depth=2), 2),
        (c.callback, 3),
        (partial(c.chat, follow_up="CHAT"), 2),
        (partial(c.chat, follow_up="TASK"), 1),
        (partial(c.email_thread, messages=4), 2),
        (partial(c.email_thread, messages=3), 1),
        (partial(c.email_thread, messages=2), 2),
        (j.outbound_call, 3),
        (partial(j.outbound_call, channel="EMAIL"), 1),
        (partial(j.campaign_call, preview=True), 2),
        (partial(j.campaign_call, preview=False), 3),
        (j.monitored_call, 3),
        (j.webrtc_call, 1),
        (partial(j.webrtc_call, screen_share=True), 1),
        (j.external_outbound, 2),
        (j.voicemail, 2),
        (_call_with_task, 4),
        (_chat_with_task, 2),
        (c.escalated_task, 2),
    ]


def _random_journeys() -> list[tuple[Journey, float]]:
    return [
        (j.inbound_call, 30),
        (partial(j.inbound_call, answered=False), 4),
        (partial(c.transfer_chain, depth=2), 6),
        (partial(c.transfer_chain, depth=3), 3),
        (c.chat, 12),
        (partial(c.chat, follow_up="CHAT"), 2),
        (partial(c.email_thread, messages=2), 4),
        (c.callback, 3),
        (j.outbound_call, 4),
        (partial(j.campaign_call, preview=False), 2),
        (_call_with_task, 4),
        (c.escalated_task, 1),
        (j.monitored_call, 1),
        (j.webrtc_call, 1),
    ]


def _call_with_task(f: ContactFactory, start: datetime) -> list[Record]:
    caller = f.caller()
    call = f.make(Leg("VOICE", "INBOUND", start, caller, f.queue(), f.agent(), 300.0))
    method = f.rng.choice(("API", "FLOW"))
    return [call, *j.related_task(f, call, caller, method=method)]


def _chat_with_task(f: ContactFactory, start: datetime) -> list[Record]:
    conversation = c.chat(f, start)[0]
    return [conversation, *j.related_task(f, conversation, f.caller())]


def _active_journeys(f: ContactFactory) -> None:
    """Contacts in progress at now: in the IVR or queue, with an agent, scheduled for later."""
    j.inbound_call(f, f.now - timedelta(seconds=40))
    j.inbound_call(f, f.now - timedelta(minutes=6))
    c.chat(f, f.now - timedelta(minutes=4))
    c.transfer_chain(f, f.now - timedelta(minutes=25), 3)
    c.email_thread(f, f.now - timedelta(minutes=10), 2)
    for hours in (3, 20):
        call = j.inbound_call(f, _past(f))[0]
        j.related_task(f, call, f.caller(), scheduled=ms(f.now + timedelta(hours=hours)))


def _loose_ends(f: ContactFactory) -> None:
    purged = {"Id": f.new_id()}
    start = ms(f.now - timedelta(days=2, hours=3))
    f.make(
        Leg("VOICE", "TRANSFER", start, f.caller(), f.queue(), f.agent(), 200.0, previous=purged)
    )
    later = start + timedelta(hours=1)
    f.make(Leg("TASK", "API", later, f.caller(), f.queue(), f.agent(), related_id=f.new_id()))


def _past(f: ContactFactory) -> datetime:
    """A start time in the three days before now, ending well before it."""
    return ms(f.now - timedelta(seconds=f.rng.uniform(2 * 3600, 72 * 3600)))
