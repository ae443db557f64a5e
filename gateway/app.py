"""The contract's name for the application: `gateway.app.create_app(settings)` (it is
assembled in gateway/http/app.py, the HTTP edge)."""

from __future__ import annotations

from gateway.http.app import create_app, create_app_from_env, file_problems

__all__ = ["create_app", "create_app_from_env", "file_problems"]
