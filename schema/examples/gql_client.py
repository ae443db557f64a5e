"""A Python client of the gateway with gql: documents checked against the exported schema
before they are sent, variables and scalars as plain JSON.

    pip install "gql[httpx]"
    python schema/examples/gql_client.py http://127.0.0.1:8000/graphql <contactId> [apiKey]

Prints the contact and the contacts linked to it (the ContactWithLinks operation) as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from gql import Client, gql
from gql.transport.httpx import HTTPXAsyncTransport

SCHEMA = Path(__file__).resolve().parents[2] / "schema"


def client(url: str, api_key: str | None = None) -> Client:
    headers = {"X-API-Key": api_key} if api_key else {}
    transport = HTTPXAsyncTransport(url=url, headers=headers, timeout=30)
    # With the SDL at hand gql validates each document locally: a typo fails here, not on
    # the server.
    return Client(transport=transport, schema=(SCHEMA / "schema.graphql").read_text())


async def contact_with_links(url: str, contact_id: str, api_key: str | None = None) -> object:
    document = gql((SCHEMA / "operations" / "ContactWithLinks.graphql").read_text())
    async with client(url, api_key) as session:
        document.variable_values = {"contactId": contact_id}
        result = await session.execute(document)
    return result["contact"]


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    url, contact_id, *rest = argv
    contact = asyncio.run(contact_with_links(url, contact_id, rest[0] if rest else None))
    print(json.dumps(contact, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
