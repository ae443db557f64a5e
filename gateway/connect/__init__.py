"""Calling Amazon Connect: the boto3 client and its guards (the shared quota, breakers,
the per-caller budget), and Connect's wire format. Nothing above this package sees
botocore.

Imports: core, observability and shared.
"""

from __future__ import annotations

from gateway.connect.client import ConnectClient, Record

__all__ = ["ConnectClient", "Record"]
