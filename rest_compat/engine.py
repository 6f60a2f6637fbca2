"""Runs a REST route: read the request, run the route's GraphQL operation, present the answer.

A route is data (``Route``): method, path, operation name, scope, rate-limit class, how to read
its variables and how to present the result. Routes run through ``schema.execute`` with the
context factory ``/graphql`` uses, so auth, permissions, loaders and errors are one code path.
Where two dialects share a method and path (``POST /api/v1/passes``), the calling key's
dialect picks the route.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from aiohttp import web
from strawberry import Schema

from schema.client_text import BadText, json_document

from .errors import RestError, status_for
from .fields import Spec
from .operations import load_operations
from .present import raw_id

ContextFactory = Callable[[web.Request], Any]
PrincipalOf = Callable[[web.Request], Any]
Run = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
ErrorBody = Callable[[int, str, str, "str | None", web.Request], Any]


@dataclass(slots=True)
class Answer:
    """What a presenter returns when the default status and JSON body are not enough."""

    body: Any
    status: int | None = None
    headers: dict[str, str] | None = None
    content_type: str = "application/json"


@dataclass(slots=True)
class Call:
    """One request, as the variables mapper and presenter see it."""

    request: web.Request
    route: "Route"
    params: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]
    raw_body: bytes
    principal: Any
    # Runs another of the dialect's operations for a precheck that must look something up
    # first (The Wallet Crew's pass type by template name, a pass by identifier); a GraphQL
    # error raises RestError. ``found`` carries what it found to the variables mapper.
    run: Run | None = None
    found: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Route:
    """``operation`` None: a utility route (a barcode image, a refusal of an out-of-scope
    feature) answered entirely by ``precheck``."""

    method: str
    path: str
    operation: str | None
    scope: str
    rate_class: str
    summary: str
    variables: Callable[[Call], dict[str, Any]]
    present: Callable[[dict[str, Any], Call], Any]
    status: int = 200
    body: Spec | None = None
    query: Spec | None = None
    response: dict[str, Any] | None = None
    description: str = ""
    tag: str = ""
    # A route a mapper can answer without running an operation (AccessGrid's out-of-scope
    # features); returning None runs the operation as usual.
    precheck: Callable[[Call], Awaitable[Answer | None]] | None = None
    # The path parameter that names a pass. A value that is not one of our ids is looked up
    # as the pass's former vendor id (``Dialect.pass_lookup``) and replaced by ours when found;
    # otherwise it is left as sent, for the route's own mapper to answer (404, or a code).
    pass_param: str | None = None
    # The vendor ignores body fields it does not know (AccessGrid's cards and templates): so
    # does the route, naming them in the X-Passgate-Ignored-Fields header instead of a 400.
    ignore_unknown_fields: bool = False
    # Other success statuses the presenter may answer with the same body (an upsert: 201
    # created, 200 matched), so the OpenAPI document lists them.
    also: tuple[int, ...] = ()
    # Served without a key, as the vendor documents it (The Wallet Crew's barcode images):
    # no principal, no plan or rate check; the dialect's guard still runs.
    anonymous: bool = False
    # A cap of the vendor's own on this route, per key and minute, on top of its class's
    # budget (The Wallet Crew's insights: 60 a minute).
    per_minute: int | None = None
    # Routes naming the same bucket share that cap (PassEngine's /webhooks: 10 a minute).
    per_minute_bucket: str | None = None
    # Served by gateway/ (a device or wallet protocol with its own authentication: Apple's
    # PassKit web service, Google Wallet's callbacks), not by an operation: listed in the
    # table only so the dialect's OpenAPI document describes it; never mounted from here.
    external: bool = False
    # Parts of the OpenAPI operation that are the route's own rather than the dialect's
    # (an external route's answers, security, body), laid over the generated ones.
    openapi: dict[str, Any] | None = None
    # Takes a customer token (a JWT, ``Authorization: Bearer``) as well as an API key: The
    # Wallet Crew's /customer routes. Only such routes ever see a customer's principal.
    customer_token: bool = False


def with_pass_param(routes: list[Route], prefix: str, param: str) -> list[Route]:
    """``routes`` with ``pass_param`` set on those under ``prefix`` (``…/passes/{id}``), so
    each of them takes a pass's former vendor id as well as ours."""
    return [replace(r, pass_param=param) if r.path.startswith(prefix) else r for r in routes]


@dataclass(slots=True)
class Dialect:
    name: str
    title: str
    folder: Path
    routes: list[Route]
    error_body: ErrorBody
    # One rate bucket for all of this dialect's routes (PassEngine counts 30/min per key
    # across them) instead of one per endpoint class.
    shared_bucket: str | None = None
    security: str = "bearer"
    error_schema: dict[str, Any] = field(default_factory=dict)
    schemas: dict[str, Any] = field(default_factory=dict)  # OpenAPI components
    key_prefix: str | None = None  # how this dialect's keys look (PassEngine: 2pk_)
    # Regexes for path parameters, so ``/api/{tenantId}/…`` never swallows ``/api/v1/…``.
    path_patterns: dict[str, str] = field(default_factory=dict)
    error_content_type: str = "application/json"
    operations: dict[str, str] = field(default_factory=dict)
    # Checks every request of the dialect before its body is read (The Wallet Crew's tenant
    # in the path): ``guard(request, raw_body, principal, route)`` raises RestError.
    guard: Callable[[web.Request, bytes, Any, "Route"], Awaitable[None]] | None = None
    # The operation finding a pass by its former vendor's id: ``($externalId: String!)``
    # answering ``{pass: {id}}``. Routes with ``pass_param`` use it.
    pass_lookup: str | None = None
    # Error statuses beyond the shared table that this dialect's routes may answer (The
    # Wallet Crew: 501 for a vendor feature passgate does not offer), for the document.
    extra_error_statuses: tuple[int, ...] = ()
    # Origins browsers may call this dialect's routes from when the tenant has not chosen
    # its own: PassEngine documents CORS on every endpoint ("*"); the others are closed.
    cors_origins: tuple[str, ...] = ()

    def error(self, request: web.Request, status: int, code: str, message: str,
              field_name: str | None = None) -> web.Response:
        body = self.error_body(status, code, message, field_name, request)
        return web.Response(body=orjson.dumps(body), status=status,
                            content_type=self.error_content_type)


def _json(body: Any, status: int, headers: dict[str, str] | None = None,
          content_type: str = "application/json") -> web.Response:
    if body is None:
        return web.Response(status=status, headers=headers)
    if isinstance(body, bytes | AsyncIterator):  # an iterator is streamed (chunked)
        return web.Response(body=body, status=status, headers=headers,
                            content_type=content_type)
    return web.Response(body=orjson.dumps(body), status=status, headers=headers,
                        content_type=content_type)


class Endpoint:
    """The aiohttp handler for one method and path, serving each dialect that declares it."""

    def __init__(self, schema: Schema, context_factory: ContextFactory,
                 principal_of: PrincipalOf, routes: list[tuple[Dialect, Route]],
                 keyless: str | None = None) -> None:
        self.schema = schema
        # The dialect answering a request with no key of ours on a shared path (a PassEngine
        # client's 401 must be {"error": message}); the first dialect when unset.
        self.keyless = keyless
        self.context_factory = context_factory
        self.principal_of = principal_of
        self.by_dialect = {d.name: (d, r) for d, r in routes}
        self.default = routes[0]
        # Asked by the gateway on every request: answered once here.
        picked = [self.default, *self.by_dialect.values()]
        self.is_anonymous = all(r.anonymous for _, r in picked)
        self.any_customer_token = any(r.customer_token for _, r in picked)

    def pick(self, request: web.Request) -> tuple[Dialect, Route]:
        principal = self.principal_of(request)
        if principal is not None:
            return self.by_dialect.get(principal.dialect, self.default)
        # Refused before a principal exists (a bad key): the key's look still tells the
        # dialect, so a PassEngine client gets its own error shape.
        token = request.headers.get("Authorization", "").partition(" ")[2].strip()
        for dialect, route in self.by_dialect.values():
            if dialect.key_prefix and token.startswith(dialect.key_prefix):
                return dialect, route
        return self.by_dialect.get(self.keyless or "", self.default)

    def operation_for(self, dialect: str) -> str | None:
        """The operation a key of ``dialect`` runs here (the request log names it)."""
        return self.by_dialect.get(dialect, self.default)[1].operation

    # Read by the gateway's middleware: limits, and error bodies in the dialect's shape.
    def rest_costs(self, request: web.Request) -> tuple[str, str]:
        dialect, route = self.pick(request)
        return route.rate_class, dialect.shared_bucket or route.rate_class

    def route_limit(self, request: web.Request) -> tuple[str, int] | None:
        """(bucket, requests a minute) of the route's own cap, if it has one."""
        return route_limit(*self.pick(request))

    def takes_customer_token(self, request: web.Request) -> bool:
        return self.any_customer_token and self.pick(request)[1].customer_token

    def anonymous(self, request: web.Request) -> bool:
        return self.is_anonymous

    def rest_error(self, request: web.Request, status: int, code: str, message: str
                   ) -> web.Response:
        return self.pick(request)[0].error(request, status, code, message)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        principal = self.principal_of(request)
        dialect, route = self.by_dialect.get(principal.dialect, self.default) if (
            principal is not None) else self.pick(request)
        raw = await request.read() if request.body_exists else b""
        run = self._runner(dialect, route, request)
        try:
            if dialect.guard is not None:
                await dialect.guard(request, raw, principal, route)
            params = dict(request.match_info)
            if route.pass_param is not None and dialect.pass_lookup is not None:
                params[route.pass_param] = await own_pass_id(
                    run, dialect.pass_lookup, params[route.pass_param])
            ignored: list[str] | None = [] if route.ignore_unknown_fields else None
            call = Call(request, route, params,
                        _read_query(route, request),
                        {} if route.body is None else _read_body(route, raw, ignored), raw,
                        principal, run)
            if route.precheck is not None:
                early = await route.precheck(call)
                if early is not None:
                    return _ignoring(_answer(early, route), ignored)
            if route.operation is None:
                raise RuntimeError(f"{route.path}: a route without an operation must answer "
                                   "in its precheck")
            variables = route.variables(call)
            presented = route.present(await run(route.operation, variables), call)
        except RestError as exc:
            return dialect.error(request, exc.status, exc.code, exc.message, exc.field)
        return _ignoring(_answer(presented, route), ignored)

    def _runner(self, dialect: Dialect, route: Route, request: web.Request) -> Run:
        """Runs one of the dialect's operations; each run gets a fresh context, so loaders
        never serve rows from before a write. A GraphQL error becomes a RestError naming the
        field as the client spells it."""

        async def run(operation: str, variables: dict[str, Any]) -> dict[str, Any]:
            result = await self.schema.execute(
                dialect.operations[operation],
                variable_values=variables,
                context_value=self.context_factory(request),
                operation_name=operation,
            )
            if result.errors:
                extensions = result.errors[0].extensions or {}
                code = extensions.get("code", "INTERNAL_SERVER_ERROR")
                message = result.errors[0].message
                status = status_for(code)
                if status == 500:
                    message = (f"Internal server error "
                               f"(request {extensions.get('requestId', '')})")
                if extensions.get("reason") == "NOT_AN_ID":
                    # An id no object can have names no object: a 404, as an unknown id.
                    status, code = 404, "NOT_FOUND"
                raise RestError(status, code, message, _wire(route, extensions.get("field")))
            return result.data or {}

        return run


def route_limit(dialect: Dialect, route: Route) -> tuple[str, int] | None:
    """(bucket, requests a minute) of ``route``'s own cap, if it has one."""
    if route.per_minute is None:
        return None
    return (route.per_minute_bucket or f"{dialect.name}:{route.method}:{route.path}",
            route.per_minute)


OWN_PASS_PREFIX = "pass_"


async def own_pass_id(run: Run, lookup: str, value: str) -> str:
    """Our id for a pass named by its former vendor's id (imports keep it); ``value`` itself
    when it is already ours or no pass has it as its vendor id."""
    if value.startswith(OWN_PASS_PREFIX):
        return value
    try:
        found = (await run(lookup, {"externalId": value}))["pass"]
    except RestError as exc:
        if exc.status == 404:
            return value
        raise
    return raw_id(found["id"]) or value if found else value


def _answer(presented: Any, route: Route) -> web.Response:
    if isinstance(presented, Answer):
        return _json(presented.body, presented.status or route.status, presented.headers,
                     presented.content_type)
    return _json(presented, route.status)


def _wire(route: Route, graph_field: str | None) -> str | None:
    """The client's spelling of a field an error names (``maxUsages`` → ``max_uses``)."""
    if not graph_field:
        return graph_field
    leaf = graph_field.rsplit(".", 1)[-1]
    for spec in (route.body, route.query):
        if spec is not None and (wire := spec.wire_name(leaf)) is not None:
            return wire
    return graph_field


def _read_query(route: Route, request: web.Request) -> dict[str, Any]:
    if route.query is None:
        return {}
    return route.query.read_query(request.rel_url.raw_query_string, request.query)


IGNORED_HEADER = "X-Passgate-Ignored-Fields"
GO_ZERO_DATES = ("", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z")


def _ignoring(response: web.Response, ignored: list[str] | None) -> web.Response:
    """Name the body fields a lenient dialect left out, so nothing is dropped silently."""
    if ignored:
        # Percent-encoded: a field name may hold anything JSON allows, a header value may not
        # (a control character there made aiohttp drop the connection instead of answering).
        response.headers[IGNORED_HEADER] = ", ".join(quote(n, safe="") for n in sorted(ignored))
    return response


def _read_body(route: Route, raw: bytes, ignored: list[str] | None = None) -> dict[str, Any]:
    """The body under graph names. With ``ignored`` (a dialect whose vendor ignores fields it
    does not know), unknown fields are left out and listed there instead of refused."""
    if route.body is None:
        return {}
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json_document(raw, "request body")
        except BadText as exc:
            raise RestError.bad(exc.message) from None
    if not isinstance(data, dict):
        raise RestError.bad("request body must be a JSON object")
    if ignored is not None and route.body.strict:
        known = {f.wire: f for f in route.body.fields}
        ignored.extend(k for k in data if k not in known)
        # Go clients send unset dates as their zero value: absent, as the vendor reads them.
        data = {k: v for k, v in data.items() if k in known and not (
            known[k].kind == "datetime" and v in GO_ZERO_DATES)}
    return route.body.read(data, where="the request body")


def endpoint_of(request: web.Request) -> Endpoint | None:
    """The REST endpoint serving ``request``, if it is a REST route (for the middleware)."""
    owner = getattr(request.match_info.handler, "__self__", None)
    return owner if isinstance(owner, Endpoint) else None


def install(app: web.Application, schema: Schema, context_factory: ContextFactory,
            principal_of: PrincipalOf, dialects: Iterable[Dialect],
            keyless: str | None = None) -> list[Dialect]:
    """Load and check every dialect's operations, then add its routes to ``app``.
    ``keyless`` names the dialect answering keyless requests on shared paths."""
    dialects = list(dialects)
    grouped: dict[tuple[str, str], list[tuple[Dialect, Route]]] = {}
    for dialect in dialects:
        dialect.operations = load_operations(dialect.folder, schema._schema)
        for route in dialect.routes:
            if route.external:  # mounted by gateway/, documented only
                continue
            if route.operation is None and route.precheck is None:
                raise RuntimeError(f"{dialect.name}: {route.path} has neither an operation "
                                   "nor a precheck")
            if route.operation is not None and route.operation not in dialect.operations:
                raise RuntimeError(f"{dialect.name}: route {route.method} {route.path} "
                                   f"names an unknown operation {route.operation}")
            if route.pass_param is not None and (
                    dialect.pass_lookup not in dialect.operations
                    or "{" + route.pass_param + "}" not in route.path):
                raise RuntimeError(f"{dialect.name}: {route.path} resolves vendor ids of "
                                   f"{{{route.pass_param}}} without a pass_lookup operation")
            grouped.setdefault((route.method, route.path), []).append((dialect, route))
    for (method, path), routes in grouped.items():
        endpoint = Endpoint(schema, context_factory, principal_of, routes, keyless)
        for name, pattern in routes[0][0].path_patterns.items():
            path = path.replace("{" + name + "}", "{" + name + ":" + pattern + "}")
        app.router.add_route(method, path, endpoint.handle)
    from .docs import add_routes  # docs imports this module: import here, not at the top

    add_routes(app, dialects)
    return dialects
