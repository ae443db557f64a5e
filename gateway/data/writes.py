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

Connect announces each write later with a CONTACT_DATA_UPDATED event naming what it
updated (`updatedProperties`). For a write the gateway merged, that event says nothing new:
`Echoes` counts, in the shared store, the events each merged write will cause (per contact
and property, for five minutes; attributes per chain, once for each of its contacts the
chain's cached tree knows); an event whose every property is awaited is taken as that echo
(its counts go down) and drops nothing, so the write costs no read afterwards either.
Another writer's event for the same properties in the same minutes then finds no count
left and drops the entity as any event does (which of the two events was taken as the echo
does not matter: after both, the entity is read again). Where the chain's tree is not
cached, only the initial contact's event is counted: the others' each drop the chain's
attributes.

A ClientToken is the caller's, or derived from the request id and the mutation's place in
it: the same for every attempt of the gateway's retries, and, since botocore would make a
new one per attempt, always passed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.connect import ConnectClient
from gateway.core.errors import GatewayError, UpstreamUnavailable
from gateway.core.records import Record
from gateway.data.cache import Cache
from gateway.data.invalidation import Change, Invalidations, tag
from gateway.data.kinds import ASSOCIATED, ATTRIBUTES, CONTACT, EVALUATIONS, REFERENCES, Kind
from gateway.data.sources import with_written
from gateway.data.store import EntityStore

Change_ = Callable[[Any], Any]
"""A change of a cached entity: its new value from its old."""

__all__ = ["WRITES", "Echoes", "Write", "Writer", "client_token"]

_ECHO_SECONDS = 300.0
"""How long a merged write awaits its event (EventBridge delivers within seconds; retries
of a failing target last longer, and then the event drops as any other)."""
_ECHO_TRIES = 5


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
    echoes: Callable[[Mapping[str, Any]], tuple[str, ...]] = lambda params: ()
    """The `updatedProperties` of the CONTACT_DATA_UPDATED event Connect sends for it."""
    chained: bool = False
    """Connect sends that event for every contact of the chain (counted by its initial)."""

    @property
    def action(self) -> str:
        return f"connect:{self.operation}"


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


WRITES: dict[str, Write] = {
    write.operation: write
    for write in (
        Write(
            "UpdateContact",
            (CONTACT, REFERENCES),
            merges=_named,
            echoes=lambda p: tuple(n for n in ("Name", "Description", "References") if n in p),
        ),
        Write(
            "UpdateContactAttributes",
            (ATTRIBUTES,),
            merges=_attributes,
            echoes=lambda p: ("UserDefinedAttributes",),
            chained=True,
        ),
        Write("TagContact", (CONTACT,), merges=_tagged),
        Write("UntagContact", (CONTACT,), merges=_untagged),
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
        # A quality tool's: each changes the contact's list of evaluations (an evaluation's
        # detail is keyed by its LastModifiedTime, so a new version is a new key). A second
        # SubmitContactEvaluation is refused (already submitted): not replay-safe.
        Write("StartContactEvaluation", (EVALUATIONS,), token=True),
        Write("UpdateContactEvaluation", (EVALUATIONS,)),
        Write("SubmitContactEvaluation", (EVALUATIONS,), replay_safe=False),
    )
}
"""Every write the gateway makes; the task role's actions (deploy/) list each."""


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
        self,
        connect: ConnectClient,
        store: EntityStore,
        invalidations: Invalidations,
        echoes: Echoes,
    ) -> None:
        self._connect = connect
        self._store = store
        self._invalidations = invalidations
        self.echoes = echoes

    async def write(
        self, write: Write, instance_id: str, contacts: Sequence[str], params: dict[str, Any]
    ) -> Record:
        """Calls `write` with `params` (InstanceId aside), then drops what it changed for
        each of `contacts` (the one written and those whose data it changes) and for the
        contact it made, if it made one (its answer's ContactId)."""
        safe = write.replay_safe or (write.token and bool(params.get("ClientToken")))
        merging = write.merges(params) if write.merges is not None else None
        echoed = write.echoes(params) if merging is not None else ()
        if echoed:
            assert merging is not None
            # Before the call: Connect's event for it may reach a replica before it answers.
            # Attributes are the chain's: Connect announces them on each of its contacts.
            times = await self._chain_size(instance_id, params) if write.chained else 1
            await self.echoes.expect(instance_id, params[merging[1]], echoed, times)
        try:
            answer = await self._connect.write(
                write.operation, instance_id, replay_safe=safe, **params
            )
        except UpstreamUnavailable:
            await self.announce(write, instance_id, contacts)  # it may have been done
            raise
        except GatewayError:
            if echoed:  # refused: no event will come
                assert merging is not None
                await self.echoes.expect(instance_id, params[merging[1]], echoed, -times)
            raise
        made = answer.get("ContactId")
        merged = await self._merge(instance_id, params, merging)
        await self.announce(write, instance_id, [*contacts, *([made] if made else [])], merged)
        return answer

    async def _chain_size(self, instance_id: str, params: Mapping[str, Any]) -> int:
        """How many contacts the chain of `InitialContactId` has, as its cached tree says
        (1, the initial one, when no tree is cached: the others' events then drop)."""
        initial = params["InitialContactId"]
        tree = await self._store.peek(ASSOCIATED, instance_id, initial)
        if not isinstance(tree, list):
            return 1
        others = {
            summary.get("ContactId")
            for summary in tree
            if isinstance(summary, dict) and summary.get("InitialContactId") == initial
        }
        return 1 + len(others - {initial, None})

    async def _merge(
        self,
        instance_id: str,
        params: Mapping[str, Any],
        merging: tuple[Kind, str, Change_] | None,
    ) -> str | None:
        """The tag of the entity the write was merged into (None: nothing merged)."""
        if merging is None:
            return None
        kind, member, change = merging
        if not await self._store.merge(instance_id, params[member], change, kind=kind):
            return None
        return kind.tag(instance_id, params[member])

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


class Echoes:
    """The events the gateway's merged writes will cause, counted per contact and property
    in the cache (shared by the replicas: the event may reach any of them)."""

    def __init__(self, cache: Cache, seconds: float = _ECHO_SECONDS) -> None:
        self._cache = cache
        self._seconds = seconds

    async def expect(
        self, instance_id: str, contact_id: str, properties: Iterable[str], times: int = 1
    ) -> None:
        """`times` more events to come for `properties` of the contact (or its chain);
        a negative `times` takes back what a write that failed expected."""
        wanted = list(properties)

        def more(counts: dict[str, int]) -> dict[str, int]:
            added = {**counts, **{name: counts.get(name, 0) + times for name in wanted}}
            return {name: count for name, count in added.items() if count > 0}

        await self._change(instance_id, contact_id, more)

    async def consume(self, instance_id: str, contact_id: str, properties: Iterable[str]) -> bool:
        """True when every property awaits an event: the event is the echo (its counts go
        down); False otherwise (and nothing changes)."""
        wanted = set(properties)
        if not wanted:
            return False

        def taken(counts: dict[str, int]) -> dict[str, int] | None:
            if not all(counts.get(name, 0) > 0 for name in wanted):
                return None
            return {k: v - (k in wanted) for k, v in counts.items() if v - (k in wanted) > 0}

        return await self._change(instance_id, contact_id, taken)

    async def _change(
        self,
        instance_id: str,
        contact_id: str,
        change: Callable[[dict[str, int]], dict[str, int] | None],
    ) -> bool:
        key = f"echo:{instance_id}:{contact_id}"
        for _ in range(_ECHO_TRIES):
            shared, raw = await self._cache.get_raw(key)
            counts = json.loads(raw)["value"] if raw is not None else {}
            changed = change(counts)
            if changed is None:
                return False
            entry = {"value": changed}
            if raw is None:
                done = await self._cache.create(key, shared, entry, self._seconds)
            else:
                done = await self._cache.replace(key, raw, shared, entry, self._seconds)
            if done:
                return True
        return False
