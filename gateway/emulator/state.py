"""Everything one emulator holds: its options, data, routes, counters, buckets and faults."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.emulator.dataset import Dataset, build_dataset
from gateway.emulator.faults import Faults
from gateway.emulator.model import connect_model
from gateway.emulator.options import EmulatorOptions
from gateway.emulator.routing import Router
from gateway.emulator.stats import Stats
from gateway.emulator.throttling import Throttle

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

    @classmethod
    def create(cls, options: EmulatorOptions) -> EmulatorState:
        return cls(
            options=options,
            dataset=build_dataset(options.seed),
            router=Router(connect_model()),
            stats=Stats(),
            throttle=Throttle(options.rate, options.bucket_size),
            faults=Faults(),
        )
