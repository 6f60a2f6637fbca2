"""CORS over real HTTP: PassEngine's routes open to any origin as its docs say (preflight
without a key, answers readable by the browser, ``*`` never with credentials), other
dialects closed until a tenant lists its origins (``updateTenantCors``), and a keyless
PassEngine request refused in PassEngine's own ``{"error": message}``."""

import asyncio
from typing import Any

import pytest

from gateway.app import create_app
from resolvers import auth
from tests.conftest import make_api

B = "/api/v1"
SHOP = "https://shop.example"
EVIL = "https://evil.example"
# Every PassEngine route, as (method, path) a browser's fetch() sends.
ENGINE_ROUTES = [("GET", f"{B}/passes"), ("POST", f"{B}/passes"), ("GET", f"{B}/passes/p1"),
                 ("PATCH", f"{B}/passes/p1"), ("DELETE", f"{B}/passes/p1"),
                 ("POST", f"{B}/passes/p1/suspend"), ("POST", f"{B}/passes/p1/resume"),
                 ("POST", f"{B}/scan")]
SET_CORS = """mutation($o: [String!]) { updateTenantCors(input: {origins: $o}) { origins } }"""


async def set_cors(api: Any, origins: list[str] | None) -> list[str] | None:
    stored = (await api.gql(SET_CORS, {"o": origins}))["updateTenantCors"]["origins"]
    await asyncio.sleep(1.05)  # keys (and what a preflight reads) are cached for a second
    return stored


@pytest.fixture
async def pe(api) -> str:
    return (await auth.create_key(api.db, api.tenant_id, name="pe", scopes="all",
                                  dialect="passengine")).key


async def preflight(client: Any, method: str, path: str, origin: str = SHOP,
                    headers: str = "authorization,content-type") -> Any:
    return await client.options(path, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers})


@pytest.mark.parametrize(("method", "path"), ENGINE_ROUTES)
async def test_preflight_on_every_passengine_route(api, method, path):
    r = await preflight(api.client, method, path)
    assert r.status == 204, await r.text()
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Access-Control-Allow-Methods"] == method
    assert r.headers["Access-Control-Allow-Headers"] == "authorization,content-type"
    assert int(r.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in r.headers


async def test_browser_reads_passengine_answers(api, pe):
    headers = {"Authorization": f"Bearer {pe}", "Origin": SHOP}
    r = await api.client.post(f"{B}/passes", json={"type": "single", "name": "VIP Guest"},
                              headers=headers)
    assert r.status == 201
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers
    assert "X-RateLimit-Remaining" in r.headers["Access-Control-Expose-Headers"]
    assert "Origin" in r.headers.getall("Vary")
    r = await api.client.get(f"{B}/passes", headers=headers)
    assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == "*"


async def test_native_is_closed_by_default(api):
    r = await api.client.get(f"{B}/passes", headers={"Authorization": f"Bearer {api.key}",
                                                    "Origin": SHOP})
    assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers
    r = await preflight(api.client, "GET", f"{B}/templates")
    assert r.status == 403
    assert "updateTenantCors" in (await r.json())["message"]
    assert "Access-Control-Allow-Origin" not in r.headers
    # the preflight of a shared path is admitted (PassEngine's), the answer is not readable
    r = await preflight(api.client, "GET", f"{B}/passes")
    assert r.status == 204


async def test_tenant_origins(api, pe):
    other = await api.other_tenant()
    assert await set_cors(api, [SHOP, "HTTP://LocalHost:3000", SHOP]) == [
        SHOP, "http://localhost:3000"]
    assert (await api.gql("{ tenantCors { origins } }"))["tenantCors"]["origins"] == [
        SHOP, "http://localhost:3000"]
    native = {"Authorization": f"Bearer {api.key}"}
    r = await api.client.get(f"{B}/templates", headers={**native, "Origin": SHOP})
    assert r.status == 200
    assert r.headers["Access-Control-Allow-Origin"] == SHOP
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    r = await api.client.post("/graphql", json={"query": "{ viewer { tenantName } }"},
                              headers={**native, "Origin": "http://localhost:3000"})
    assert r.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    r = await api.client.get(f"{B}/templates", headers={**native, "Origin": EVIL})
    assert "Access-Control-Allow-Origin" not in r.headers
    # another tenant's keys do not inherit the origins
    r = await api.client.get(f"{B}/templates", headers={"Authorization": f"Bearer {other.key}",
                                                        "Origin": SHOP})
    assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers
    # a preflight cannot know the tenant: admitted because some tenant lists the origin
    r = await preflight(api.client, "POST", "/graphql")
    assert r.status == 204 and r.headers["Access-Control-Allow-Origin"] == SHOP
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert (await preflight(api.client, "POST", "/graphql", origin=EVIL)).status == 403
    # the tenant's list replaces PassEngine's "*" for its PassEngine keys too
    engine = {"Authorization": f"Bearer {pe}"}
    r = await api.client.get(f"{B}/passes", headers={**engine, "Origin": EVIL})
    assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers
    r = await api.client.get(f"{B}/passes", headers={**engine, "Origin": SHOP})
    assert r.headers["Access-Control-Allow-Origin"] == SHOP
    # [] closes, "*" opens without credentials, null returns to the dialect defaults
    await set_cors(api, [])
    r = await api.client.get(f"{B}/passes", headers={**engine, "Origin": SHOP})
    assert "Access-Control-Allow-Origin" not in r.headers
    await set_cors(api, ["*"])
    r = await api.client.get(f"{B}/templates", headers={**native, "Origin": EVIL})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers
    assert await set_cors(api, None) is None
    r = await api.client.get(f"{B}/templates", headers={**native, "Origin": EVIL})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = await api.client.get(f"{B}/passes", headers={**engine, "Origin": EVIL})
    assert r.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("bad", ["shop.example", "https://shop.example/", "ftp://x.example",
                                 "https://shop.example/path", "https://*.example", "", "null"])
async def test_bad_origin_is_refused(api, bad):
    error = await api.error(SET_CORS, {"o": [SHOP, bad]})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "origin" in error["message"]
    assert (await api.gql("{ tenantCors { origins } }"))["tenantCors"]["origins"] is None


async def test_cors_needs_admin(api):
    reader = await api.new_key("passes:read")
    error = await api.error(SET_CORS, {"o": [SHOP]}, key=reader)
    assert error["extensions"]["code"] == "FORBIDDEN"


# ---------------------------------------------------------------- keyless PassEngine clients


@pytest.fixture
async def engine_api(aiohttp_client, settings):
    """An instance replacing PassEngine: keyless requests are answered in its shape."""
    settings.keyless_dialect = "passengine"
    return await make_api(await aiohttp_client(create_app(settings)))


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Bearer undefined", "Basic eDp5"])
async def test_keyless_request_is_401_in_passengine_shape(engine_api, authorization):
    headers = {"Content-Type": "application/json", "Origin": SHOP}
    if authorization is not None:
        headers["Authorization"] = authorization
    for method, path in ENGINE_ROUTES:
        r = await engine_api.client.request(method, path, data=b'{"type": "single"}',
                                            headers=headers)
        assert r.status == 401, (method, path)
        body = await r.json()
        assert set(body) == {"error"} and "key" in body["error"], (method, path, body)
        # readable by the browser that sent it
        assert r.headers["Access-Control-Allow-Origin"] == "*"


async def test_keyless_dialect_keeps_native_keys_native(engine_api):
    r = await engine_api.rest("GET", f"{B}/passes/pass_nothing")
    assert r.status == 404 and r.body["error"] == "NOT_FOUND"


async def test_keyless_on_a_passengine_only_path_without_the_setting(api):
    r = await api.client.post(f"{B}/scan", json={"code": "X"})
    assert r.status == 401 and set(await r.json()) == {"error"}
    # a shared path answers the first dialect's shape unless the instance says otherwise
    r = await api.client.get(f"{B}/passes")
    assert r.status == 401 and (await r.json())["error"] == "UNAUTHENTICATED"
