"""``Idempotency-Key`` on every REST write, in every dialect (Stripe's semantics).

The key is claimed before the route runs (``resolvers/idempotency.py``): the same key with
the same request (method, path, query string, body) gets the first answer again, with
``Idempotent-Replayed: true``; the same key with another request, or while the first one is
still running, is a 409 in the dialect's error shape. An answer the route gave (any status)
is kept 24 hours; a request that failed with an exception releases its key, so a retry runs.
"""

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from resolvers import idempotency
from resolvers.errors import DomainError
from rest_compat.engine import endpoint_of

from .errors import error_response
from .keys import DB, PRINCIPAL

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# Set by the outer middlewares on every answer, replayed or not: never stored.
NOT_KEPT = frozenset({"content-type", "content-length", "date", "server", "x-request-id"})


@web.middleware
async def idempotent_writes(request: web.Request, handler: Handler) -> web.StreamResponse:
    raw = request.headers.get(HEADER)
    principal = request.get(PRINCIPAL)
    if (raw is None or request.method not in WRITES or principal is None
            or endpoint_of(request) is None):
        return await handler(request)
    db = request.app[DB]
    tenant = principal.tenant_id
    try:
        key = idempotency.check_key(raw.strip())
        body = await request.read() if request.body_exists else b""
        stored = await idempotency.claim(
            db, tenant, key,
            idempotency.fingerprint(request.method, request.path, request.query_string, body),
            f"{request.method} {request.path}")
    except DomainError as exc:
        status = 400 if exc.code == "BAD_USER_INPUT" else 409
        return error_response(request, status, exc.code, exc.message)
    if stored is not None:
        return web.Response(body=stored.body, status=stored.status,
                            headers={**stored.headers, REPLAYED: "true"},
                            content_type=stored.content_type)
    try:
        response = await handler(request)
    except BaseException:
        await asyncio.shield(idempotency.release(db, tenant, key))
        raise
    if isinstance(response, web.Response) and isinstance(response.body, bytes | None):
        content_type = response.content_type if response.body else None
        headers = {k: v for k, v in response.headers.items() if k.lower() not in NOT_KEPT}
        await asyncio.shield(idempotency.complete(db, tenant, key, idempotency.Stored(
            response.status, content_type, headers, response.body or b"")))
    else:
        await asyncio.shield(idempotency.release(db, tenant, key))
    return response
