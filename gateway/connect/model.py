"""botocore's service model for Connect, in one place: the shapes the schema generator and
the resolvers' conversions read, and GraphQL descriptions taken from it as plain text.

The schema documents each field with Connect's own words, so GraphiQL's docs explain
what Connect means by it, and stay as current as the installed botocore.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any

import botocore.session
from botocore.model import Shape

__all__ = ["Shape", "doc", "model", "plain_text"]

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t\r\f\v]+")
_BREAK = re.compile(r"</?(p|li|ul|ol|br)\b[^>]*>", re.IGNORECASE)


@functools.cache
def model() -> Any:
    """botocore's service model for Connect (read once)."""
    return botocore.session.get_session().get_service_model("connect")


def doc(shape: str, member: str | None = None) -> str | None:
    """The documentation of a shape of the Connect model, or of one of its members."""
    target = model().shape_for(shape)
    if member is not None:
        target = target.members[member]
    return plain_text(target.documentation) or None


def plain_text(markup: str) -> str:
    text = _BREAK.sub("\n", markup)
    text = html.unescape(_TAG.sub("", text))
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
