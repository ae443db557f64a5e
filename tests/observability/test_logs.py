"""Log lines: one record is one line whatever a caller puts in its values (a forged path, a
token's `sub`, an exception's message), in both formats; no value forges an audit field."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from gateway.http.auth.keys import new_key
from gateway.observability.audit import Audit, refused
from gateway.observability.logs import configure
from tests.http.auth.issuer import AUDIENCE, ISSUER, SigningKey, running_issuer
from tests.support import Gateway

FORGED = "2026-12-04 22:30:00,000 INFO gateway.audit [-] caller=admin contacts=c-1"
FORGED_PATH = f"/x\n{FORGED}\n"
EVIL_SUB = "evil\ncaller=admin operation=x"
UNSAFE = "\x00\x1b\x7f\x85\u2028\u2029\u202e\t\r\n\ud800"
AUDIT_FIELDS = ["caller", "operation", "instances", "contacts", "errors"]

audit_log = logging.getLogger("gateway.audit")


@pytest.fixture(params=["text", "json"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def captured(fmt: str) -> Iterator[io.StringIO]:
    """What the handler `configure` makes writes, beside pytest's own handlers."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure("INFO", fmt)
    [handler] = root.handlers
    root.handlers[:] = handlers
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _lines(stream: io.StringIO) -> list[str]:
    # splitlines: also every line break a reader other than `split("\n")` would see.
    return stream.getvalue().splitlines()


def _message(line: str, fmt: str) -> str:
    if fmt == "json":
        return str(json.loads(line)["message"])
    return line.split("] ", 1)[1]


def _fields(message: str) -> dict[str, str]:
    pairs = [item.split("=", 1) for item in message.split(" ")]
    assert all(len(pair) == 2 for pair in pairs), message
    return dict(pairs)


def test_a_forged_path_and_sub_stay_on_the_line_of_their_record(
    captured: io.StringIO, fmt: str
) -> None:
    audit_log.info("refused %s %s: %s", "GET", FORGED_PATH, "authentication required")
    audit_log.info("token of %s", EVIL_SUB)

    lines = _lines(captured)

    assert len(lines) == 2
    assert not any(line.startswith(FORGED) or line.startswith("caller=") for line in lines)
    if fmt == "json":
        assert [json.loads(line)["message"] for line in lines] == [
            f"refused GET {FORGED_PATH}: authentication required",
            f"token of {EVIL_SUB}",
        ]
    else:
        assert lines[0].endswith(f"refused GET /x\\n{FORGED}\\n: authentication required")
        assert lines[1].endswith("token of evil\\ncaller=admin operation=x")


def test_every_unsafe_character_is_a_visible_escape(captured: io.StringIO, fmt: str) -> None:
    audit_log.info("value=%s", UNSAFE)

    [line] = _lines(captured)

    assert all(0x20 <= ord(char) < 0x7F for char in line)
    if fmt == "json":
        assert json.loads(line)["message"] == f"value={UNSAFE}"
        assert "\\u007f" in line
        assert "\\u2028" in line
    else:
        assert line.endswith(r"value=\x00\x1b\x7f\x85\u2028\u2029\u202e\t\r\n\ud800")


def test_a_traceback_is_indented_under_its_record(captured: io.StringIO, fmt: str) -> None:
    try:
        raise ValueError(f"no contact {FORGED_PATH}\x1b[2J")
    except ValueError:
        logging.getLogger("gateway.errors").exception("unexpected error at %s", FORGED_PATH)

    lines = _lines(captured)

    if fmt == "json":
        [line] = lines
        entry = json.loads(line)
        assert entry["message"] == f"unexpected error at {FORGED_PATH}"
        assert f"ValueError: no contact {FORGED_PATH}\x1b[2J" in entry["exception"]
    else:
        first, *traceback = lines
        assert first.endswith(f"unexpected error at /x\\n{FORGED}\\n")
        assert traceback[0] == "  Traceback (most recent call last):"
        assert all(line.startswith("  ") for line in traceback)
        assert f"  {FORGED}" in traceback
        assert traceback[-1] == "  \\x1b[2J"


@pytest.mark.parametrize(
    "caller",
    [
        "evil caller=admin operation=x",
        EVIL_SUB,
        'evil" caller="admin',
        "evil\\ caller=admin",
        "evil,admin%20x",
        "evil\u2028caller=admin",
    ],
)
def test_no_caller_forges_a_field_of_the_audit_line(
    captured: io.StringIO, fmt: str, caller: str
) -> None:
    audit = Audit(caller)
    audit.read("i-1", "c,1 contacts=c-2")
    audit.read("i-1", "c-3")
    audit.write("Who", 0)

    [line] = _lines(captured)
    fields = _fields(_message(line, fmt))

    assert list(fields) == AUDIT_FIELDS
    assert unquote(fields["caller"]) == caller
    assert [unquote(item) for item in fields["contacts"].split(",")] == [
        "c,1 contacts=c-2",
        "c-3",
    ]
    assert fields["instances"] == "i-1"


def test_plain_identifiers_read_as_they_are(captured: io.StringIO, fmt: str) -> None:
    Audit("key:dash-board_1@example.com").write(None, 2)
    refused("GET", "/graphql", "authentication required")

    audited, refusal = (_message(line, fmt) for line in _lines(captured))

    assert (
        audited == "caller=key:dash-board_1@example.com operation=- instances=- contacts=- errors=2"
    )
    assert refusal == "refused GET /graphql: authentication required"


def test_a_refused_path_is_encoded(captured: io.StringIO, fmt: str) -> None:
    refused("GET", "/x caller=admin\n", "authentication required")

    [line] = _lines(captured)

    assert _message(line, fmt) == "refused GET /x%20caller%3Dadmin%0A: authentication required"


@pytest.mark.parametrize("fmt", ["text"])
def test_a_forged_path_sent_to_a_gateway_forges_no_line(
    start_gateway: Callable[..., Gateway], tmp_path: Path, captured: io.StringIO
) -> None:
    _, entry = new_key("dashboard", ["contacts:read"])
    (tmp_path / "keys.json").write_text(json.dumps({"keys": [entry]}))
    gateway = start_gateway(auth="api-key", api_keys_file=tmp_path / "keys.json")

    answer = gateway.http.get(f"/x%0a{FORGED}%0a")

    assert answer.status_code == 401
    lines = _lines(captured)
    [line] = [line for line in lines if "refused GET /x%0A" in line]
    assert " gateway.audit " in line
    assert not any(line.startswith(FORGED) for line in lines)
    assert not any(FORGED in line for line in lines), "encoded, it reads as one value"


@pytest.mark.parametrize("fmt", ["text"])
def test_a_forged_sub_sent_to_a_gateway_forges_no_caller(
    start_gateway: Callable[..., Gateway], captured: io.StringIO
) -> None:
    key = SigningKey()
    with running_issuer(key) as issuer:
        gateway = start_gateway(
            auth="jwt", jwt_jwks_url=issuer.url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE
        )
        token = key.sign(sub=EVIL_SUB)
        answer = gateway.http.post(
            "/graphql",
            json={"query": "query Who { __typename }"},
            headers={"authorization": f"Bearer {token}"},
        )

    assert answer.status_code == 200, answer.text
    [line] = [line for line in _lines(captured) if " gateway.audit " in line]
    fields = _fields(_message(line, "text"))
    assert list(fields) == AUDIT_FIELDS
    assert unquote(fields["caller"]).endswith(EVIL_SUB)
    assert fields["operation"] == "Who"
