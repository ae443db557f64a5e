"""The GraphQL schema and its resolvers, the cost model, limits and trusted documents.

Imports: data, connect's records (never botocore), shared, observability, core.
"""
