"""JSON error bodies for the HTTP doors."""

import orjson
from aiohttp import web


def json_response(data: object, status: int = 200, headers: dict[str, str] | None = None
                  ) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, headers=headers,
                        content_type="application/json")


def error_response(request: web.Request, status: int, code: str, message: str) -> web.Response:
    """GraphQL-shaped on /graphql, ``{"error", "message"}`` elsewhere."""
    if request.path.startswith("/graphql"):
        body: object = {"errors": [{"message": message, "extensions": {"code": code}}]}
    else:
        body = {"error": code, "message": message}
    return json_response(body, status)
