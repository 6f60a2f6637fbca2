"""REST compatibility: the vendors' documented endpoints, each a named GraphQL operation.

Imports go one way: ``gateway → rest_compat → schema``; nothing here touches ``resolvers``.
"""
