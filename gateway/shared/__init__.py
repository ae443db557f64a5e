"""The store shared by replicas: Redis clients (one server or a cluster), the coordinator
that runs the gateway's scripts on it, and leases.

Imports: core and observability.
"""
