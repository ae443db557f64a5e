"""A local Amazon Connect that speaks Connect's REST-JSON wire protocol.

An unmodified boto3 client pointed at it with `endpoint_url` (any region and credentials)
works: `create_emulator_app(EmulatorOptions(...))` is an ASGI app to serve with uvicorn.

What is faithful:
- Routes, parameter locations and input constraints come from botocore's own service model
  for `connect`, for every operation it lists, so they follow botocore as it changes.
- Inputs are validated as Connect does (required members, lengths, ranges) and rejected
  with 400 InvalidParameterException; a malformed JSON body gets InvalidRequestException.
- Responses are written by walking the operation's output shape (epoch-second timestamps,
  absent members left out) and carry `x-amzn-RequestId`; errors carry the status the model
  declares, `x-amzn-ErrorType` and `{"Message": ...}`, exactly what botocore parses.
- Rate limits are per-operation token buckets answering 429 ThrottlingException at once.

What is simplified:
- Any SigV4 signature is accepted, unchecked; only a request with no Authorization header
  (nor a presigned X-Amz-Signature) is refused, with 403 AccessDeniedException "Missing
  Authentication Token" (real AWS names that code MissingAuthenticationTokenException).
- Enum values are not checked on input, nor are patterns (some are Java-only regexes).
- Only DescribeContact, DescribeUser and DescribeQueue are implemented; every other
  operation in the model is routed and validated, then answered 400 InvalidRequestException
  "The emulator does not implement <Operation>". Unknown paths answer 404
  UnknownOperationException.
- Instance IDs may be given as instance ARNs. The data is a fixed, seeded demo dataset
  (see `gateway.emulator.dataset`), read-only.

Test endpoints (never counted, throttled or delayed): GET /_emulator/stats,
POST /_emulator/reset, GET /_emulator/contacts, GET|POST|DELETE /_emulator/faults.
"""

from __future__ import annotations

from gateway.emulator.app import create_emulator_app
from gateway.emulator.dataset import (
    DEMO_ACCOUNT_ID,
    DEMO_INSTANCE_ID,
    DEMO_REGION,
    SECOND_INSTANCE_ID,
)
from gateway.emulator.options import EmulatorOptions

__all__ = [
    "DEMO_ACCOUNT_ID",
    "DEMO_INSTANCE_ID",
    "DEMO_REGION",
    "SECOND_INSTANCE_ID",
    "EmulatorOptions",
    "create_emulator_app",
]
