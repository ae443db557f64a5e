"""Which members of Connect's Contact, User, Queue and ReferenceSummary are personal data:
the one reviewed place, with the kinds of gateway/data/kinds.py (a kind read whole says
`personal="none"` or `"all"` for its shape there, once; a "members" one is listed here).
`scripts/generate_types.py` reads it and marks each personal field, which then answers
only callers with the `contacts:pii` scope (null with FORBIDDEN for the others) and says
so in its description.

Every member of these shapes is listed, personal (a reason) or not (None): when a botocore
upgrade adds a member, the generator stops and a test fails until someone classifies it
here. A personal member hides everything below it; when in doubt, a member is personal.
"""

from __future__ import annotations

from gateway.data.kinds import KINDS

__all__ = ["CLASSIFIED", "WHOLE", "personal"]

CLASSIFIED: dict[str, dict[str, str | None]] = {
    "Contact": {
        "Arn": None,
        "Id": None,
        "InitialContactId": None,
        "PreviousContactId": None,
        "ContactAssociationId": None,
        "InitiationMethod": None,
        "Name": "free text written by agents and flows, often naming the customer",
        "Description": "free text written by agents and flows, often about the customer",
        "Channel": None,
        "QueueInfo": None,
        "AgentInfo": None,
        "InitiationTimestamp": None,
        "DisconnectTimestamp": None,
        "LastUpdateTimestamp": None,
        "LastPausedTimestamp": None,
        "LastResumedTimestamp": None,
        "RingStartTimestamp": None,
        "TotalPauseCount": None,
        "TotalPauseDurationInSeconds": None,
        "ScheduledTimestamp": None,
        "RelatedContactId": None,
        "WisdomInfo": None,
        "CustomerId": "the customer's identifier in Customer Profiles",
        "CustomerEndpoint": "the customer's phone number or email address",
        "SystemEndpoint": None,
        "QueueTimeAdjustmentSeconds": None,
        "QueuePriority": None,
        "Tags": None,
        "ConnectedToSystemTimestamp": None,
        "RoutingCriteria": None,
        "Customer": "the customer's device and platform",
        "Campaign": None,
        "AnsweringMachineDetectionStatus": None,
        "CustomerVoiceActivity": None,
        "QualityMetrics": None,
        "ChatMetrics": None,
        "DisconnectDetails": None,
        "AdditionalEmailRecipients": "email addresses of the customer and others",
        "SegmentAttributes": "values set by flows and integrations about the customer",
        "Recordings": "where the customer's recorded voice, screen and transcripts are",
        "DisconnectReason": None,
        "ContactEvaluations": None,
        "TaskTemplateInfo": None,
        "Cases": None,
        "ContactDetails": "free text (name, description) about the customer's request",
        "OutboundStrategy": None,
        "Attributes": "values set by flows about the customer (account numbers, intents)",
        "NextContacts": None,
        "GlobalResiliencyMetadata": None,
        "ContactLens": None,
        "VoicemailInfo": None,
    },
    "User": {
        "Id": None,
        "Arn": None,
        "Username": "the agent's login name, often their email address",
        "IdentityInfo": "the agent's names, email addresses and mobile number",
        "PhoneConfig": "the agent's desk phone number",
        "DirectoryUserId": None,
        "SecurityProfileIds": None,
        "RoutingProfileId": None,
        "HierarchyGroupId": None,
        "Tags": None,
        "AutoAcceptConfigs": None,
        "AfterContactWorkConfigs": None,
        "PhoneNumberConfigs": "the agent's phone numbers",
        "PersistentConnectionConfigs": None,
        "VoiceEnhancementConfigs": None,
        "LastModifiedTime": None,
        "LastModifiedRegion": None,
    },
    "Queue": {
        "Name": None,
        "QueueArn": None,
        "QueueId": None,
        "Description": None,
        "OutboundCallerConfig": None,
        "OutboundEmailConfig": None,
        "HoursOfOperationId": None,
        "MaxContacts": None,
        "Status": None,
        "Tags": None,
        "LastModifiedTime": None,
        "LastModifiedRegion": None,
    },
    # Only reachable through Contact.references (personal as a whole): each kind of
    # reference holds what agents and customers attached, wrote or said.
    "ReferenceSummary": {
        "Url": "links attached to the contact",
        "Attachment": "files attached by the customer or agent",
        "EmailMessage": "the customer's email",
        "EmailMessageRedacted": "the customer's email, redacted",
        "EmailMessagePlainText": "the customer's email",
        "EmailMessagePlainTextRedacted": "the customer's email, redacted",
        "String": "values entered about the contact",
        "Number": "values entered about the contact",
        "Date": "values entered about the contact",
        "Email": "email addresses",
        "ContactAnalysis": "analysis of what the customer said",
        "VoicemailRecording": "the customer's voice",
        "VoicemailRecordingRedacted": "the customer's voice, redacted",
        "VoicemailAnalysis": "analysis of the customer's voicemail",
        "VoicemailAnalysisRedacted": "analysis of the customer's voicemail, redacted",
    },
}


def personal(shape: str, member: str) -> bool:
    """True for a personal member; KeyError for a member of a classified shape that is not
    classified (the generator stops on it)."""
    if shape not in CLASSIFIED:
        return WHOLE.get(shape) == "all"
    return CLASSIFIED[shape][member] is not None


WHOLE = {kind.shape: kind.personal for kind in KINDS.values() if kind.shape is not None}
"""The shapes of kinds read whole, and what their kind says of them ("none", "all"; a
"members" kind's shape is classified in CLASSIFIED)."""
