"""PassEngine's /clients and /webhooks over real HTTP with a ``2pk_`` key: bare camelCase
objects and arrays, ``{"error": message}`` refusals, the pass list's ``client`` filled from
``clientId``, Standard Webhooks deliveries, and 10 webhook requests a minute per key."""

from typing import Any

import pytest
from aiohttp import web
from standardwebhooks import Webhook as StandardWebhook

from gateway.app import create_app
from resolvers import auth
from tests.test_rest_passengine import HOUR, JS_TIME, ok, refused

B = "/api/v1"
CLIENT_KEYS = {"id", "externalId", "name", "email", "phone", "createdAt", "updatedAt"}
WEBHOOK_KEYS = {"id", "url", "events", "active", "description", "createdAt", "updatedAt"}
VERIFY = """mutation($id: ID!) { verifyWebhook(input: {id: $id}) { verified } }"""


@pytest.fixture
async def client(aiohttp_client, settings):
    settings.rate_limit_window = HOUR
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def pe(api) -> str:
    return (await auth.create_key(api.db, api.tenant_id, name="pe", scopes="all",
                                  dialect="passengine")).key


# ---------------------------------------------------------------- clients


async def test_clients_round_trip(api, pe):
    made = await ok(api, pe, "POST", f"{B}/clients",
                    {"name": "John Doe", "email": "john@example.com", "phone": "+3312345678",
                     "externalId": "crm-1"}, status=201)
    assert set(made) == CLIENT_KEYS and made["id"].startswith("cus_")
    assert JS_TIME.fullmatch(made["createdAt"])
    # the same externalId again updates that client
    again = await ok(api, pe, "POST", f"{B}/clients", {"externalId": "crm-1",
                                                       "name": "John D."}, status=200)
    assert again["id"] == made["id"] and again["name"] == "John D."
    await ok(api, pe, "POST", f"{B}/clients", {"name": "Jane Roe", "email": "jane@example.com"},
             status=201)
    listed = await ok(api, pe, "GET", f"{B}/clients")
    assert isinstance(listed, list) and len(listed) == 2
    assert [c["name"] for c in await ok(api, pe, "GET", f"{B}/clients",
                                        params={"search": "jane"})] == ["Jane Roe"]
    assert len(await ok(api, pe, "GET", f"{B}/clients", params={"limit": 1, "page": 2})) == 1
    got = await ok(api, pe, "GET", f"{B}/clients/{made['id']}")
    assert got["email"] == "john@example.com"
    patched = await ok(api, pe, "PATCH", f"{B}/clients/{made['id']}", {"phone": "+3399"})
    assert patched["phone"] == "+3399" and patched["name"] == "John D."
    # a pass for the client shows it in the pass list, as PassEngine's list items do
    await ok(api, pe, "POST", f"{B}/passes", {"type": "single", "clientId": made["id"]},
             status=201)
    [item] = await ok(api, pe, "GET", f"{B}/passes")
    assert item["client"] == {"name": "John D.", "email": "john@example.com"}
    deleted = await ok(api, pe, "DELETE", f"{B}/clients/{made['id']}")
    assert deleted["id"] == made["id"]
    await refused(api, pe, "GET", f"{B}/clients/{made['id']}", status=404)
    [item] = await ok(api, pe, "GET", f"{B}/passes")
    assert item["client"] is None


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("POST", "/clients", {}, 400),
    ("POST", "/clients", {"name": "No Email"}, 400),
    ("POST", "/clients", {"email": "not an email"}, 400),
    ("POST", "/clients", {"name": 5, "email": "a@b.example"}, 400),
    ("POST", "/clients", {"email": "a@b.example", "nickname": "y"}, 400),
    ("PATCH", "/clients/cus_nothing", {"name": "x"}, 404),
    ("GET", "/clients/clx1abc", None, 404),
    ("GET", "/clients?limit=101", None, 400),
])
async def test_client_refusals(api, pe, method, path, body, status):
    await refused(api, pe, method, f"{B}{path}", body, status=status)


async def test_another_tenants_client_is_404(api, pe):
    other = await api.other_tenant()
    their_key = (await auth.create_key(other.db, other.tenant_id, name="pe", scopes="all",
                                       dialect="passengine")).key
    theirs = await ok(other, their_key, "POST", f"{B}/clients", {"email": "t@their.example"},
                      status=201)
    assert theirs["id"].startswith("cus_")
    await refused(api, pe, "GET", f"{B}/clients/{theirs['id']}", status=404)
    assert await ok(api, pe, "GET", f"{B}/clients") == []


# ---------------------------------------------------------------- webhooks


async def receiver(aiohttp_server: Any) -> tuple[str, list[tuple[dict[str, str], bytes]]]:
    seen: list[tuple[dict[str, str], bytes]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append((dict(request.headers), await request.read()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    return f"http://127.0.0.1:{server.port}/hook", seen


async def test_webhooks_round_trip(api, pe, aiohttp_server):
    url, seen = await receiver(aiohttp_server)
    made = await ok(api, pe, "POST", f"{B}/webhooks",
                    {"url": url, "events": ["pass.created", "pass.scanned"]}, status=201)
    assert set(made) == WEBHOOK_KEYS | {"secret"} and made["active"] is True
    assert made["secret"].startswith("whsec_") and made["id"].startswith("whk_")
    listed = await ok(api, pe, "GET", f"{B}/webhooks")
    assert listed == [{k: made[k] for k in WEBHOOK_KEYS}]
    got = await ok(api, pe, "GET", f"{B}/webhooks/{made['id']}")
    assert "secret" not in got and got["events"] == ["pass.created", "pass.scanned"]
    off = await ok(api, pe, "PATCH", f"{B}/webhooks/{made['id']}", {"active": False})
    assert off["active"] is False
    # deliveries are Standard Webhooks messages signed with the secret
    assert (await api.gql(VERIFY, {"id": made["id"]}))["verifyWebhook"]["verified"]
    [(headers, body)] = seen
    assert StandardWebhook(made["secret"]).verify(body, headers)["type"] == "webhook.verify"
    r = await api.rest("DELETE", f"{B}/webhooks/{made['id']}", key=pe)
    assert r.status == 204
    await refused(api, pe, "GET", f"{B}/webhooks/{made['id']}", status=404)
    assert await ok(api, pe, "GET", f"{B}/webhooks") == []


@pytest.mark.parametrize(("body", "word"), [
    ({"events": ["pass.created"]}, "url"),
    ({"url": "https://hooks.example/x"}, "events"),
    ({"url": "https://hooks.example/x", "events": []}, "event"),
    ({"url": "https://hooks.example/x", "events": ["no such thing!"]}, "event"),
    ({"url": "ftp://hooks.example/x", "events": ["*"]}, "url"),
    ({"url": "https://hooks.example/x", "events": ["*"], "active": "yes"}, "active"),
])
async def test_webhook_refusals(api, pe, body, word):
    message = await refused(api, pe, "POST", f"{B}/webhooks", body, status=400)
    assert word in message


async def test_ten_webhook_requests_a_minute(api, pe):
    """PassEngine documents 10 a minute per key on /webhooks, across its routes."""
    for i in range(10):
        path = f"{B}/webhooks" if i % 2 else f"{B}/webhooks/whk_nothing"
        r = await api.rest("GET", path, key=pe)
        assert r.status in (200, 404), r.body
    r = await api.rest("GET", f"{B}/webhooks", key=pe)
    assert r.status == 429 and set(r.body) == {"error"}, r.body
    assert int(r.headers["Retry-After"]) > 0
    # the pass routes keep their own budget
    assert await ok(api, pe, "GET", f"{B}/passes") == []
