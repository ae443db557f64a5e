"""Logging: text or JSON lines, each carrying the id of the request it belongs to (and, when
tracing is on, the trace and span it was written in).

A log record is one line, whatever its values hold: callers put text in them (a request's
path, a token's `sub`, an exception's message), and a line break there would forge a record.

- Text: every character that ends a line or changes how the rest of it shows becomes a
  visible escape, `\\n`, `\\r`, `\\t`, `\\xNN` or `\\uNNNN`: C0 controls, DEL, C1 controls
  (U+0085 among them), U+2028 and U+2029, the bidirectional controls, and lone surrogates
  (which a strict UTF-8 stream cannot write). A backslash stays as it is, so a message's
  own `\\n` reads like an escaped line break: values that must read back exactly (the
  audit line's) are percent-encoded by gateway.observability.audit. A traceback (of an
  exception logged with the record, e.g. a masked INTERNAL_SERVER_ERROR's) keeps its
  lines, each indented and escaped the same way: a line that starts at its first column
  starts a record.
- JSON: one object per line, every character outside printable ASCII a JSON escape
  (`\\n`, `\\u001b`, `\\u2028`, ...). A value reads back as it was logged.

The root handler `configure` installs applies them to every logger that reaches it,
uvicorn's included (the CLI starts uvicorn with `log_config=None`: its loggers propagate).
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime

from gateway.observability import tracing

__all__ = ["configure", "request_id"]

request_id: ContextVar[str] = ContextVar("request_id", default="-")

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s%(trace)s] %(message)s"
_UNSAFE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(text: str) -> str:
    return _UNSAFE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def _indented(text: str) -> str:
    return "\n".join(f"  {_escape(line)}" for line in text.split("\n"))


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        ids = tracing.current_ids()
        record.trace_id, record.span_id = ids if ids else ("", "")
        record.trace = f" trace={ids[0]}" if ids else ""
        return True


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # Not the base class's format: it would append a traceback (its cached exc_text,
        # perhaps made by another handler) unescaped.
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        line = _escape(self.formatMessage(record))
        traceback = self.formatException(record.exc_info) if record.exc_info else record.exc_text
        if traceback:
            line += "\n" + _indented(traceback)
        if record.stack_info:
            line += "\n" + _indented(self.formatStack(record.stack_info))
        return line


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if trace_id := getattr(record, "trace_id", ""):
            entry["trace_id"] = trace_id
            entry["span_id"] = getattr(record, "span_id", "")
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # ensure_ascii (the default, kept on purpose): every character outside printable
        # ASCII, DEL and line separators included, is a \uNNNN escape.
        return json.dumps(entry, ensure_ascii=True)


def configure(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter(_TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
