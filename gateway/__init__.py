"""connect-graphql-gateway: a GraphQL gateway over Amazon Connect contact data."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "create_app"]


def __getattr__(name: str) -> object:
    # Lazy, so that `import gateway` (and the CLI's --help) stays cheap.
    if name == "create_app":
        from gateway.http.app import create_app

        return create_app
    raise AttributeError(name)
