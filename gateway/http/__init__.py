"""The HTTP edge: the app's assembly, middleware, request bodies, authentication, the
GraphQL view and websocket connections, static assets, GraphiQL and the journey page.

Imports: any layer below (api, data, connect, shared, observability, core).
"""
