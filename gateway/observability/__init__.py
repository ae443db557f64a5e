"""Metrics, tracing, logs and the audit line: what an operator sees of a request.

Imports: core only.
"""
