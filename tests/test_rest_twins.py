"""Every REST route against its GraphQL twin, and tenant isolation on every route.

One test runs over the route tables themselves: for each route of each dialect it calls the
REST door, then sends the route's own GraphQL operation (with the variables its mapper builds
for an identical fixture) to ``POST /graphql`` with a key of the same tenant, presents that
answer with the route's presenter and expects the same status and body (ids, codes and times
aside). A route added without a sample here fails the test, so no route escapes it.
"""

import base64
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from gateway.keys import PRINCIPAL, STATE
from resolvers import auth
from rest_compat import dialects
from rest_compat.accessgrid.signature import sign, signed_payload
from rest_compat.engine import Answer, Call, Dialect, Route, _read_body, _read_query
from rest_compat.errors import RestError
from tests.conftest import Api, make_api
from tests.twin_samples import SAMPLES

# Utility routes (a barcode image, 501s, 404s for features not offered) run no operation.
ALL_ROUTES = [(d, r) for d in dialects.ALL for r in d.routes if r.operation is not None]


def route_id(item: tuple[Dialect, Route]) -> str:
    d, r = item
    return f"{d.name}:{r.method} {r.path}"


@dataclass
class World:
    """One tenant, a key per dialect, and the objects a route may name."""

    api: Api
    keys: dict[str, Any]
    objects: dict[str, str] = field(default_factory=dict)


GQL_SETUP = {
    "template": ("mutation { createTemplate(input: {name: \"Twin\", kind: ACCESS_BADGE, "
                 "defaultType: MULTI}) { template { id } } }", "createTemplate", "template"),
    "customer": ("mutation { upsertCustomer(input: {externalId: \"twin-%s\", email: "
                 "\"twin-%s@example.com\", name: \"Twin\"}) { customer { id } } }",
                 "upsertCustomer", "customer"),
    "qr": ("mutation { createQrCode(input: {name: \"Twin\", destinationUrl: "
           "\"https://example.com\"}) { qrCode { id slug } } }", "createQrCode", "qrCode"),
    "webhook": ("mutation { createWebhook(input: {url: \"http://127.0.0.1:9/hook\", "
                "events: [\"Pass:Created\"]}) { webhook { id } } }", "createWebhook",
                "webhook"),
}


def _raw(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


async def build_world(api: Api, tag: str) -> dict[str, str]:
    """Fresh objects (template, customer, two passes, a scan, a QR code, a webhook)."""
    out: dict[str, str] = {}
    for name, (doc, mutation, key) in GQL_SETUP.items():
        text = doc % (tag, tag) if "%s" in doc else doc
        data = await api.gql(text)
        out[name] = _raw(data[mutation][key]["id"])
    created = await api.gql(
        "mutation($t: ID!, $c: ID!) { a: createPass(input: {templateId: $t, customerId: $c, "
        "type: MULTI, maxUsages: 10, name: \"Twin\", holderName: \"Ada\", "
        "metadata: {twin: true}, attributes: {employee_id: \"E1\"}}) { pass { id code } } "
        "b: createPass(input: {templateId: $t, type: MULTI, name: \"Twin b\"}) "
        "{ pass { id code } } }", {"t": out["template"], "c": out["customer"]})
    out["pass"] = _raw(created["a"]["pass"]["id"])
    out["code"] = created["a"]["pass"]["code"]
    out["pass_b"] = _raw(created["b"]["pass"]["id"])
    scan = await api.gql("mutation($c: String!) { validatePass(input: {code: $c}) "
                         "{ scan { id } } }", {"c": out["code"]})
    out["scan"] = _raw(scan["validatePass"]["scan"]["id"])
    out["tenant"] = api.tenant_id
    out["customer_ext"] = f"twin-{tag}"
    return out


# Values that differ between two identical fixtures: ids, codes, times, tokens, slugs.
_VOLATILE = [
    (re.compile(r"\b(pass|tpl|cus|scn|qr|qrs|whk|key|ten|evt)_[0-9a-z]{26}\b"), r"\1_ID"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "UUID"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "TIME"),
    (re.compile(r"/p/[0-9A-Z]{16}\?token=[\w-]+"), "/p/CODE"),
    (re.compile(r"/q/\w+"), "/q/SLUG"),
    (re.compile(r"\b[0-9A-HJKMNP-TV-Z]{16}\b"), "CODE"),
    (re.compile(r'"(short_code|slug|code)": ?"[^"]*"'), r'"\1": "X"'),
    (re.compile(r"twin-[ab]\b"), "twin-X"),  # the two fixtures' customers
    (re.compile(r'"id": ?"[0-9a-z]{5}"'), '"id": "WHK"'),  # The Wallet Crew's webhook ids
    (re.compile(r"M-pass_ID"), "M-X"),
    (re.compile(r'"(signatureSecret|private_key|secret)": ?"[^"]*"'), r'"\1": "SECRET"'),
]


def normalise(value: Any) -> Any:
    text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return orjson.loads(text)


def _headers(dialect: Dialect, key: Any, method: str, body: bytes, query: dict[str, str]
             ) -> dict[str, str]:
    if dialect.name == "accessgrid":
        account, secret = key
        payload = signed_payload(method, query.get("sig_payload"), body)
        return {"X-ACCT-ID": account, "X-PAYLOAD-SIG": sign(secret, payload),
                "Content-Type": "application/json"}
    if dialect.name == "walletcrew":
        return {"X-API-KEY": key, "Content-Type": "application/json"}
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def _path(route: Route, params: dict[str, str]) -> str:
    path = route.path
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    return path


async def _rest(api: Api, dialect: Dialect, route: Route, key: Any, params: dict[str, str],
                body: Any, query: dict[str, str]) -> tuple[int, Any]:
    raw = orjson.dumps(body) if body is not None else b""
    resp = await api.client.request(route.method, _path(route, params), data=raw or None,
                                    params=query or None, allow_redirects=False,
                                    headers=_headers(dialect, key, route.method, raw, query))
    text = await resp.text()
    return resp.status, (orjson.loads(text) if text and "json" in resp.content_type else text)


async def _twin(api: Api, dialect: Dialect, route: Route, key: Any, params: dict[str, str],
                body: Any, query: dict[str, str]) -> tuple[int, Any]:
    """The same route, its operation sent to POST /graphql instead of run by the engine."""
    bearer = api.key  # an all-scopes key of the same tenant speaks GraphQL
    principal = await api.client.app[STATE].authenticator.authenticate(bearer)
    raw = orjson.dumps(body) if body is not None else b""
    path = _path(route, params)
    request = make_mocked_request(route.method, path + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""),
        headers=CIMultiDict(_headers(dialect, key, route.method, raw, query)),
        app=api.client.app, match_info=params)
    request[PRINCIPAL] = principal

    async def run(operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        status, answer = await api.post(dialect.operations[operation], variables)
        assert status == 200, answer
        if answer.get("errors"):
            ext = answer["errors"][0]["extensions"]
            raise RestError(_status(ext["code"]), ext["code"], answer["errors"][0]["message"],
                            ext.get("field"))
        return answer["data"]

    try:
        call = Call(request, route, dict(params), _read_query(route, request),
                    _read_body(route, raw), raw, principal, run)
        if route.precheck is not None and (early := await route.precheck(call)) is not None:
            return _as_answer(early, route)
        presented = route.present(await run(route.operation, route.variables(call)), call)
    except RestError as exc:
        return exc.status, None
    return _as_answer(presented, route)


def _status(code: str) -> int:
    from rest_compat.errors import status_for

    return status_for(code)


def _as_answer(presented: Any, route: Route) -> tuple[int, Any]:
    if isinstance(presented, Answer):
        body = presented.body
        if isinstance(body, bytes):
            body = body.decode(errors="replace")
        return presented.status or route.status, body if body is not None else ""
    return route.status, presented if presented is not None else ""


async def _world(client: Any) -> World:
    api = await make_api(client, "enterprise")
    db, secret = api.db, client.app[STATE].secret_key
    keys: dict[str, Any] = {"native": api.key}
    for name in ("passengine", "walletcrew"):
        keys[name] = (await auth.create_key(db, api.tenant_id, name=name, dialect=name)).key
    ag = await auth.create_key(db, api.tenant_id, name="ag", dialect="accessgrid",
                               server_secret=secret)
    keys["accessgrid"] = (ag.account_id, ag.key)
    return World(api, keys)


@pytest.mark.parametrize("item", ALL_ROUTES, ids=[route_id(i) for i in ALL_ROUTES])
async def test_rest_route_matches_its_graphql_twin(client, item):
    dialect, route = item
    samples = SAMPLES.get(dialect.name, {})
    assert f"{route.method} {route.path}" in samples, (
        f"add a sample for {dialect.name} {route.method} {route.path} to the twin test")
    build = samples[f"{route.method} {route.path}"]
    world = await _world(client)
    key = world.keys[dialect.name]
    a = await build_world(world.api, "a")
    b = await build_world(world.api, "b")
    rest_status, rest_body = await _rest(world.api, dialect, route, key, *build(a))
    twin_status, twin_body = await _twin(world.api, dialect, route, key, *build(b))
    assert rest_status < 500, rest_body
    assert rest_status == twin_status, (rest_body, twin_body)
    if rest_status < 400:
        assert normalise(rest_body) == normalise(twin_body)


Check = Callable[[Api, Any], Awaitable[None]]


def _names_an_object(item: tuple[Dialect, Route]) -> bool:
    """Routes that name one of the owner's objects (in the path, or PATCH /passes?id=)."""
    dialect, route = item
    params = set(re.findall(r"{(\w+)}", route.path)) - {"tenantId"}
    return bool(params) or (dialect.name, route.method, route.path) in NAMED_IN_QUERY


NAMED_IN_QUERY = {("walletcrew", "PATCH", "/api/{tenantId}/passes")}
# Upserts by the caller's own external id create in the caller's tenant: not a lookup.
UPSERTS = {("walletcrew", "PUT", "/api/{tenantId}/customers/{customerId}")}
OWNED = [i for i in ALL_ROUTES if _names_an_object(i)]


@pytest.mark.parametrize("item", OWNED, ids=[route_id(i) for i in OWNED])
async def test_another_tenants_objects_are_not_found_on_every_route(client, item):
    dialect, route = item
    samples = SAMPLES.get(dialect.name, {})
    if f"{route.method} {route.path}" not in samples:
        pytest.fail(f"add a sample for {dialect.name} {route.method} {route.path}")
    build = samples[f"{route.method} {route.path}"]
    owner = await _world(client)
    objects = await build_world(owner.api, "owner")
    intruder = await _world(client)
    params, body, query = build(objects)
    if dialect.name == "walletcrew":  # the path names the intruder's own tenant
        params = {**params, "tenantId": intruder.api.tenant_id} if "tenantId" in params \
            else params
    status, answer = await _rest(intruder.api, dialect, route, intruder.keys[dialect.name],
                                 params, body, query)
    if (dialect.name, route.method, route.path) in UPSERTS:
        assert status < 500, answer
    else:
        assert status == 404, (status, answer)
    # And nothing of the owner's changed: its pass still answers as before.
    check = await owner.api.gql("query($id: ID!) { pass(id: $id) { state usagesCount } }",
                                {"id": objects["pass"]})
    assert check["pass"] == {"state": "ACTIVE", "usagesCount": 1}
