"""A local Amazon Connect that speaks Connect's REST-JSON wire protocol.

An unmodified boto3 client pointed at it with `endpoint_url` (any region and credentials)
works: `create_emulator_app(EmulatorOptions(...))` is an ASGI app to serve with uvicorn.

What is faithful:
- Routes, parameter locations and input constraints come from botocore's own service model
  for `connect`, for every operation it lists, so they follow botocore as it changes.
- Inputs are validated as Connect does (required members, lengths, ranges) and rejected
  with 400 InvalidParameterException (InvalidRequestException for the operations whose
  model declares only that one); a malformed JSON body gets InvalidRequestException.
- Responses are written by walking the operation's output shape (epoch-second timestamps,
  absent members left out) and carry `x-amzn-RequestId`; errors carry the status the model
  declares, `x-amzn-ErrorType` and `{"Message": ...}`, exactly what botocore parses.
- Rate limits are per-operation token buckets answering 429 ThrottlingException at once.

What is implemented, over a seeded demo dataset (see `gateway.emulator.world.dataset`; instance
IDs may also be given as instance ARNs), which only the writes below and the timeline
change:
- DescribeContact, DescribeUser, DescribeQueue: the records as they are, every member of
  the Contact, User and Queue shapes filled on at least one of them.
- GetContactAttributes: attributes belong to a chain of contacts and are kept under its
  initial contact. Connect copies them onto each contact continuing the chain, so any
  contact of the chain, initial or not, answers the chain's attributes, the same ones its
  DescribeContact `Attributes` shows; a chain without attributes answers `{}`. A contact
  the instance does not have (including a purged initial contact) answers 404.
- ListContactReferences: references belong to one contact (the model calls ContactId "the
  initial contact", but tasks and emails carry their own), so any contact answers its own
  of the requested types (at most 6 types, as the model says; any ReferenceType,
  including the voicemail ones), in the order they were made, 3 a page. Simplification:
  Connect documents NextToken as always null (one page); the emulator pages so that
  clients' paging loops are exercised.
- ListAssociatedContacts: the contact's tree (see `gateway.emulator.operations.trees`), itself
  included, in initiation order, AssociatedContactSummary records, MaxResults 1..100, by
  default 25 a page. Simplification: Connect does not document how it orders the list.
- SearchContacts (see `gateway.emulator.operations.search` and
  `gateway.emulator.operations.criteria`): every TimeRange type, ends included; a range
  longer than 8 weeks (the contact search limit) or ending before it starts is refused;
  every SearchCriteria member; Sort on every field, by default INITIATION_TIMESTAMP
  DESCENDING; MaxResults 1..100, by default 100;
  TotalCount; ContactSearchSummary records. Simplifications: every contact attribute key
  is searchable (Connect searches only keys an admin made searchable); transcript search
  covers a few seeded utterances per role of the calls and chats whose Contact Lens
  analysis completed; contacts are not limited to the last two years nor to 10,000
  results; EXPIRY_TIMESTAMP is known for tasks only (their ContactExpiry, else 7 days).

- Tags, routing data, schedules, tasks, transfers, stop, pause and resume, each with
  Connect's rules and ClientToken idempotency (see `gateway.emulator.operations.writes`).
- UpdateContact and UpdateContactAttributes (see `gateway.emulator.operations.updates`), on ongoing
  and ended contacts: name, description, references (the types a caller may set), segment
  attributes, an email's CC list; attributes merged into the contact's whole chain.
  Simplifications: the members only external audio contacts may update (queue, user,
  endpoints) are always refused, except endpoints of OUTBOUND or AGENT_REPLY emails; any
  segment attribute key is accepted; ConflictException never happens.

- Transcripts, evaluations and recordings (over the seeded Recordings, Contact Lens info
  and ContactEvaluations; see `gateway.emulator.world.conversations`, `.lens`, `.evaluations`,
  `.storage`, `.media`):
  ListRealtimeContactAnalysisSegmentsV2 (chats only, as Connect: a call answers 400;
  OutputType Raw or Redacted, 404 OutputTypeNotFoundException when the contact's policy
  does not keep it; every SegmentType but Attachments and ExtractedInformation; a chat
  without analysis 404); the `connect-contact-lens` service's
  ListRealtimeContactAnalysisSegments on the same endpoint (its own path, no collision),
  for calls analysed in real time, within 24 hours of their end (else 404);
  ListContactEvaluations (2 a page) and DescribeContactEvaluation over two forms per
  instance (COMPLETE entries are SUBMITTED, IN_PROGRESS DRAFT, DELETED ones 404);
  ListInstanceStorageConfigs (CALL_RECORDINGS, CHAT_TRANSCRIPTS in bucket
  `example-connect-media`, prefix `connect/<instanceId>/...`, KMS; MEDIA_STREAMS).
  A read-only S3 at `/_s3` (path-style: `endpoint_url=url + "/_s3"`) serves that bucket:
  each available recording as a few seconds of 8 kHz WAV, chat transcripts, and Contact
  Lens' output files (`connect/<instanceId>/Analysis/Voice|Chat/[Redacted/]<yyyy>/<mm>/
  <dd>/<contactId>_analysis[_redacted]_<timestamp>.json`, redacted call audio);
  ListObjectsV2, GetObject (one Range), HeadObject, S3's XML errors; presigned URLs are
  honoured until they expire (403 "Request has expired", against the real time).
  Simplifications: conversations are a fixed script of turns about the chain's intent
  (personal data: the customer's name and card number, masked `[PII]` or `[NAME]` as
  MaskMode says); signatures are unchecked; recordings do not last the call's length.
  S3 requests are counted, throttled (503 SlowDown) and faulted under ListObjectsV2,
  GetObject and HeadObject (a fault's `patch` does not apply to them).

Time: the emulator keeps Connect's clock. `clock="wall"` (the `emulator` command's and the
demo's default): its now is the real time, and the seeded data is built to end at start-up,
so that "the last hour" holds what it would against Connect. `clock="fixed"` (the default of
`EmulatorOptions`, for deterministic tests): stopped at the seeded data's NOW
(2026-11-02T09:00Z), the data as seeded. On the wall clock active contacts move on (see
`gateway.emulator.world.lifecycle`) through QUEUED, CONNECTED_TO_AGENT, DISCONNECTED and
COMPLETED, with durations drawn from a seeded RNG and divided by `time_scale` (10: ten times
shorter; the clock itself never runs fast); the transitions are simplified (every queued
contact reaches an agent, every disconnect is the customer's, no holds, transfers or
callbacks are made). `POST /_emulator/contacts` starts a new one.

Contact events (see `gateway.emulator.world.events` and `gateway.emulator.protocol.sender`): with an
events URL, each state change and each update is posted as EventBridge delivers Connect's
"Amazon Connect Contact Event": the envelope and the `detail` members of Connect's contact
events data model the emulator knows (not CONNECTED_TO_SYSTEM, AMD or routing-step events,
nor Contact Lens or segment attributes in `detail`; `initialContactId` and
`previousContactId` are present only when DescribeContact has them). CONTACT_DATA_UPDATED's
`updatedProperties` names the UpdateContact members given, or "UserDefinedAttributes".
Sent off the request path by background workers, each event one POST; a failure is retried
three times then dropped and counted. Knobs drop, duplicate, delay and jitter (reorder)
them, as EventBridge's best-effort delivery may.

Tokens of paged operations are opaque: base64 of an offset and a digest of the request
they were issued for; one that does not decode, or was issued for another request (other
criteria, sort, types or contact; the page size may change), answers 400
InvalidParameterException.

What is simplified:
- Any SigV4 signature is accepted, unchecked; only a request with no Authorization header
  (nor a presigned X-Amz-Signature) is refused, with 403 AccessDeniedException "Missing
  Authentication Token" (real AWS names that code MissingAuthenticationTokenException).
  The credential's scope is read: with `region` set, another region's is refused; with
  `only_assumed_roles`, only credentials its own STS AssumeRole issued get in
  (`gateway/emulator/protocol/sts.py`).
- Enum values are not checked on input, except where an operation's answer depends on
  them (SearchContacts, ListContactReferences' types); patterns never are (some are
  Java-only regexes).
- Every other operation in the models is routed and validated, then answered 400
  InvalidRequestException "The emulator does not implement <Operation>". Unknown paths
  answer 404 UnknownOperationException.

Test endpoints (never counted, throttled or delayed): GET /_emulator/stats (with the
events' counters), POST /_emulator/reset, GET /_emulator/contacts (each contact's links,
the root of its tree, and how many attributes and references it has), POST
/_emulator/contacts (a new contact arrives), GET|POST /_emulator/events (where events go,
and the knobs), GET|POST|DELETE /_emulator/faults.

Knob `max_page_size` (`--max-page-size`): the operations that take MaxResults answer at
most that many items a page, as a service may answer fewer than asked, so that clients'
paging shows on small data.
"""

from __future__ import annotations

from gateway.emulator.protocol.app import create_emulator_app
from gateway.emulator.protocol.knobs import EventKnobs
from gateway.emulator.protocol.options import EmulatorOptions
from gateway.emulator.world.dataset import (
    DEMO_ACCOUNT_ID,
    DEMO_INSTANCE_ID,
    DEMO_REGION,
    SECOND_INSTANCE_ID,
)

__all__ = [
    "DEMO_ACCOUNT_ID",
    "DEMO_INSTANCE_ID",
    "DEMO_REGION",
    "SECOND_INSTANCE_ID",
    "EmulatorOptions",
    "EventKnobs",
    "create_emulator_app",
]
