"""Access to Amazon Connect through boto3; nothing above this package sees botocore."""

from __future__ import annotations

from gateway.connect.client import ConnectClient, Record

__all__ = ["ConnectClient", "Record"]
