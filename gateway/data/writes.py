"""Writes to Connect, and what each makes wrong on every replica (read-your-writes).

A `Write` names a Connect write operation, whether sending it again after a lost answer
is safe, whether it carries a ClientToken, and the kinds it changes (gateway/data/kinds.py)
for the contacts it names. `Writer.write` makes the call through the same guarded client
as reads (the shared quota, the breaker, the per-caller budget) and then publishes one
`Change` dropping those entities everywhere: the shared entries and their generations first
(a read in flight since before the write cannot store its older value afterwards: the
store's write script sees the generation moved), then every replica's memory copies,
cached responses and `contactUpdated` subscriptions (gateway/data/invalidation.py). A write
whose answer was lost (UPSTREAM_UNAVAILABLE) may have been carried out, so it is announced
too. The contact read after it is read again: at most one DescribeContact for all
replicas (the store's single-flight and lease).

Where the write's answer is known without asking Connect (a name, a description, tags,
attributes: what the caller sent), it is merged into the cached entity instead (`merges`),
atomically against other writes (`EntityStore.merge`, which moves the key's generation on):
the written members are then as true as the record's read, LastUpdateTimestamp is voided
(Connect stamps it, unanswered), and the other replicas only drop their copies: no
DescribeContact at all. Where nothing is cached to merge into, the entity is dropped.

A ClientToken is the caller's, or derived from the request id and the mutation's place in
it: the same for every attempt of the gateway's retries, and, since botocore would make a
new one per attempt, always passed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.connect import ConnectClient
from gateway.core.errors import UpstreamUnavailable
from gateway.core.records import Record
from gateway.data.invalidation import Change, Invalidations, tag
from gateway.data.kinds import ASSOCIATED, ATTRIBUTES, CONTACT, REFERENCES, Kind
from gateway.data.sources import with_written
from gateway.data.store import EntityStore

Change_ = Callable[[Any], Any]
"""A change of a cached entity: its new value from its old."""

__all__ = ["WRITES", "Write", "Writer", "client_token"]


@dataclass(frozen=True)
class Write:
    operation: str
    changes: tuple[Kind, ...]
    """The kinds it changes, for each contact it names (its search rows always)."""
    replay_safe: bool = True
    """Sending it twice does what sending it once does (it sets values)."""
    token: bool = False
    """It takes a ClientToken (then it is replay-safe by that token)."""
    merges: Callable[[Mapping[str, Any]], tuple[Kind, str, Change_] | None] | None = None
    """What of its request can be merged into a cached entity: (the kind, the request
    member naming the entity, the change), or None for nothing."""

    @property
    def action(self) -> str:
        return f"connect:{self.operation}"


WRITES: dict[str, Write] = {
    write.operation: write
    for write in (
        Write("UpdateContact", (CONTACT, REFERENCES), merges=lambda p: _named(p)),
        Write("UpdateContactAttributes", (ATTRIBUTES,), merges=lambda p: _attributes(p)),
        Write("TagContact", (CONTACT,), merges=lambda p: _tagged(p)),
        Write("UntagContact", (CONTACT,), merges=lambda p: _untagged(p)),
        Write("UpdateContactRoutingData", (CONTACT,)),
        Write("UpdateContactSchedule", (CONTACT,)),
        # A new task or transferred contact joins its chain's tree; the one it continues
        # (a transfer ends it) changes too.
        Write("StartTaskContact", (CONTACT, ATTRIBUTES, ASSOCIATED), token=True),
        Write("TransferContact", (CONTACT, ASSOCIATED), token=True),
        # Not replay-safe: a second StopContact, PauseContact or ResumeContact after a lost
        # answer is refused by Connect (not active, already paused), which would read as
        # the write failing when it was done.
        Write("StopContact", (CONTACT, ASSOCIATED), replay_safe=False),
        Write("PauseContact", (CONTACT,), replay_safe=False),
        Write("ResumeContact", (CONTACT,), replay_safe=False),
    )
}
"""Every write the gateway makes; the task role's actions (deploy/) list each."""


def _named(params: Mapping[str, Any]) -> tuple[Kind, str, Change_] | None:
    """UpdateContact's Name and Description (an empty one removes it)."""
    written = {name: params[name] or None for name in ("Name", "Description") if name in params}
    if not written:
        return None
    return CONTACT, "ContactId", lambda record: with_written(record, written)


def _attributes(params: Mapping[str, Any]) -> tuple[Kind, str, Change_]:
    """UpdateContactAttributes: merged into the chain's (keyed by its initial contact)."""
    given = dict(params["Attributes"])
    return ATTRIBUTES, "InitialContactId", lambda attributes: {**attributes, **given}


def _tagged(params: Mapping[str, Any]) -> tuple[Kind, str, Change_]:
    def change(record: Any) -> Any:
        return with_written(record, {"Tags": {**(record.get("Tags") or {}), **params["Tags"]}})

    return CONTACT, "ContactId", change


def _untagged(params: Mapping[str, Any]) -> tuple[Kind, str, Change_]:
    def change(record: Any) -> Any:
        gone = set(params["TagKeys"])
        kept = {k: v for k, v in (record.get("Tags") or {}).items() if k not in gone}
        return with_written(record, {"Tags": kept or None})

    return CONTACT, "ContactId", change


def client_token(given: str | None, request_id: str, place: str) -> str:
    """The caller's ClientToken, else one derived from the request and the mutation's place
    in it: the same for each of the gateway's attempts (Connect's limit: 500 characters)."""
    if given:
        return given
    return hashlib.sha256(f"{request_id}:{place}".encode()).hexdigest()[:36]


class Writer:
    """Connect's writes, each followed by the one publish that makes every replica read
    the written entities again."""

    def __init__(
        self, connect: ConnectClient, store: EntityStore, invalidations: Invalidations
    ) -> None:
        self._connect = connect
        self._store = store
        self._invalidations = invalidations

    async def write(
        self, write: Write, instance_id: str, contacts: Sequence[str], params: dict[str, Any]
    ) -> Record:
        """Calls `write` with `params` (InstanceId aside), then drops what it changed for
        each of `contacts` (the one written and those whose data it changes) and for the
        contact it made, if it made one (its answer's ContactId)."""
        safe = write.replay_safe or (write.token and bool(params.get("ClientToken")))
        try:
            answer = await self._connect.write(
                write.operation, instance_id, replay_safe=safe, **params
            )
        except UpstreamUnavailable:
            await self.announce(write, instance_id, contacts)  # it may have been done
            raise
        made = answer.get("ContactId")
        merged = await self._merge(write, instance_id, params)
        await self.announce(write, instance_id, [*contacts, *([made] if made else [])], merged)
        return answer

    async def _merge(self, write: Write, instance_id: str, params: Mapping[str, Any]) -> str | None:
        """The tag of the entity the write was merged into (None: nothing merged)."""
        merging = write.merges(params) if write.merges is not None else None
        if merging is None:
            return None
        kind, member, change = merging
        if await self._store.merge(instance_id, params[member], change, kind=kind):
            return kind.tag(instance_id, params[member])
        return None

    async def announce(
        self,
        write: Write,
        instance_id: str,
        contacts: Iterable[str],
        merged: str | None = None,
    ) -> None:
        """Every replica drops what `write` changed for `contacts`; `merged`, an entity
        holding the write already (here and in the shared store), only their copies."""
        tags = []
        for contact in dict.fromkeys(contacts):
            tags.append(tag("search", instance_id, contact))
            tags += [kind.tag(instance_id, contact) for kind in write.changes]
        stored = [merged] if merged else []
        dropped = [item for item in tags if item not in stored]
        await self._invalidations.publish(Change.of(dropped=dropped, stored=stored, here=stored))
