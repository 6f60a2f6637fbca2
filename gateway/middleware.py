"""Request id, body-size cap, masking of unexpected errors, and API-key authentication."""

import logging
import re
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from .errors import error_response
from .keys import PRINCIPAL, REQUEST_ID, SETTINGS, STATE

log = logging.getLogger("passgate.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PUBLIC_PREFIXES = ("/healthz", "/readyz", "/p/", "/static/")


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-Id", "")
    request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    cap = request.app[SETTINGS].max_body_bytes
    try:
        if request.content_length is not None and request.content_length > cap:
            response: web.StreamResponse = error_response(
                request, 413, "PAYLOAD_TOO_LARGE", f"request body is larger than {cap} bytes"
            )
        else:
            response = await handler(request)
    except web.HTTPRequestEntityTooLarge:
        response = error_response(
            request, 413, "PAYLOAD_TOO_LARGE", f"request body is larger than {cap} bytes"
        )
    except web.HTTPException as exc:
        exc.headers["X-Request-Id"] = request_id
        raise
    except Exception:
        log.exception("unhandled error (request %s)", request_id)
        response = error_response(request, 500, "INTERNAL_SERVER_ERROR",
                                  f"Internal server error (request {request_id})")
    response.headers["X-Request-Id"] = request_id
    return response


def _raw_key(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return ""
    return request.headers.get("X-API-KEY")


def _is_graphiql_page(request: web.Request) -> bool:
    return (request.method == "GET" and request.path == "/graphql"
            and "query" not in request.query)


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every API request carries a valid key; the principal rides on the request."""
    if request.path.startswith(PUBLIC_PREFIXES) or _is_graphiql_page(request) or (
        request.path == "/"
    ):
        return await handler(request)
    raw = _raw_key(request)
    if raw is None:
        return error_response(request, 401, "UNAUTHENTICATED",
                              "missing API key: send Authorization: Bearer <key> or X-API-KEY")
    principal = await request.app[STATE].authenticator.authenticate(raw)
    if principal is None:
        return error_response(request, 401, "UNAUTHENTICATED", "invalid or revoked API key")
    request[PRINCIPAL] = principal
    return await handler(request)
