"""Persisted operations: Apollo's automatic persisted queries and trusted documents.

APQ: a client sends `extensions.persistedQuery = {version: 1, sha256Hash}` and no query;
the gateway answers PERSISTED_QUERY_NOT_FOUND until the client sends the query with its
hash, which registers it (in the cache: Redis shares it between replicas). Trusted
documents: an Apollo persisted query manifest (GATEWAY_TRUSTED_DOCUMENTS) whose operations
a client may name by id (or hash); with GATEWAY_TRUSTED_DOCUMENTS_ONLY, nothing else runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from graphql import GraphQLError, OperationDefinitionNode, parse, print_ast
from strawberry.http import GraphQLRequestData

from gateway.api.documents import LRU
from gateway.core.errors import BadUserInput, GatewayError
from gateway.core.settings import Settings

__all__ = [
    "MANIFEST_FORMAT",
    "Manifest",
    "PersistedOperations",
    "PersistedQueryNotFound",
    "PersistedQueryNotInList",
    "manifest_of",
    "sha256",
]

MANIFEST_FORMAT = "apollo-persisted-query-manifest"
_APQ_TTL = 24 * 3600.0
_APQ_LOCAL = 1000  # documents a process remembers when no shared cache holds them


class PersistedQueryNotFound(GatewayError):
    # Apollo clients look for this message (and code) to send the query again; a 200, as
    # Apollo Router answers it, so that GET caches and clients treat it as an answer.
    code = "PERSISTED_QUERY_NOT_FOUND"
    status = 200

    def __init__(self) -> None:
        super().__init__("PersistedQueryNotFound")


class PersistedQueryNotInList(GatewayError):
    code = "PERSISTED_QUERY_NOT_IN_LIST"

    def __init__(self) -> None:
        super().__init__("This gateway runs only its trusted documents (GATEWAY_TRUSTED_DOCUMENTS)")


class Store(Protocol):
    @property
    def shared(self) -> bool: ...

    async def get(self, key: str) -> Any | None: ...

    async def set(self, key: str, value: Any, ttl: float) -> None: ...


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalized(query: str, max_tokens: int) -> str | None:
    """The document as graphql-core prints it (None if it does not parse)."""
    try:
        return print_ast(parse(query, max_tokens=max_tokens, no_location=True))
    except (GraphQLError, RecursionError):
        return None


@dataclass(frozen=True)
class Manifest:
    """Trusted documents: their bodies by id, and by the hash of their body."""

    by_id: Mapping[str, str] = field(default_factory=dict)
    by_hash: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str, max_tokens: int = 100_000) -> Manifest:
        """From an Apollo persisted query manifest; ValueError saying what is wrong."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as error:
            raise ValueError(f"cannot read {path}: {error}") from None
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"{path} is not an {MANIFEST_FORMAT} (its format member)")
        if data.get("version") != 1 or not isinstance(data.get("operations"), list):
            raise ValueError(f"{path}: version 1 with a list of operations expected")
        by_id: dict[str, str] = {}
        by_hash: dict[str, str] = {}
        for operation in data["operations"]:
            if not isinstance(operation, dict) or not all(
                isinstance(operation.get(k), str) for k in ("id", "body")
            ):
                raise ValueError(f"{path}: each operation needs a string id and body")
            body = operation["body"]
            by_id[operation["id"]] = body
            for text in (body, normalized(body, max_tokens)):
                if text is not None:
                    by_hash[sha256(text)] = body
        return cls(by_id, by_hash)

    def find(self, key: str) -> str | None:
        return self.by_id.get(key) or self.by_hash.get(key)

    def trusts(self, query: str, max_tokens: int) -> bool:
        if sha256(query) in self.by_hash:
            return True
        text = normalized(query, max_tokens)
        return text is not None and sha256(text) in self.by_hash


class PersistedOperations:
    def __init__(self, manifest: Manifest | None, trusted_only: bool, max_tokens: int) -> None:
        self.manifest = manifest
        self.trusted_only = trusted_only
        self.max_tokens = max_tokens
        self._local: LRU[str, str] = LRU(_APQ_LOCAL)

    @classmethod
    def from_settings(cls, settings: Settings) -> PersistedOperations:
        path = settings.trusted_documents
        manifest = None if path is None else Manifest.load(path, settings.max_tokens)
        return cls(manifest, settings.trusted_documents_only, settings.max_tokens)

    async def resolve_request(
        self, data: GraphQLRequestData, store: Store | None
    ) -> GraphQLRequestData:
        query = await self.resolve(data.query, data.extensions, store)
        return data if query is data.query else replace(data, query=query)

    async def resolve(
        self, query: str | None, extensions: Mapping[str, Any] | None, store: Store | None
    ) -> str | None:
        """The query to run: the one sent, or the persisted one the request names."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if query is not None and self.trusted_only and not self._trusted(query):
                raise PersistedQueryNotInList()
            return query
        key = _hash_of(persisted)
        if query is None:
            return await self._find(key, store)
        if key != sha256(query) and (self.manifest is None or self.manifest.find(key) != query):
            raise BadUserInput("persistedQuery.sha256Hash is not the SHA-256 of the query")
        if self.trusted_only:
            if not self._trusted(query):
                raise PersistedQueryNotInList()
        else:
            await self._register(key, query, store)
        return query

    def _trusted(self, query: str) -> bool:
        return self.manifest is not None and self.manifest.trusts(query, self.max_tokens)

    async def _find(self, key: str, store: Store | None) -> str:
        if self.manifest is not None:
            found = self.manifest.find(key)
            if found is not None:
                return found
        if self.trusted_only:
            raise PersistedQueryNotInList()
        found = self._local.get(key)
        if found is None and store is not None and store.shared:
            value = await store.get(f"apq:{key}")
            found = value if isinstance(value, str) else None
        if found is None:
            raise PersistedQueryNotFound()
        return found

    async def _register(self, key: str, query: str, store: Store | None) -> None:
        self._local.put(key, query)
        if store is not None and store.shared:
            await store.set(f"apq:{key}", query, _APQ_TTL)


def _hash_of(persisted: object) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise BadUserInput("extensions.persistedQuery must be {version: 1, sha256Hash}")
    key = persisted.get("sha256Hash")
    if not isinstance(key, str) or not 1 <= len(key) <= 256:
        raise BadUserInput("extensions.persistedQuery.sha256Hash must be a string")
    return key


def manifest_of(documents: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """An Apollo persisted query manifest of (file name, document text) pairs."""
    operations = []
    for source, text in documents:
        document = parse(text, no_location=True)
        body = print_ast(document)
        [operation] = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation.name is None:
            raise ValueError(f"{source}: its operation needs a name")
        operations.append(
            {
                "id": sha256(body),
                "name": operation.name.value,
                "type": operation.operation.value,
                "body": body,
            }
        )
    return {"format": MANIFEST_FORMAT, "version": 1, "operations": operations}
