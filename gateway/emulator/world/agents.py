"""A demo agent: the Connect user DescribeUser answers, with every per-channel setting.

The per-channel settings (auto-accept, after-contact work, phone, persistent connection,
voice enhancement) agree with the older single PhoneConfig, as Connect keeps them in step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.core.records import Record
from gateway.emulator.world.ids import new_id

__all__ = ["Agent", "make_agent"]


_CHANNELS = ("VOICE", "CHAT", "TASK", "EMAIL")
_ENHANCEMENTS = ("NOISE_SUPPRESSION", "VOICE_ISOLATION", "NONE")


@dataclass(frozen=True)
class Agent:
    """A Connect user who handles contacts; `hierarchy_arns` runs from level 1 down."""

    id: str
    arn: str
    hierarchy_arns: tuple[str, ...]
    user: Record

    @property
    def voice_enhancement(self) -> str:
        configs: list[Record] = self.user["VoiceEnhancementConfigs"]
        return str(configs[0]["VoiceEnhancementMode"])


def make_agent(
    rng: random.Random,
    instance_arn: str,
    name: tuple[str, str],
    hierarchy: tuple[str, ...],
    modified: datetime,
    *,
    directory_backed: bool = False,
) -> Agent:
    """An agent called `name` (first, last) in the lowest group of `hierarchy`."""
    first, last = name
    agent_id = new_id(rng)
    arn = f"{instance_arn}/agent/{agent_id}"
    username = f"{first[0]}{last}".lower().replace("é", "e").replace("í", "i")
    user: Record = {
        "Id": agent_id,
        "Arn": arn,
        "Username": username,
        "IdentityInfo": _identity(rng, first, last, username),
        "PhoneConfig": _phone(rng),
        "SecurityProfileIds": [new_id(rng)],
        "RoutingProfileId": new_id(rng),
        "HierarchyGroupId": hierarchy[-1].rsplit("/", 1)[1],
        "Tags": {"team": "contact-centre"},
        "LastModifiedTime": modified - timedelta(days=rng.randint(5, 200)),
        "LastModifiedRegion": "us-east-1",
    }
    if directory_backed:
        user["DirectoryUserId"] = new_id(rng)
    user.update(_per_channel(rng, user["PhoneConfig"]))
    return Agent(agent_id, arn, hierarchy, user)


def _identity(rng: random.Random, first: str, last: str, username: str) -> Record:
    identity: Record = {"FirstName": first, "LastName": last, "Email": f"{username}@example.com"}
    if rng.random() < 0.5:
        identity["SecondaryEmail"] = f"{username}.oncall@example.org"
    if rng.random() < 0.5:
        identity["Mobile"] = f"+1425{rng.randint(2_000_000, 9_999_999)}"
    return identity


def _phone(rng: random.Random) -> Record:
    desk = rng.random() < 0.2
    phone: Record = {
        "PhoneType": "DESK_PHONE" if desk else "SOFT_PHONE",
        "AutoAccept": rng.random() < 0.3,
        "AfterContactWorkTimeLimit": rng.choice((0, 30, 60, 120)),
    }
    if desk:
        phone["DeskPhoneNumber"] = f"+1206555{rng.randint(1000, 1999)}"
    else:
        phone["PersistentConnection"] = rng.random() < 0.5
    return phone


def _per_channel(rng: random.Random, phone: Record) -> Record:
    voice_number: Record = {"Channel": "VOICE", "PhoneType": phone["PhoneType"]}
    if "DeskPhoneNumber" in phone:
        voice_number["PhoneNumber"] = phone["DeskPhoneNumber"]
    return {
        "AutoAcceptConfigs": [_auto_accept(rng, channel, phone) for channel in _CHANNELS],
        "AfterContactWorkConfigs": [_after_work(rng, channel, phone) for channel in _CHANNELS],
        "PhoneNumberConfigs": [voice_number],
        "PersistentConnectionConfigs": [
            {"Channel": "VOICE", "PersistentConnection": phone.get("PersistentConnection", False)}
        ],
        "VoiceEnhancementConfigs": [
            {"Channel": "VOICE", "VoiceEnhancementMode": rng.choice(_ENHANCEMENTS)}
        ],
    }


def _auto_accept(rng: random.Random, channel: str, phone: Record) -> Record:
    if channel != "VOICE":
        return {"Channel": channel, "AutoAccept": rng.random() < 0.2}
    agent_first = rng.random() < 0.5
    return {
        "Channel": channel,
        "AutoAccept": phone["AutoAccept"],
        "AgentFirstCallbackAutoAccept": agent_first,
    }


def _after_work(rng: random.Random, channel: str, phone: Record) -> Record:
    if channel != "VOICE":
        limit = rng.choice((0, 60, 300))
        return {"Channel": channel, "AfterContactWorkConfig": {"AfterContactWorkTimeLimit": limit}}
    return {
        "Channel": channel,
        "AfterContactWorkConfig": {"AfterContactWorkTimeLimit": phone["AfterContactWorkTimeLimit"]},
        "AgentFirstCallbackAfterContactWorkConfig": {"AfterContactWorkTimeLimit": 30},
    }
