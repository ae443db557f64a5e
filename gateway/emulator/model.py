"""Connect's service model exactly as the installed botocore ships it."""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import ServiceModel

__all__ = ["connect_model", "error_status"]


@cache
def connect_model() -> ServiceModel:
    """The `connect` service model; loaded once, it is large."""
    return botocore.session.get_session().get_service_model("connect")


@cache
def error_status(code: str) -> int | None:
    """The HTTP status the model declares for error `code`, or None if it has no such error."""
    for shape in connect_model().error_shapes:
        if shape.name == code:
            status = shape.metadata.get("error", {}).get("httpStatusCode")
            return int(status) if status is not None else None
    return None
