"""JSON error bodies for the HTTP doors."""

import orjson
from aiohttp import web

from rest_compat.dialects import owning
from rest_compat.engine import endpoint_of


def json_response(data: object, status: int = 200, headers: dict[str, str] | None = None
                  ) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, headers=headers,
                        content_type="application/json")


def error_response(request: web.Request, status: int, code: str, message: str) -> web.Response:
    """GraphQL-shaped on /graphql, the dialect's own shape on a REST route or under a
    dialect's own prefix (an unknown path or wrong method there), and ``{"error",
    "message"}`` elsewhere."""
    endpoint = endpoint_of(request)
    if endpoint is not None:
        return endpoint.rest_error(request, status, code, message)
    dialect = owning(request.path)
    if dialect is not None:
        return dialect.error(request, status, code, message)
    if request.path.startswith("/graphql"):
        body: object = {"errors": [{"message": message, "extensions": {"code": code}}]}
    else:
        body = {"error": code, "message": message}
    return json_response(body, status)
