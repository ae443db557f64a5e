"""Transcripts that Contact Lens analysed: what each participant said, for transcript search.

Only calls and chats whose analysis COMPLETED have one. A transcript is a few utterances per
participant role (SYSTEM prompts on calls, CUSTOM_BOT greetings on chats, then CUSTOMER and
AGENT), drawn from phrases about the chain's intent attribute; it is not part of any
Connect output, only what SearchContacts' ContactAnalysis criteria search.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping

from gateway.core.records import Record
from gateway.emulator.world.attributes import INTENTS, Attributes, chain_key

__all__ = ["Transcript", "intent_of", "seed_transcripts", "transcript_for"]

Transcript = dict[str, tuple[str, ...]]

_OPENING = {
    "SYSTEM": ("Thank you for calling Example Corp.", "Your call may be recorded."),
    "CUSTOM_BOT": ("Hi, I am the Example Corp assistant.", "Let me connect you to an agent."),
}
_PHRASES: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "billing": (
        ("I was charged twice on my last invoice.", "Can you explain this late fee?"),
        ("I can see the duplicate charge.", "I have issued a refund to your card."),
    ),
    "outage": (
        ("My internet has been down since this morning.", "The router light is blinking red."),
        ("There is an outage in your area.", "Service should be restored within two hours."),
    ),
    "upgrade": (
        ("I would like a faster plan.", "Is fiber available at my address?"),
        ("Fiber is available at your address.", "I can schedule the installation for Friday."),
    ),
    "cancel": (
        ("I want to cancel my subscription.", "The price went up again."),
        ("I am sorry to hear that.", "I can offer you a discount for twelve months."),
    ),
    "password-reset": (
        ("I cannot log in to my account.", "The reset email never arrived."),
        ("I have sent a new reset link.", "Please check your spam folder."),
    ),
    "delivery": (
        ("My order has not arrived yet.", "The tracking page shows no update."),
        ("The courier has your parcel.", "It will be delivered tomorrow."),
    ),
}
_CLOSING = ("Thank you for your help.", "Is there anything else I can help you with?")


def seed_transcripts(
    rng: random.Random, records: Iterable[Record], attributes: Mapping[str, Attributes]
) -> dict[str, Transcript]:
    """The transcript of every contact with a completed analysis, by contact ID."""
    found: dict[str, Transcript] = {}
    for record in records:
        analytics = record.get("ContactLens", {}).get("ConversationalAnalytics", {})
        if analytics.get("ContactAnalysisReferenceState", {}).get("Status") == "COMPLETED":
            intent = attributes.get(chain_key(record), {}).get("intent") or rng.choice(INTENTS)
            found[record["Id"]] = transcript_for(rng, record["Channel"], intent)
    return found


def transcript_for(rng: random.Random, channel: str, intent: str) -> Transcript:
    """A transcript of `channel` about `intent`, drawn from `rng`."""
    customer, agent = _PHRASES[intent]
    opening = "SYSTEM" if channel == "VOICE" else "CUSTOM_BOT"
    return {
        opening: _OPENING[opening],
        "CUSTOMER": (*rng.sample(customer, k=len(customer)), _CLOSING[0]),
        "AGENT": (*agent, _CLOSING[1]),
    }


def intent_of(transcript: Mapping[str, tuple[str, ...]]) -> str:
    """The intent whose phrases `transcript` was drawn from."""
    said = set(transcript.get("AGENT", ()))
    return next((intent for intent, (_, agent) in _PHRASES.items() if said & set(agent)), "billing")
