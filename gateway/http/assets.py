"""Static assets served by the gateway itself (no CDN), and the headers of its HTML pages.

Files live in `gateway/http/static/<name>/` (package data) and are served under
`/static/<name>/<path>`. Pages link them with `Assets.url`, which appends a digest of the
file's content (`?v=<digest>`): a request naming the current digest is cached for a year
(`immutable`), any other is revalidated (ETag), so a new release is never served stale.
Pages are answered with a Content-Security-Policy that lets the browser load from and
connect to the gateway's own origin only.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["CONTENT_SECURITY_POLICY", "STATIC", "Assets", "json_data_block", "page_response"]

STATIC = Path(__file__).parent / "static"

# Fonts and icons come inlined in the vendored CSS (data: URIs); scripts and styles only as
# files of ours. No inline script anywhere: pages pass data in JSON blocks (json_data_block).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "no-cache"


class Assets(StaticFiles):
    """The ASGI app serving `root` (mounted at `prefix`), and the URLs of its files."""

    def __init__(self, root: Path = STATIC, prefix: str = "/static") -> None:
        super().__init__(directory=root, follow_symlink=False)
        self.root = root
        self.prefix = prefix
        self._digests: dict[Path, tuple[float, int, str]] = {}

    def url(self, name: str, path: str) -> str:
        """`/static/<name>/<path>?v=<digest>`; raises FileNotFoundError for a missing file."""
        return f"{self.prefix}/{name}/{path}?v={self.digest(self.root / name / path)}"

    def digest(self, file: Path) -> str:
        stat = file.stat()
        known = self._digests.get(file)
        if known is not None and known[:2] == (stat.st_mtime, stat.st_size):
            return known[2]
        value = hashlib.sha256(file.read_bytes()).hexdigest()[:16]
        self._digests[file] = (stat.st_mtime, stat.st_size, value)
        return value

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        requested = QueryParams(scope.get("query_string", b"")).get("v")
        current = requested is not None and requested == self.digest(Path(full_path))
        response.headers["cache-control"] = _IMMUTABLE if current else _REVALIDATE
        response.headers["x-content-type-options"] = "nosniff"
        response.headers["cross-origin-resource-policy"] = "same-origin"
        return response


def page_response(
    html: str, status_code: int = 200, policy: str = CONTENT_SECURITY_POLICY
) -> HTMLResponse:
    """An HTML page of the gateway's, with the headers that confine it to its own origin
    (`policy`: the content security policy, by default the gateway's own origin only)."""
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            "content-security-policy": policy,
            "cache-control": "no-cache",
            "x-content-type-options": "nosniff",
            "x-frame-options": "DENY",
            "referrer-policy": "no-referrer",
        },
    )


def json_data_block(element_id: str, value: Any) -> str:
    """A `<script type="application/json">` element: data for a page's script, never run
    (so the CSP needs no inline-script exception), escaped against `</script>`."""
    text = json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")
    text = text.replace("&", "\\u0026")
    return f'<script type="application/json" id="{element_id}">{text}</script>'
