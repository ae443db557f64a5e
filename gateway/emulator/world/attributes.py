"""Contact attributes: what flows and agents record about a customer's journey.

Attributes belong to a chain of contacts (a contact and those that continue it through
transfers, callbacks, replies and disconnect flows) and are kept under the chain's initial
contact: Connect copies them onto each contact that continues the chain, so every contact
of a chain shows the same `Attributes` in DescribeContact, and GetContactAttributes answers
them for any of its contacts. About one chain in five has none.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import Any

from gateway.core.records import Record

__all__ = ["INTENTS", "Attributes", "chain_key", "seed_attributes"]

Attributes = dict[str, str]

INTENTS = ("billing", "outage", "upgrade", "cancel", "password-reset", "delivery")
_TIERS = ("bronze", "silver", "silver", "gold", "platinum")
_LANGUAGES = ("en-US", "en-US", "en-US", "es-US", "fr-CA")


def chain_key(record: Mapping[str, Any]) -> str:
    """The ID attributes are kept under: the chain's initial contact (itself if it is one)."""
    return str(record.get("InitialContactId", record["Id"]))


def seed_attributes(rng: random.Random, records: Iterable[Record]) -> dict[str, Attributes]:
    """Each chain's attributes by its initial contact's ID, also set on its contacts'
    records; `records` in the order they happened, so a chain's first one comes first."""
    chains: dict[str, list[Record]] = {}
    for record in records:
        chains.setdefault(chain_key(record), []).append(record)
    found = {key: _for_chain(rng, members) for key, members in chains.items()}
    for key, members in chains.items():
        if found[key]:
            for record in members:
                record["Attributes"] = dict(found[key])
    return found


def _for_chain(rng: random.Random, chain: list[Record]) -> Attributes:
    if rng.random() < 0.2:
        return {}
    first = chain[0]
    attributes: Attributes = {
        "intent": rng.choice(INTENTS),
        "language": rng.choice(_LANGUAGES),
        "customerTier": rng.choice(_TIERS),
    }
    if rng.random() < 0.7:
        attributes["accountNumber"] = f"****{rng.randint(0, 9999):04d}"
    attributes.update(_channel_attributes(rng, first))
    if len(chain) > 1:
        attributes["contactsInChain"] = str(len(chain))
    return attributes


def _channel_attributes(rng: random.Random, first: Record) -> Attributes:
    channel, method = first["Channel"], first["InitiationMethod"]
    address = first.get("CustomerEndpoint", {}).get("Address")
    if channel == "VOICE" and method in ("INBOUND", "TRANSFER"):
        found = {"authenticated": rng.choice(("true", "true", "false"))}
        if address and address.startswith("+"):
            found["callbackNumber"] = address
        return found
    if channel == "VOICE":
        return {"campaign": rng.choice(("autumn-upgrade", "renewal-2026", "win-back"))}
    if channel == "CHAT":
        return {"chatSource": "sms" if method == "INBOUND" else rng.choice(("web", "mobile-app"))}
    if channel == "TASK":
        return {"priority": rng.choice(("low", "normal", "high"))}
    return {"mailbox": "support@example.com"}
