"""The GraphQL-over-HTTP audit of the `graphql-http` package (its `auditServer`), run with
node against a real gateway: every audit, MUST, SHOULD and MAY, passes.

    .venv/bin/pytest -q -s tests/api/test_http_audit.py     # prints the score
"""

from __future__ import annotations

import collections
import json
import subprocess

from tests.npm import install_node_tools
from tests.support import Gateway


def test_every_graphql_over_http_audit_passes(gateway: Gateway) -> None:
    node = install_node_tools()

    done = subprocess.run(
        ["node", "audit.mjs", f"{gateway.url}/graphql"],
        cwd=node,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )

    results = json.loads(done.stdout)
    score = collections.Counter(result["status"] for result in results)
    levels = collections.Counter(result["name"].split(" ", 1)[0] for result in results)
    print(f"\ngraphql-http audit: {dict(score)} of {len(results)} ({dict(levels)})")
    failing = [f"{r['status']}: {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    assert failing == []
    assert levels["MUST"] >= 10
    assert levels["SHOULD"] >= 20
