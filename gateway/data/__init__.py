"""The data path: loaders, the entity store and its caches, single-flight, searches, the
response cache, invalidations, contact events and subscriptions.

Imports: core, observability, shared and connect; never api or http.
"""
