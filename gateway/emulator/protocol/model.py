"""Connect's service models exactly as the installed botocore ships them: `connect`, and
`connect-contact-lens` (real-time voice analysis), a service of its own on its own paths."""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import ServiceModel

__all__ = ["connect_model", "contact_lens_model", "error_status"]


@cache
def connect_model() -> ServiceModel:
    """The `connect` service model; loaded once, it is large."""
    return botocore.session.get_session().get_service_model("connect")


@cache
def contact_lens_model() -> ServiceModel:
    """The `connect-contact-lens` service model."""
    return botocore.session.get_session().get_service_model("connect-contact-lens")


@cache
def error_status(code: str) -> int | None:
    """The HTTP status the model declares for error `code`, or None if it has no such error."""
    for shape in connect_model().error_shapes:
        if shape.name == code:
            status = shape.metadata.get("error", {}).get("httpStatusCode")
            return int(status) if status is not None else None
    return None
