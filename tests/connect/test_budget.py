"""Each caller's share of upstream calls: past it, what needs a new Connect call is
UPSTREAM_THROTTLED at once, cached answers still flow, and other callers are untouched
(real gateway, the emulator counting calls, two API keys)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.http.auth.keys import new_key
from tests.chains import demo_contacts
from tests.support import Emulator, Gateway

MANY = "query($ids: [ID!]!) { contacts(contactIds: $ids) { id } }"


def test_a_caller_past_its_share_is_throttled_while_cached_answers_flow(
    start_gateway: Callable[..., Gateway], emulator: Emulator, tmp_path: Path
) -> None:
    greedy, greedy_entry = new_key("greedy", ["contacts:read", "instance:*"])
    other, other_entry = new_key("other", ["contacts:read", "instance:*"])
    (tmp_path / "keys.json").write_text(json.dumps({"keys": [greedy_entry, other_entry]}))
    gateway = start_gateway(
        auth="api-key", api_keys_file=tmp_path / "keys.json", caller_upstream_calls_per_minute=5
    )
    known = list(demo_contacts(emulator.contacts()))[:3]

    def ask(key: str, ids: list[str]) -> dict[str, Any]:
        response = gateway.http.post(
            "/graphql", json={"query": MANY, "variables": {"ids": ids}}, headers={"x-api-key": key}
        )
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    warm = ask(greedy, known)
    assert [c["id"] for c in warm["data"]["contacts"]] == known
    emulator.reset()

    unknown = [f"00000000-0000-4000-8000-{n:012d}" for n in range(10)]
    answer = ask(greedy, unknown)
    codes = [e["extensions"]["code"] for e in answer["errors"]]
    assert codes.count("NOT_FOUND") == 2, "its share: 5 a minute, 3 spent warming"
    assert codes.count("UPSTREAM_THROTTLED") == 8
    assert "GATEWAY_CALLER_UPSTREAM_CALLS_PER_MINUTE" in next(
        e["message"] for e in answer["errors"] if e["extensions"]["code"] == "UPSTREAM_THROTTLED"
    )
    assert emulator.calls("DescribeContact") == 2

    again = ask(greedy, [*known, unknown[9]])
    assert [c and c["id"] for c in again["data"]["contacts"]] == [*known, None]
    assert [e["path"] for e in again["errors"]] == [["contacts", 3]]
    assert again["errors"][0]["extensions"]["code"] == "UPSTREAM_THROTTLED"

    theirs = ask(other, unknown[5:8])
    assert {e["extensions"]["code"] for e in theirs["errors"]} == {"NOT_FOUND"}
    assert emulator.calls("DescribeContact") == 5
