"""GraphiQL as the gateway serves it: every asset from the gateway's own origin (vendored in
gateway/http/static/graphiql/vendor/ by scripts/vendor_assets.py), opened on an example query."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from starlette.responses import HTMLResponse

from gateway.http.assets import Assets, json_data_block, page_response

__all__ = ["graphiql_page"]

_STYLES = ("vendor/graphiql.min.css", "vendor/plugin-explorer.css", "graphiql.css")
_SCRIPTS = (
    "vendor/react.production.min.js",
    "vendor/react-dom.production.min.js",
    "vendor/graphiql.min.js",
    "vendor/plugin-explorer.umd.js",
    "graphiql.js",
)


def graphiql_page(
    assets: Assets, endpoint: str, tabs: Sequence[tuple[str, Mapping[str, object]]]
) -> HTMLResponse:
    """GraphiQL with a tab for each (document, variables) of `tabs`, the first one open."""
    opened = [{"query": query, "variables": json.dumps(values, indent=2)} for query, values in tabs]
    config = {"endpoint": endpoint, **opened[0], "tabs": opened}
    styles = "".join(
        f'<link rel="stylesheet" href="{assets.url("graphiql", path)}">' for path in _STYLES
    )
    scripts = "".join(
        f'<script src="{assets.url("graphiql", path)}"></script>' for path in _SCRIPTS
    )
    return page_response(
        "<!doctype html>"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>GraphiQL · connect-graphql-gateway</title>"
        f'<link rel="icon" href="{assets.url("graphiql", "favicon.svg")}">{styles}</head>'
        f'<body><div id="graphiql">Loading GraphiQL…</div>'
        f"{json_data_block('graphiql-config', config)}{scripts}</body></html>"
    )
