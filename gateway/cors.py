"""CORS: browsers calling the REST dialects and ``/graphql`` from other origins.

aiohttp-cors was considered and not used: its allowed origins are fixed per resource when
the app starts, while here they depend on the calling key's tenant (a setting changed at run
time, ``updateTenantCors``) and on the key's dialect on shared paths (PassEngine documents
CORS on every endpoint; native, AccessGrid and The Wallet Crew are closed by default). So a
middleware answers preflights and a response signal adds the headers to real answers:

- A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) carries no key, so it
  cannot know the tenant: it is admitted when the target route's dialect is open by default
  or some tenant lists the origin; nothing is read or changed by it.
- A real answer carries ``Access-Control-Allow-Origin`` only when the key's tenant allows
  the origin (its own list, else the dialect's default), so a browser reads only what the
  tenant opened. ``*`` never comes with ``Access-Control-Allow-Credentials``.
"""

import re

from aiohttp import web

from resolvers.cors import ANY, allows
from rest_compat.engine import Endpoint, endpoint_of

from .errors import error_response
from .keys import CORS_LISTED, PRINCIPAL
from .middleware import Handler

DEFAULT_HEADERS = "Authorization, Content-Type, X-API-KEY, Idempotency-Key, X-Request-Id"
EXPOSED = ("X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "
           "Retry-After, X-Passgate-Ignored-Fields, ETag, Location, Allow")
MAX_AGE = "600"
_HEADER_LIST = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$")


def _covered(path: str) -> bool:
    return path == "/graphql" or path.startswith(("/api/", "/v1/"))


def _credentials(headers: dict[str, str], allowed: str) -> None:
    if allowed != ANY:  # an echoed, named origin; never "*" with credentials
        headers["Access-Control-Allow-Credentials"] = "true"


async def _target(request: web.Request, method: str) -> object | None:
    """The handler the preflighted request would reach, None when no route has it."""
    match = await request.app.router.resolve(request.clone(method=method))
    return None if match.http_exception is not None else match.handler


@web.middleware
async def preflight(request: web.Request, handler: Handler) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    wanted = request.headers.get("Access-Control-Request-Method", "").strip().upper()
    if request.method != "OPTIONS" or not origin or not wanted or not _covered(request.path):
        return await handler(request)
    target = await _target(request, wanted)
    if target is None:  # no such route: the usual 404 or 405 with Allow
        return await handler(request)
    owner = getattr(target, "__self__", None)
    allowed = None
    if isinstance(owner, Endpoint):
        allowed = next((a for d, _ in owner.by_dialect.values()
                        if (a := allows(d.cors_origins, origin)) is not None), None)
    if allowed is None:
        allowed = await request.app[CORS_LISTED].allows(origin)
    if allowed is None:
        return error_response(request, 403, "FORBIDDEN",
                              f"origin {origin} may not call this API from a browser: an "
                              "admin lists it with updateTenantCors")
    asked = request.headers.get("Access-Control-Request-Headers", "").strip()
    headers = {
        "Access-Control-Allow-Origin": allowed,
        "Access-Control-Allow-Methods": wanted,
        "Access-Control-Allow-Headers": asked if _HEADER_LIST.match(asked) else DEFAULT_HEADERS,
        "Access-Control-Max-Age": MAX_AGE,
        "Vary": "Origin",
    }
    _credentials(headers, allowed)
    return web.Response(status=204, headers=headers)


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every answer to a cross-origin request: the tenant's (or dialect's) decision."""
    origin = request.headers.get("Origin")
    if not origin or not _covered(request.path) or (
        "Access-Control-Allow-Origin" in response.headers
    ):
        return
    response.headers.add("Vary", "Origin")
    principal = request.get(PRINCIPAL)
    endpoint = endpoint_of(request)
    if principal is not None and principal.cors_origins is not None:
        listed: tuple[str, ...] = principal.cors_origins
    else:
        # No tenant choice (or no key yet: a 401 a PassEngine client must be able to read).
        listed = endpoint.pick(request)[0].cors_origins if endpoint is not None else ()
    allowed = allows(listed, origin)
    if allowed is None:
        return
    headers = {"Access-Control-Allow-Origin": allowed, "Access-Control-Expose-Headers": EXPOSED}
    _credentials(headers, allowed)
    response.headers.update(headers)
