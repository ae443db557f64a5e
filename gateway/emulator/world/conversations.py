"""The analysed conversation of a call or chat, in order: what Contact Lens' APIs and output
files show.

Built on demand from the contact's seeded transcript (`gateway.emulator.world.transcripts`) and
its record, deterministically (an RNG seeded with the contact's ID): the customer gives
their name and card number (the personal data Contact Lens redacts: the entities of the
contact's RedactionConfiguration, masked `[PII]` or, with MaskMode EntityType, `[NAME]`),
then customer and agent take turns over the talk time (between ConnectedToAgentTimestamp
and DisconnectTimestamp). Calls' offsets are from the agent's connection, when recording
starts, and leave the IVR's prompts out; chats keep their bot's greeting, before the
agent joins. Each turn has a sentiment; the customer's first complaint is the detected
issue, and matches the category named after the chain's intent.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gateway.core.records import Record
from gateway.emulator.world.attributes import chain_key
from gateway.emulator.world.dataset import Instance
from gateway.emulator.world.ids import new_id
from gateway.emulator.world.transcripts import intent_of, transcript_for

__all__ = ["Conversation", "Turn", "analysis_of", "conversation_of", "redaction_policy"]


_SUMMARIES = {
    "billing": "The customer was charged twice and asked about a late fee. The agent "
    "confirmed the duplicate charge and issued a refund to the customer's card.",
    "outage": "The customer's internet was down. The agent confirmed an outage in the area "
    "and said service would be restored within two hours.",
    "upgrade": "The customer asked for a faster plan. The agent confirmed fiber availability "
    "and scheduled the installation for Friday.",
    "cancel": "The customer wanted to cancel because the price went up. The agent offered a "
    "twelve-month discount.",
    "password-reset": "The customer could not log in and never got the reset email. The agent "
    "sent a new reset link.",
    "delivery": "The customer's order had not arrived. The agent said the courier would "
    "deliver it tomorrow.",
}
_PII = re.compile(r"\{(NAME|CREDIT_DEBIT_NUMBER):([^}]*)\}")
_WORD_MS = 380
_BOT_GAP_S = 2


@dataclass(frozen=True)
class Turn:
    """One utterance: who said it, when, and its raw and redacted texts."""

    id: str
    role: str
    participant_id: str
    display_name: str
    raw: str
    redacted: str
    redactions: tuple[tuple[int, int], ...]
    """Character offsets of the masks in `redacted`."""
    begin_ms: int
    end_ms: int
    at: datetime
    sentiment: str
    issue: str | None
    """The text Contact Lens detected as the contact's issue, if this turn has it."""

    def content(self, redacted: bool) -> str:
        return self.redacted if redacted else self.raw

    def issue_offsets(self, redacted: bool) -> tuple[int, int] | None:
        """Where the issue is in `content(redacted)`, as character offsets."""
        if self.issue is None:
            return None
        begin = self.content(redacted).rfind(self.issue)
        return (begin, begin + len(self.issue)) if begin >= 0 else None


@dataclass(frozen=True)
class Conversation:
    """A contact's analysed conversation and what Contact Lens found in it."""

    contact_id: str
    channel: str
    started: datetime
    """When offsets start: the agent's connection (on chats, the bot's first message)."""
    duration_ms: int
    turns: tuple[Turn, ...]
    category: str
    rule_id: str
    summary: str
    language: str


def analysis_of(record: Mapping[str, Any]) -> Record | None:
    """The contact's ConversationalAnalytics (Configuration and state), if it has one."""
    found = record.get("ContactLens", {}).get("ConversationalAnalytics")
    return found if isinstance(found, dict) else None


def redaction_policy(record: Mapping[str, Any]) -> str:
    """RedactedOnly or RedactedAndOriginal (or None when redaction is off)."""
    analytics = analysis_of(record) or {}
    redaction = analytics.get("Configuration", {}).get("RedactionConfiguration", {})
    if redaction.get("Behavior") != "Enable":
        return "None"
    return str(redaction.get("Policy", "RedactedAndOriginal"))


def conversation_of(
    instance: Instance, record: Mapping[str, Any], *, analysed: bool = True
) -> Conversation | None:
    """The conversation of a contact whose analysis completed, else None; with `analysed`
    False, of any call or chat an agent took (what its recording or transcript holds)."""
    transcript = instance.transcripts.get(record["Id"])
    if transcript is None and not analysed:
        intent = instance.attributes.get(chain_key(record), {}).get("intent") or "billing"
        rng = random.Random(f"transcript:{record['Id']}")
        transcript = transcript_for(rng, record["Channel"], intent)
    connected = record.get("AgentInfo", {}).get("ConnectedToAgentTimestamp")
    end = record.get("DisconnectTimestamp")
    if transcript is None or connected is None or end is None:
        return None
    rng = random.Random(f"conversation:{record['Id']}")
    configuration = (analysis_of(record) or {}).get("Configuration", {})
    redaction = configuration.get("RedactionConfiguration", {})
    entities = (
        set(redaction.get("Entities", ())) if redaction.get("Behavior") == "Enable" else set()
    )
    by_type = redaction.get("MaskMode") == "EntityType"
    intent = instance.attributes.get(chain_key(record), {}).get("intent") or intent_of(transcript)
    opening, talk = _lines(rng, record, transcript)
    participants = _participants(instance, record)
    started = connected - timedelta(seconds=_BOT_GAP_S * len(opening))
    talk_ms = max(int((end - connected) / timedelta(milliseconds=1)), 1000)
    slot = talk_ms // len(talk)
    timings = [(index * _BOT_GAP_S * 1000, 900) for index in range(len(opening))]
    for index, (_, text) in enumerate(talk):
        begin = index * slot + rng.randint(0, max(slot // 5, 1))
        spoken = len(text.split()) * _WORD_MS + rng.randint(100, 600)
        offset = len(opening) * _BOT_GAP_S * 1000
        timings.append((offset + begin, max(200, min(spoken, (index + 1) * slot - begin))))
    turns = []
    for index, ((role, text), (begin, length)) in enumerate(
        zip([*opening, *talk], timings, strict=True)
    ):
        raw, redacted, spans = _redact(text, entities, by_type)
        participant_id, name = participants[role]
        at = started + timedelta(milliseconds=begin)
        turns.append(
            Turn(
                id=new_id(rng),
                role=role,
                participant_id=participant_id,
                display_name=name,
                raw=raw,
                redacted=redacted,
                redactions=spans,
                begin_ms=begin,
                end_ms=begin + length,
                at=at,
                sentiment=_sentiment(role, text, index, len(opening) + len(talk)),
                issue=transcript["CUSTOMER"][0] if index == len(opening) + 1 else None,
            )
        )
    return Conversation(
        contact_id=record["Id"],
        channel=record["Channel"],
        started=started,
        duration_ms=int((end - started) / timedelta(milliseconds=1)),
        turns=tuple(turns),
        category=intent.replace("-", " ").title().replace(" ", ""),
        rule_id=new_id(random.Random(f"category:{intent}")),
        summary=_SUMMARIES.get(intent, "The customer's question was answered."),
        language=str(configuration.get("LanguageLocale", "en-US")),
    )


def _lines(
    rng: random.Random, record: Mapping[str, Any], transcript: Mapping[str, tuple[str, ...]]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(role, text) in the order they were said, before the agent joined and after;
    `{ENTITY:value}` marks personal data."""
    customer, agent = transcript["CUSTOMER"], transcript["AGENT"]
    name = record.get("CustomerEndpoint", {}).get("DisplayName") or rng.choice(_NAMES)
    card = " ".join(f"{rng.randint(0, 9999):04d}" for _ in range(4))
    opening = []
    if record["Channel"] == "CHAT":
        opening = [("CUSTOM_BOT", text) for text in transcript.get("CUSTOM_BOT", ())]
    talk = [
        ("AGENT", "Thank you for contacting Example Corp. Who am I speaking with?"),
        ("CUSTOMER", f"Hi, this is {{NAME:{name}}}. {customer[0]}"),
        ("AGENT", "Let me look into that. Can you confirm the card on the account?"),
        ("CUSTOMER", f"Sure, it is {{CREDIT_DEBIT_NUMBER:{card}}}. {customer[1]}"),
        ("AGENT", agent[0]),
        ("AGENT", agent[1]),
        ("AGENT", agent[2]),
        ("CUSTOMER", customer[2]),
    ]
    return opening, talk


_NAMES = ("Sam Rivera", "Alex Nguyen", "Jordan Smith", "Taylor Haddad", "Morgan Kim")


def _redact(
    text: str, entities: set[str], by_type: bool
) -> tuple[str, str, tuple[tuple[int, int], ...]]:
    raw = _PII.sub(lambda found: found.group(2), text)
    spans: list[tuple[int, int]] = []
    redacted = ""
    last = 0
    for found in _PII.finditer(text):
        redacted += text[last : found.start()]
        entity, value = found.group(1), found.group(2)
        mask = (f"[{entity}]" if by_type else "[PII]") if entity in entities else value
        if entity in entities:
            spans.append((len(redacted), len(redacted) + len(mask)))
        redacted += mask
        last = found.end()
    redacted += text[last:]
    return raw, redacted, tuple(spans)


def _sentiment(role: str, text: str, index: int, count: int) -> str:
    if role == "CUSTOMER":
        return "POSITIVE" if index == count - 1 else "NEGATIVE"
    return "POSITIVE" if index >= count - 3 and role == "AGENT" else "NEUTRAL"


def _participants(instance: Instance, record: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Participant ID and display name by role: on calls the roles themselves, as Contact
    Lens names a call's two channels; on chats the IDs ChatMetrics names."""
    if record["Channel"] != "CHAT":
        return {role: (role, role.title()) for role in ("AGENT", "CUSTOMER", "SYSTEM")}
    metrics = record.get("ChatMetrics", {})
    agent_id = record.get("AgentInfo", {}).get("Id", "agent")
    agent = instance.agent(agent_id)
    agent_name = agent.user["IdentityInfo"]["FirstName"] if agent is not None else "Agent"
    customer_id = metrics.get("CustomerMetrics", {}).get("ParticipantId") or new_id(
        random.Random(f"customer:{record['Id']}")
    )
    return {
        "AGENT": (metrics.get("AgentMetrics", {}).get("ParticipantId", agent_id), agent_name),
        "CUSTOMER": (customer_id, "Customer"),
        "CUSTOM_BOT": (new_id(random.Random(f"bot:{record['Id']}")), "BOT"),
        "SYSTEM": (new_id(random.Random(f"system:{record['Id']}")), "SYSTEM_MESSAGE"),
    }
