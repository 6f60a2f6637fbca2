"""The SSRF guard: a tenant cannot make passgate send requests to loopback, private, link-local,
metadata or otherwise non-public addresses, at registration nor at send time, in any spelling.

These tests run the server as production does (``PASSGATE_WEBHOOK_ALLOW_PRIVATE`` off); the
rest of the suite turns it on to reach its local receivers.
"""

import ipaddress
import socket
from typing import Any

import pytest
from aiohttp import web

from gateway.app import create_app
from resolvers.outbound import Outbound, blocked_reason, check_url, resolve_guarded
from tests.conftest import make_api

CREATE = """
mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id url } } }
"""
UPDATE = """
mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) { webhook { url } } }
"""
COUNT = "{ webhooks { totalCount } }"

REFUSED = [
    ("https://localhost/hook", "a loopback host"),
    ("https://LOCALHOST./hook", "a loopback host"),
    ("https://app.localhost/hook", "a loopback host"),
    ("https://127.0.0.1/hook", "127.0.0.1, a loopback address"),
    ("https://127.1/hook", "127.0.0.1, a loopback address"),
    ("https://2130706433/hook", "127.0.0.1, a loopback address"),
    ("https://0x7f000001/hook", "127.0.0.1, a loopback address"),
    ("https://0177.0.0.1/hook", "127.0.0.1, a loopback address"),
    ("https://[::ffff:127.0.0.1]/hook", "::ffff:7f00:1, which carries 127.0.0.1, a loopback"),
    ("https://[::1]:8443/hook", "::1, a loopback address"),
    ("https://0.0.0.0/hook", "0.0.0.0, an unspecified address"),
    ("https://169.254.169.254/latest/meta-data", "a link-local address"),
    ("https://[fe80::1]/hook", "a link-local address"),
    ("https://10.1.2.3/hook", "10.1.2.3, a private address"),
    ("https://172.16.0.1/hook", "172.16.0.1, a private address"),
    ("https://192.168.1.1/hook", "192.168.1.1, a private address"),
    ("https://[fd00::1]/hook", "fd00::1, a private address"),
    ("https://100.64.0.1/hook", "100.64.0.1, not a public address"),
    ("https://224.0.0.1/hook", "224.0.0.1, a multicast address"),
    ("https://240.0.0.1/hook", "240.0.0.1, a private address"),
    ("https://[64:ff9b::a9fe:a9fe]/hook", "which carries 169.254.169.254, a link-local"),
    ("https://[2002:7f00:1::]/hook", "2002:7f00:1::, which carries 127.0.0.1, a loopback"),
    ("https://metadata.google.internal/computeMetadata/v1/", "a cloud metadata service"),
]


@pytest.fixture
async def guarded(aiohttp_client: Any, settings: Any) -> Any:
    """A server with the guard as in production, and a tenant on it."""
    settings.webhook_allow_private = False
    return await make_api(await aiohttp_client(create_app(settings)))


async def receiver(aiohttp_server: Any) -> tuple[int, list[str]]:
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    return server.port, seen


@pytest.mark.parametrize(("url", "why"), REFUSED)
async def test_registration_refuses_non_public_destinations(guarded, url, why):
    error = await guarded.error(CREATE, {"input": {"url": url, "events": ["*"]}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "url"}
    assert why in error["message"], error["message"]
    assert (await guarded.gql(COUNT))["webhooks"]["totalCount"] == 0


@pytest.mark.parametrize("url", [
    "https://user:pass@hooks.example/x", "https://hooks.example@127.0.0.1/x",
    "https://hooks.example\\@127.0.0.1/x", "http://hooks.example/x",
])
async def test_registration_refuses_userinfo_tricks_and_plain_http(guarded, url):
    error = await guarded.error(CREATE, {"input": {"url": url, "events": ["*"]}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert (await guarded.gql(COUNT))["webhooks"]["totalCount"] == 0


async def test_a_host_name_that_resolves_to_a_private_address_is_refused(guarded):
    """A DNS name is resolved at registration (here: this machine's own name)."""
    name = local_name()
    error = await guarded.error(CREATE, {"input": {"url": f"https://{name}/hook",
                                                   "events": ["*"]}})
    assert error["extensions"]["field"] == "url" and "resolves to" in error["message"]


async def test_an_update_cannot_point_a_webhook_inside(guarded):
    hook = (await guarded.gql(CREATE, {"input": {"url": "https://hooks.example/x",
                                                 "events": ["*"]}}))["createWebhook"]["webhook"]
    error = await guarded.error(UPDATE, {"input": {"id": hook["id"],
                                                   "url": "https://[::1]/x"}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "url"}


async def test_verify_never_reaches_a_local_receiver(client, guarded, aiohttp_server, db_url):
    """Registered while private receivers were allowed (a developer's setting), sent after the
    operator turned that off: the send-time guard refuses the connection."""
    port, seen = await receiver(aiohttp_server)
    open_api = await make_api(client)  # the suite's server: private receivers allowed
    hook = (await open_api.gql(CREATE, {"input": {"url": f"http://127.0.0.1:{port}/hook",
                                                  "events": ["*"]}}))["createWebhook"]["webhook"]
    guarded_same_tenant = type(guarded)(guarded.client, open_api.tenant_id, open_api.key,
                                        open_api.key_id)
    answer = await guarded_same_tenant.gql(
        "mutation($id: ID!) { verifyWebhook(input: {id: $id}) { verified } }", {"id": hook["id"]})
    assert answer["verifyWebhook"]["verified"] is False
    assert seen == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.1", "[::1]"])
async def test_the_client_refuses_at_send_time(aiohttp_server, host):
    port, seen = await receiver(aiohttp_server)
    client = Outbound(allow_private=False)
    try:
        reply = await client.request("POST", f"http://{host}:{port}/x", body=b"{}")
    finally:
        await client.close()
    assert reply.status is None and reply.error and reply.error.startswith("blocked:"), reply
    assert seen == []


def local_name() -> str:
    """This machine's own name, which resolves to one of its (never public) addresses."""
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 443)}
    except OSError:
        pytest.skip(f"this machine's name {name} does not resolve")
    if any(blocked_reason(ipaddress.ip_address(a)) is None for a in addresses):
        pytest.skip(f"{name} resolves to a public address here")
    return name


async def test_the_socket_check_refuses_what_dns_hands_over(aiohttp_server, monkeypatch):
    """DNS rebinding: the name passed the pre-send check, then resolved to a local address
    when aiohttp connected. The check on the socket address still refuses."""
    port, seen = await receiver(aiohttp_server)
    name = local_name()
    client = Outbound(allow_private=False)

    async def public(host: str, port: int, *, allow_private: bool) -> list[str]:
        return ["93.184.216.34"]  # what the first lookup answered

    monkeypatch.setattr("resolvers.outbound.resolve_guarded", public)
    try:
        reply = await client.request("GET", f"http://{name}:{port}/x")
    finally:
        await client.close()
    assert reply.status is None and "blocked: refused to connect to" in (reply.error or ""), reply
    assert seen == []


async def test_allowed_private_receivers_are_reached_and_redirects_not_followed(aiohttp_server):
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.path)
        raise web.HTTPFound("http://169.254.169.254/latest")

    app = web.Application()
    app.router.add_post("/hook", handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    client = Outbound(allow_private=True)
    try:
        reply = await client.request("POST", f"http://127.0.0.1:{server.port}/hook", body=b"{}")
    finally:
        await client.close()
    assert reply.status == 302 and not reply.ok and seen == ["/hook"]
    assert reply.elapsed_ms > 0


async def test_public_destinations_pass_the_checks():
    assert check_url("https://hooks.example.com/x", allow_private=False)
    assert await resolve_guarded("93.184.216.34", 443, allow_private=False) == ["93.184.216.34"]
    assert blocked_reason(ipaddress.ip_address("2606:4700::1111")) is None
