"""The contract's name for the configuration: `gateway.settings.Settings` (it lives in
gateway/core/settings.py, the bottom layer, so that every layer can read it)."""

from __future__ import annotations

from gateway.core.settings import Settings, instance_id_of

__all__ = ["Settings", "instance_id_of"]
