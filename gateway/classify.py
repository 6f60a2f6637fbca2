"""Which endpoint class a GraphQL request spends: read, write, validate or admin.

A query is one ``read``. In a mutation each root field counts: ``validatePass`` in
``validate``, every other mutation in ``write``, so a document with five mutations spends
five. Parsing is cached by document text; a document that does not parse, or has more tokens
than the GraphQL layer accepts, counts as one read (that layer then answers with the error).
The token cap matters: parsing 1 MB of GraphQL takes seconds, and this runs before the
GraphQL layer's own cap.
"""

from functools import lru_cache

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

VALIDATE_FIELDS = frozenset({"validatePass"})
ADMIN_FIELDS = frozenset({"updateTenantLimits", "rotateApiKey", "createApiKey"})
READ = (("read", 1),)


@lru_cache(maxsize=1024)
def classify_document(query: str, operation_name: str | None, max_tokens: int = 2000
                      ) -> tuple[tuple[str, int], ...]:
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return READ
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations
              if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1 or chosen[0].operation != OperationType.MUTATION:
        return READ
    costs: dict[str, int] = {}
    for selection in chosen[0].selection_set.selections:
        name = getattr(getattr(selection, "name", None), "value", "")
        kind = ("validate" if name in VALIDATE_FIELDS
                else "admin" if name in ADMIN_FIELDS else "write")
        costs[kind] = costs.get(kind, 0) + 1
    return tuple(sorted(costs.items())) or READ


def classify_body(body: bytes, max_tokens: int = 2000) -> tuple[tuple[str, int], ...]:
    """Classes and costs of a ``POST /graphql`` JSON body."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return READ
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        return READ
    name = data.get("operationName")
    return classify_document(data["query"], name if isinstance(name, str) else None,
                             max_tokens)
