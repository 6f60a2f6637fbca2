"""Request id, body-size cap, masking of unexpected errors, and API-key authentication."""

import itertools
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from functools import lru_cache, partial

from aiohttp import web

from resolvers import customer_tokens
from resolvers.auth import MISS
from resolvers.plans import PLANS
from rest_compat.accessgrid import signature as signature_check
from rest_compat.docs import PUBLIC_PATHS as DOCS_PATHS
from rest_compat.engine import Dialect, Route, endpoint_of, route_limit

from .classify import classify_body, classify_document
from .client_ip import client_ip
from .errors import error_response
from .html_security import secure
from .keys import LIMITER, METER, PRINCIPAL, REQUEST_ID, SETTINGS, STATE
from .metrics import Metrics
from .ratelimit import Bucket, Decision
from .usage import LATER

log = logging.getLogger("passgate.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PUBLIC_PATHS = ("/", "/metrics", *DOCS_PATHS)  # /metrics: its own token (gateway/metrics.py)
PUBLIC_PREFIXES = ("/healthz", "/readyz", "/p/", "/q/", "/static/", "/wallet/")
_PUBLIC_PATHS = frozenset(PUBLIC_PATHS)
# The Wallet Crew's PassKit web service (devices authenticate with ApplePass, not a key) and
# Google Wallet's callbacks (Google signs the body).
_WALLETCREW_PASSKIT = re.compile(r"^/api/ten_[^/]+/passes/(apple/v1/|google$)")


CREDENTIAL_HEADERS = ("Authorization", "X-API-KEY", "X-ACCT-ID", "X-PAYLOAD-SIG")


async def _carries_nul(request: web.Request) -> bool:
    """NUL is never meaningful in text, and PostgreSQL refuses it: answer 400 up front
    instead of failing deep inside a query. JSON bodies of ``/graphql`` and REST routes are
    checked after decoding (``checks.json_document``), where a backslash followed by
    ``u0000`` is plain text; other doors keep this raw guard."""
    if "%00" in request.raw_path:
        return True
    if not request.body_exists or request.path == "/graphql" or (
            endpoint_of(request) is not None):
        return False
    return b"\\u0000" in await request.read()


Observer = Callable[[web.Request, int, float], None]


class RequestIds:
    """Request ids: 32 hex digits like ``uuid4().hex``, a random prefix per process and a
    counter, so no system call on every request (os.urandom cost 4 µs in the server)."""

    def __init__(self) -> None:
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count()

    def new(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


REQUEST_IDS = RequestIds()


def envelope(metrics: Metrics, max_body_bytes: int, observers: tuple[Observer, ...] = (),
             api: tuple[Middleware, ...] = ()) -> Middleware:
    """The application's one middleware. Around every request: the request id, the body-size
    cap and the NUL guard, unexpected errors masked as a 500 naming the request id, the
    security headers (``html_security.secure``), and the request counted and timed for
    metrics and ``observers`` (the request log), with its final status. Inside it, for all
    but the public prefixes, the API's own middlewares ``api`` (CORS preflights, keys,
    limits, idempotency: none of them acts on holder links, health checks or the PassKit
    web service). One layer, not seven: in a running server every layer's code costs several
    times what a loop of it measures (cold caches), and a holder's cached download paid
    all of it (bench/wallet.py)."""
    count = metrics.count_request

    @lru_cache(maxsize=1024)  # aiohttp hands the same handler for a route every time
    def with_api(handler: Handler) -> Handler:
        for middleware in reversed(api):
            handler = partial(middleware, handler=handler)
        return handler

    too_large = f"request body is larger than {max_body_bytes} bytes"
    new_id = REQUEST_IDS.new

    @web.middleware
    async def envelope(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-Id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else new_id()
        request[REQUEST_ID] = request_id
        status = 500
        try:
            try:
                length = request.content_length
                if length is not None and length > max_body_bytes:
                    response: web.StreamResponse = error_response(
                        request, 413, "PAYLOAD_TOO_LARGE", too_large)
                elif await _carries_nul(request):
                    response = error_response(request, 400, "BAD_USER_INPUT",
                                              "text must not contain NUL characters (\\u0000)")
                elif request.path.startswith(PUBLIC_PREFIXES):
                    response = await handler(request)
                else:
                    response = await with_api(handler)(request)
            except web.HTTPRequestEntityTooLarge:
                response = error_response(request, 413, "PAYLOAD_TOO_LARGE", too_large)
            except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
                if not request.path.startswith(("/api/", "/v1/")):
                    raise
                code = "NOT_FOUND" if exc.status == 404 else "METHOD_NOT_ALLOWED"
                response = error_response(request, exc.status, code,
                                          f"no route {request.method} {request.path}")
                if exc.status == 405:  # RFC 9110: a 405 names the methods the path has
                    response.headers["Allow"] = await _allowed(request)
            except web.HTTPException:
                raise
            except Exception:
                log.exception("unhandled error (request %s)", request_id)
                response = error_response(request, 500, "INTERNAL_SERVER_ERROR",
                                          f"Internal server error (request {request_id})")
            status = response.status
            response.headers["X-Request-Id"] = request_id
            secure(request, response)
            return response
        except web.HTTPException as exc:
            status = exc.status
            exc.headers["X-Request-Id"] = request_id
            exc.headers.setdefault("X-Content-Type-Options", "nosniff")
            raise
        finally:
            elapsed = time.perf_counter() - started
            resource = request.match_info.route.resource
            count(resource.canonical if resource is not None else "unmatched", request.method,
                  status, elapsed)
            for observer in observers:
                observer(request, status, elapsed)

    return envelope


async def _allowed(request: web.Request) -> str:
    """The methods of the route the path names. Where a literal path and a template both
    match (``/passes/export`` and ``/passes/{id}``), the literal one is that route, so only
    the methods of the most literal matching paths count (aiohttp's Allow lists them all)."""
    best: tuple[int, set[str]] = (1 << 30, set())
    for resource in request.app.router.resources():
        match, methods = await resource.resolve(request)
        if not methods and match is None:
            continue
        params = (resource.canonical or "").count("{")
        if params < best[0]:
            best = (params, set())
        if params == best[0]:
            best[1].update(methods)
    return ",".join(sorted(best[1]))


def _raw_key(request: web.Request) -> str | None:
    return _key_of(request.headers.get("Authorization"), request.headers.get("X-API-KEY"))


def _key_of(auth: str | None, api_key: str | None) -> str | None:
    """The key an ``Authorization`` or ``X-API-KEY`` value carries; "" for an
    ``Authorization`` that is not ``Bearer <key>``; None when neither header is sent."""
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return ""
    return api_key


def _is_graphiql_page(request: web.Request) -> bool:
    return (request.method == "GET" and request.path == "/graphql"
            and "query" not in request.query)


def raw_key_absent(request: web.Request) -> bool:
    return "Authorization" not in request.headers and "X-API-KEY" not in request.headers


async def _authenticate_account(request: web.Request, handler: Handler, account: str
                                ) -> web.StreamResponse:
    """AccessGrid's scheme: an account id and an HMAC of the payload with its secret."""
    found = await request.app[STATE].authenticator.authenticate_account(
        account, request.app[STATE].secret_key)
    signature = request.headers.get("X-PAYLOAD-SIG", "")
    if found is None:
        return error_response(request, 401, "UNAUTHENTICATED", "unknown account id")
    principal, secret = found
    body = await request.read() if request.body_exists else b""
    payload = signature_check.signed_payload(request.method, request.query.get("sig_payload"),
                                             body)
    if not signature_check.verify(secret, signature, payload):
        return error_response(request, 401, "UNAUTHENTICATED",
                              "invalid X-PAYLOAD-SIG: sign base64(payload) with HMAC-SHA256 "
                              "and the account's secret key")
    unbound = signature_check.binding_problem(
        request.method, request.path, request.query_string, request.match_info.get("id"),
        payload, from_body=payload is body and bool(body))
    if unbound is not None:
        return error_response(request, 401, "UNAUTHENTICATED",
                              f"X-PAYLOAD-SIG is valid but not for this request: {unbound}")
    request[PRINCIPAL] = principal
    return await handler(request)


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every API request carries a valid key; the principal rides on the request."""
    endpoint = endpoint_of(request)
    path = request.path
    if path.startswith(PUBLIC_PREFIXES) or (endpoint is not None and endpoint.is_anonymous) or (
        path in _PUBLIC_PATHS
    ) or (path == "/graphql" and _is_graphiql_page(request)) or (
        path.startswith("/api/ten_") and _WALLETCREW_PASSKIT.match(path)
    ):
        return await handler(request)
    # Each header read once (a lookup in the case-insensitive headers is not free).
    headers = request.headers
    auth = headers.get("Authorization")
    api_key = headers.get("X-API-KEY")
    account = headers.get("X-ACCT-ID")
    for header, value in (("Authorization", auth), ("X-API-KEY", api_key),
                          ("X-ACCT-ID", account),
                          ("X-PAYLOAD-SIG", headers.get("X-PAYLOAD-SIG"))):
        if value is not None and not value.isascii():
            return error_response(request, 401, "UNAUTHENTICATED",
                                  f"{header} must be ASCII: keys, account ids and "
                                  "signatures never hold other characters")
    if account is not None and auth is None and api_key is None:
        return await _authenticate_account(request, handler, account)
    raw = _key_of(auth, api_key)
    if raw and endpoint is not None and endpoint.takes_customer_token(request) and (
        customer_tokens.looks_like_jwt(raw)
    ):
        customer = await customer_tokens.principal(request.app[STATE].db,
                                                   request.app[STATE].secret_key, raw)
        if customer is None:
            return error_response(request, 401, "UNAUTHENTICATED",
                                  "invalid or expired customer token")
        request[PRINCIPAL] = customer
        return await handler(request)
    if raw is None:
        return error_response(request, 401, "UNAUTHENTICATED",
                              "missing API key: send Authorization: Bearer <key> or X-API-KEY")
    authenticator = request.app[STATE].authenticator
    principal = authenticator.cached(raw)  # a key seen within the second: no coroutine
    if principal is MISS:
        principal = await authenticator.authenticate(raw)
    if principal is None:
        return error_response(request, 401, "UNAUTHENTICATED", "invalid or revoked API key")
    request[PRINCIPAL] = principal
    return await handler(request)


def _request_costs(request: web.Request, body: bytes,
                   picked: "tuple[Dialect, Route] | None" = None) -> tuple[tuple[str, int], ...]:
    """What the request costs, by endpoint class; ``picked``: the REST route answering it
    (``Endpoint.pick``), when the caller has it already."""
    if picked is not None:
        return ((picked[1].rate_class, 1),)
    if request.path == "/graphql":
        max_tokens = request.app[SETTINGS].max_tokens
        if request.method == "POST":
            return classify_body(body, max_tokens)
        name = request.query.get("operationName")
        return classify_document(request.query.get("query", ""), name, max_tokens)
    endpoint = endpoint_of(request)
    if endpoint is not None:
        return ((endpoint.rest_costs(request)[0], 1),)
    return (("read", 1),) if request.method in ("GET", "HEAD") else (("write", 1),)


def _bucket(request: web.Request, kind: str,
            picked: "tuple[Dialect, Route] | None" = None) -> str:
    """A REST dialect may count all its routes in one bucket (PassEngine: 30/min a key)."""
    if picked is not None:
        return picked[0].shared_bucket or picked[1].rate_class
    endpoint = endpoint_of(request)
    return endpoint.rest_costs(request)[1] if endpoint is not None else kind


def _rate_limited(request: web.Request, decision: Decision, budget: str) -> web.Response:
    """A 429 naming the budget reached, with ``Retry-After`` and ``X-RateLimit-*``."""
    refused = error_response(request, 429, "RATE_LIMITED", f"rate limit reached: {budget}; "
                                                            f"retry in {decision.retry_after} s")
    refused.headers.update(decision.headers())
    return refused


@web.middleware
async def enforce_plan_and_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The plan must include API access; each endpoint class has a per-minute budget per key
    and, separately, per client IP (answers carry ``X-RateLimit-*``; a refusal is a 429 with
    ``Retry-After``); monthly quotas of calls and validations answer 403 when reached."""
    principal = request.get(PRINCIPAL)
    if principal is None:
        return await handler(request)
    plan = PLANS[principal.plan]
    if not plan.api_access:
        return error_response(request, 403, "PLAN_LIMIT",
                              f"API access requires the starter plan or above; this tenant "
                              f"is on the {plan.name} plan")
    own = endpoint_of(request)
    picked = own.pick(request) if own is not None else None  # once, for every question below
    body = await request.read() if picked is None and request.path == "/graphql" and (
        request.method == "POST") else b""
    costs = _request_costs(request, body, picked)
    limiter = request.app.get(LIMITER)
    decision = None
    if limiter is not None:
        for kind, cost in costs:
            limit = principal.limits[kind]
            bucket = _bucket(request, kind, picked)
            decision = await limiter.hit(
                [Bucket(f"key:{principal.key_id}:{bucket}", limit),
                 Bucket(f"ip:{client_ip(request)}:{bucket}", limit)],
                cost,
            )
            if not decision.allowed:
                return _rate_limited(request, decision,
                                     f"{decision.limit} {kind} requests a minute")
        limited = route_limit(*picked) if picked is not None else None
        if limited is not None:
            name, limit = limited
            decision = await limiter.hit([Bucket(f"key:{principal.key_id}:{name}", limit)], 1)
            if not decision.allowed:
                return _rate_limited(request, decision,
                                     f"this route takes {limit} requests a minute")
    validations = 0
    for kind, cost in costs:
        if kind == "validate":
            validations = cost
    meter = request.app[METER]
    quota = meter.admit_now(principal, validations)  # no coroutine unless totals are due
    if quota is LATER:
        quota = await meter.admit(principal, validations)
    if quota is not None:
        return error_response(request, 403, "PLAN_LIMIT", quota)
    response = await handler(request)
    if decision is not None:
        response.headers.update(decision.headers())
    return response
