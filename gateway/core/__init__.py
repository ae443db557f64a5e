"""The bottom layer: values every other layer shares — settings, errors, the caller,
deadlines, Connect's quota table.

Imports: nothing of the gateway. (Layers, bottom to top: core, observability, shared,
connect, data, api, http, cli; each imports only its own and lower ones. The emulator
stands apart. tests/test_layers.py enforces it; docs/architecture.md draws it.)
"""
