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

ALL_ROUTES = [(d, r) for d in dialects.ALL for r in d.routes]


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
    "webhook": ("mutation { createWebhook(input: {url: \"https://example.com/hook\", "
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
    return out


# A sample per route: path parameters, JSON body and query string, from the world's objects.
Sample = Callable[[dict[str, str]], tuple[dict[str, str], Any, dict[str, str]]]


def _p(**names: str) -> Callable[[dict[str, str]], dict[str, str]]:
    return lambda o: {k: o[v] for k, v in names.items()}


def sample(params: Callable[[dict[str, str]], dict[str, str]] | None = None,
           body: Callable[[dict[str, str]], Any] | Any = None,
           query: dict[str, str] | None = None) -> Sample:
    def build(o: dict[str, str]) -> tuple[dict[str, str], Any, dict[str, str]]:
        return ((params(o) if params else {}), (body(o) if callable(body) else body),
                dict(query or {}))
    return build


NATIVE = {
    "GET /api/v1/passes": sample(query={"page": "1", "limit": "5"}),
    "POST /api/v1/passes": sample(body=lambda o: {"template_id": o["template"],
                                                  "holder_name": "Jane", "max_uses": 2}),
    "POST /api/v1/passes/bulk": sample(body=lambda o: {
        "template_id": o["template"], "passes": [{"holder_name": "A"}, {"name": "B"}]}),
    "GET /api/v1/passes/{id}": sample(_p(id="pass")),
    "PATCH /api/v1/passes/{id}": sample(_p(id="pass"), {"name": "Renamed",
                                                        "status": "suspended"}),
    "DELETE /api/v1/passes/{id}": sample(_p(id="pass")),
    "POST /api/v1/passes/{id}/suspend": sample(_p(id="pass")),
    "POST /api/v1/passes/{id}/resume": sample(_p(id="pass")),
    "POST /api/v1/passes/{id}/unlink": sample(_p(id="pass")),
    "GET /api/v1/passes/{id}/scans": sample(_p(id="pass")),
    "POST /api/v1/validate": sample(body=lambda o: {"code": o["code"]}),
    "GET /api/v1/scans": sample(query={"result": "accepted"}),
    "GET /api/v1/templates": sample(query={"limit": "3"}),
    "POST /api/v1/templates": sample(body={"name": "New", "type": "ticket", "color": "#112233"}),
    "GET /api/v1/templates/{id}": sample(_p(id="template")),
    "PATCH /api/v1/templates/{id}": sample(_p(id="template"), {"description": "changed"}),
    "DELETE /api/v1/templates/{id}": sample(_p(id="template")),  # in use: 409 on both doors
    "GET /api/v1/customers": sample(query={"search": "Twin"}),
    "POST /api/v1/customers": sample(body=lambda o: {"external_id": "new-" + o["customer"],
                                                      "name": "N"}),
    "GET /api/v1/customers/{id}": sample(_p(id="customer")),
    "PATCH /api/v1/customers/{id}": sample(_p(id="customer"), {"phone": "+15550100"}),
    "DELETE /api/v1/customers/{id}": sample(_p(id="customer")),
    "GET /api/v1/usage": sample(),
    "GET /api/v1/qr": sample(query={"status": "active"}),
    "POST /api/v1/qr": sample(body={"name": "Q", "destination_url": "https://example.com/q"}),
    "GET /api/v1/qr/{id}": sample(_p(id="qr")),
    "PUT /api/v1/qr/{id}": sample(_p(id="qr"), {"status": "paused"}),
    "DELETE /api/v1/qr/{id}": sample(_p(id="qr")),
    "GET /api/v1/qr/{id}/analytics": sample(_p(id="qr"), query={"days": "3"}),
}
PASSENGINE = {
    "GET /api/v1/passes": sample(query={"status": "active", "limit": "5"}),
    "POST /api/v1/passes": sample(body={"type": "multi", "name": "VIP", "maxUsages": 3,
                                        "customFields": [{"key": "k", "value": "v"}]}),
    "GET /api/v1/passes/{id}": sample(_p(id="pass")),
    "PATCH /api/v1/passes/{id}": sample(_p(id="pass"), {"note": "internal"}),
    "DELETE /api/v1/passes/{id}": sample(_p(id="pass")),
    "POST /api/v1/passes/{id}/suspend": sample(_p(id="pass")),
    "POST /api/v1/passes/{id}/resume": sample(_p(id="pass")),
    "POST /api/v1/scan": sample(body=lambda o: {"code": o["code"]}),
}
SAMPLES: dict[str, dict[str, Sample]] = {"native": NATIVE, "passengine": PASSENGINE}
try:  # the other dialects register their samples beside their own tests
    from tests.twin_samples import EXTRA_SAMPLES

    SAMPLES.update(EXTRA_SAMPLES)
except ImportError:
    pass

# Values that differ between two identical fixtures: ids, codes, times, tokens, slugs.
_VOLATILE = [
    (re.compile(r"\b(pass|tpl|cus|scn|qr|qrs|whk|key|ten)_[0-9a-z]{26}\b"), r"\1_ID"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "TIME"),
    (re.compile(r"/p/[0-9A-Z]{16}\?token=[\w-]+"), "/p/CODE"),
    (re.compile(r"/q/\w+"), "/q/SLUG"),
    (re.compile(r"\b[0-9A-HJKMNP-TV-Z]{16}\b"), "CODE"),
    (re.compile(r'"(short_code|slug|code)": ?"[^"]*"'), r'"\1": "X"'),
    (re.compile(r"twin-[ab]\b"), "twin-X"),  # the two fixtures' customers
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
                                    params=query or None,
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
    return route.status, presented


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
    if route.operation is None:
        pytest.skip("a utility route runs no GraphQL operation")
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


@pytest.mark.parametrize("item", [i for i in ALL_ROUTES if "{" in i[1].path],
                         ids=[route_id(i) for i in ALL_ROUTES if "{" in i[1].path])
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
    if route.operation is None:
        assert status < 500, answer
        return
    assert status == 404, (status, answer)
    # And nothing of the owner's changed: its pass still answers as before.
    check = await owner.api.gql("query($id: ID!) { pass(id: $id) { state usagesCount } }",
                                {"id": objects["pass"]})
    assert check["pass"] == {"state": "ACTIVE", "usagesCount": 1}
