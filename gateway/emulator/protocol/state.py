"""Everything one emulator holds: its options, data, routes, counters, buckets, faults, its
clock, the timeline that moves active contacts, and the sender of contact events."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gateway.emulator.protocol.faults import Faults
from gateway.emulator.protocol.model import connect_model, contact_lens_model
from gateway.emulator.protocol.options import EmulatorOptions
from gateway.emulator.protocol.routing import Router
from gateway.emulator.protocol.sender import EventSender
from gateway.emulator.protocol.stats import Stats
from gateway.emulator.protocol.throttling import Throttle
from gateway.emulator.world.arrivals import arriving_contact
from gateway.emulator.world.clock import Clock
from gateway.emulator.world.contacts import Record
from gateway.emulator.world.dataset import DEMO_REGION, NOW, Dataset, Instance, build_dataset
from gateway.emulator.world.events import CONNECTED_TO_SYSTEM, INITIATED, contact_event
from gateway.emulator.world.history import History
from gateway.emulator.world.lifecycle import Lifecycle

__all__ = ["EmulatorState"]


@dataclass
class EmulatorState:
    """One emulator's state; `create_emulator_app` makes one per app."""

    options: EmulatorOptions
    dataset: Dataset
    router: Router
    stats: Stats
    throttle: Throttle
    faults: Faults
    clock: Clock
    sender: EventSender
    lifecycle: Lifecycle
    rng: random.Random
    history: History

    @classmethod
    def create(cls, options: EmulatorOptions) -> EmulatorState:
        clock = Clock() if options.clock == "wall" else Clock(fixed=NOW)
        dataset = build_dataset(
            options.seed,
            clock.now(),
            region=options.region or DEMO_REGION,
            account=options.account_id,
            instance_id=options.instance_id,
        )
        sender = EventSender(
            options.events_url, options.events_api_key, options.events, options.seed
        )

        history = History()

        def announce(instance: Instance, record: Record, event_type: str, at: datetime) -> None:
            history.note(instance, record)
            sender.publish(contact_event(instance, record, event_type, at))

        return cls(
            options=options,
            dataset=dataset,
            router=Router(connect_model(), contact_lens_model()),
            stats=Stats(),
            throttle=Throttle(options.rate, options.bucket_size, quotas=options.quotas),
            faults=Faults(),
            clock=clock,
            sender=sender,
            lifecycle=Lifecycle(dataset, clock, announce, options.seed, options.time_scale),
            rng=random.Random(f"{options.seed}:arrivals"),
            history=history,
        )

    def announce(
        self,
        instance: Instance,
        record: Record,
        event_type: str,
        at: datetime,
        updated: Sequence[str] = (),
    ) -> None:
        """Publish the contact event Connect would for `record`."""
        self.history.note(instance, record)
        self.sender.publish(contact_event(instance, record, event_type, at, updated))

    def arrive(self, instance: Instance, channel: str) -> Record:
        """A new contact of `channel`, initiated now on the emulator's clock."""
        at = self.clock.now()
        record = arriving_contact(self.rng, instance, channel, at)
        instance.contacts[record["Id"]] = record
        self.announce(instance, record, INITIATED, at)
        if "ConnectedToSystemTimestamp" in record:
            self.announce(instance, record, CONNECTED_TO_SYSTEM, at)
        self.lifecycle.plan(instance, record)
        return record
