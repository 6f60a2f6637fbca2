"""Google Wallet: save links whose JWT verifies with the service account's public key and
stays under 1,800 characters, and the Wallet REST API spoken to a local fake that checks
every request (path, method, bearer JWT, body)."""

import asyncio

import jwt
import orjson
import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.wallet_push import WALLET_PUSH
from tests.conftest import make_api, quiet_outbox
from tests.fragments import CREATE_PASS, CREATE_TEMPLATE
from tests.wallet_certs import service_account

ISSUER = "3388000000012345678"
SET_GOOGLE = """mutation($input: SetGoogleWalletInput!) { setGoogleWallet(input: $input) {
  settings { google { issuerId } } } }"""
WALLET = """query($id: ID!) { node(id: $id) { ... on Pass { code wallet {
  applePassUrl googleSaveUrl installUrl devices { platform registeredAt } } } } }"""


class FakeWalletApi:
    """``/walletobjects/v1/{kind}`` (POST insert, 409 when it exists) and
    ``/walletobjects/v1/{kind}/{id}`` (PATCH, 404 when unknown)."""

    def __init__(self, public_key) -> None:
        self.public_key = public_key
        self.objects: dict[str, dict] = {}
        self.seen: list[tuple[str, str, dict]] = []

    def _check(self, request: web.Request) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        assert scheme == "Bearer"
        claims = jwt.decode(token, self.public_key, algorithms=["RS256"],
                            audience="https://walletobjects.googleapis.com/")
        assert claims["iss"] == claims["sub"] and claims["exp"] > claims["iat"]
        assert request.content_type == "application/json"

    async def insert(self, request: web.Request) -> web.Response:
        self._check(request)
        body = await request.json()
        self.seen.append(("POST", request.match_info["kind"], body))
        if body["id"] in self.objects:
            return web.json_response({"error": {"code": 409}}, status=409)
        self.objects[body["id"]] = body
        return web.json_response(body)

    async def patch(self, request: web.Request) -> web.Response:
        self._check(request)
        body = await request.json()
        assert body["id"] == request.match_info["id"]
        self.seen.append(("PATCH", request.match_info["kind"], body))
        if body["id"] not in self.objects:
            return web.json_response({"error": {"code": 404}}, status=404)
        self.objects[body["id"]].update(body)
        return web.json_response(self.objects[body["id"]])

    async def add_message(self, request: web.Request) -> web.Response:
        self._check(request)
        body = await request.json()
        self.seen.append(("addMessage", request.match_info["kind"], body))
        found = self.objects.get(request.match_info["id"])
        if found is None:
            return web.json_response({"error": {"code": 404}}, status=404)
        found.setdefault("messages", []).append(body["message"])
        return web.json_response({"resource": found})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/walletobjects/v1/{kind}/{id}/addMessage", self.add_message)
        app.router.add_post("/walletobjects/v1/{kind}", self.insert)
        app.router.add_patch("/walletobjects/v1/{kind}/{id}", self.patch)
        return app


@pytest.fixture
async def google_api(aiohttp_client, aiohttp_server, settings):
    account = service_account()
    fake = FakeWalletApi(account.key.public_key())
    server = await aiohttp_server(fake.app())
    configured = settings.model_copy(update={
        "google_wallet_api_url": str(server.make_url("/")).rstrip("/"),
        "webhook_allow_private": True, "webhook_worker": True})  # it dispatches the outbox
    await quiet_outbox(settings.database_url)
    client = await aiohttp_client(create_app(configured))
    api = await make_api(client)
    await api.gql(SET_GOOGLE, {"input": {"issuerId": ISSUER, "serviceAccount": account.json()}})
    return api, fake, account


def decode_link(url: str, account) -> dict:
    assert url.startswith("https://pay.google.com/gp/v/save/")
    token = url.removeprefix("https://pay.google.com/gp/v/save/")
    return jwt.decode(token, account.key.public_key(), algorithms=["RS256"], audience="google")


async def test_save_link_is_a_signed_jwt_with_class_and_object(google_api):
    api, fake, account = google_api
    tpl = await api.gql(CREATE_TEMPLATE, {"input": {"name": "Festival", "kind": "EVENT_TICKET",
                                                    "barcodeFormat": "AZTEC"}})
    tpl_id = tpl["createTemplate"]["template"]["id"]
    p = (await api.gql(CREATE_PASS, {"input": {
        "templateId": tpl_id, "holderName": "Ada", "validUntil": "2030-01-01T00:00:00Z",
        "customFields": [{"key": "Seat", "value": "A12", "isPublic": True},
                         {"key": "Risk", "value": "high", "isPublic": False}]}}))
    p = p["createPass"]["pass"]
    wallet = (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]
    assert wallet["applePassUrl"] is None  # no Apple settings
    assert wallet["installUrl"] == p["publicUrl"] and wallet["devices"] == []
    url = wallet["googleSaveUrl"]
    assert len(url) <= 1800
    claims = decode_link(url, account)
    assert claims["iss"] == account.email and claims["typ"] == "savetowallet"
    assert claims["origins"] == ["http://passes.test"] and isinstance(claims["iat"], int)
    [klass] = claims["payload"]["eventTicketClasses"]
    [obj] = claims["payload"]["eventTicketObjects"]
    assert klass["id"].startswith(ISSUER + ".tpl_") and klass["eventName"]["defaultValue"][
        "value"] == "Festival"
    assert obj["classId"] == klass["id"] and obj["id"].startswith(ISSUER + ".pass_")
    assert obj["barcode"] == {"type": "AZTEC", "value": p["code"], "alternateText": p["code"]}
    assert obj["state"] == "ACTIVE" and obj["ticketHolderName"] == "Ada"
    assert obj["textModulesData"] == [{"id": "f0", "header": "Seat", "body": "A12"}]
    assert "high" not in orjson.dumps(claims).decode()
    assert fake.seen == []  # a link that fits needs no API call


async def test_a_large_pass_gets_a_skinny_link_after_the_api_took_class_and_object(google_api):
    api, fake, account = google_api
    fields = [{"key": f"Field {i}", "value": "x" * 200, "isPublic": True} for i in range(12)]
    p = (await api.gql(CREATE_PASS, {"input": {"name": "Big", "customFields": fields}}))
    p = p["createPass"]["pass"]
    url = (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]["googleSaveUrl"]
    assert len(url) <= 1800
    claims = decode_link(url, account)
    [obj] = claims["payload"]["genericObjects"]
    assert set(obj) == {"id", "classId"} and "genericClasses" not in claims["payload"]
    kinds = [(method, kind) for method, kind, _ in fake.seen]
    assert kinds == [("POST", "genericClass"), ("POST", "genericObject")]
    stored = fake.objects[obj["id"]]
    assert len(stored["textModulesData"]) == 12 and stored["barcode"]["value"] == p["code"]

    # Asked again: the class and object exist (409), so they are patched to the current pass.
    fake.seen.clear()
    await api.gql(WALLET, {"id": p["id"]})
    assert [(m, k) for m, k, _ in fake.seen] == [
        ("POST", "genericClass"), ("PATCH", "genericClass"),
        ("POST", "genericObject"), ("PATCH", "genericObject")]

    # A change of the pass patches its object after commit: suspended is INACTIVE.
    fake.seen.clear()
    await api.gql(f'mutation {{ suspendPass(input: {{id: "{p["id"]}"}}) {{ pass {{ id }} }} }}')
    await asyncio.wait_for(api.client.app[WALLET_PUSH].idle(), 10)
    assert [(m, k) for m, k, _ in fake.seen] == [("PATCH", "genericObject")]
    assert fake.objects[obj["id"]]["state"] == "INACTIVE"


async def test_no_google_settings_no_link(api):
    p = (await api.gql(CREATE_PASS, {"input": {"name": "Plain"}}))["createPass"]["pass"]
    wallet = (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]
    assert wallet["googleSaveUrl"] is None and wallet["applePassUrl"] is None


async def test_classes_and_objects_show_the_templates_own_logo(google_api):
    """The uploaded logo (sharpest scale, served publicly by passgate) replaces passgate's in
    the class (loyalty's programLogo) and the object (generic's logo); a new logo is a new
    URL, and a class Google already holds is patched to it after the commit."""
    from tests.test_wallet_apple import raw_id
    from tests.test_wallet_template_images import png, template, upload

    api, fake, account = google_api

    async def link_of(p: dict) -> dict:
        url = (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]["googleSaveUrl"]
        return decode_link(url, account)["payload"]

    tpl = await template(api)  # a membership: Google's loyalty vertical
    p = (await api.gql(CREATE_PASS, {"input": {"templateId": tpl}}))["createPass"]["pass"]
    [klass] = (await link_of(p))["loyaltyClasses"]
    assert klass["programLogo"]["sourceUri"]["uri"] == "http://passes.test/wallet/images/logo@2x.png"

    logo = png(320, 100, (9, 9, 9))
    for image, data, scale in (("ICON", png(38, 38), 1), ("LOGO", logo, 2)):
        status, body = await upload(api, tpl, image, data, scale)
        assert status == 200 and "errors" not in body, body
    [klass] = (await link_of(p))["loyaltyClasses"]
    uri = klass["programLogo"]["sourceUri"]["uri"]
    prefix = f"http://passes.test/wallet/templates/{raw_id({'id': tpl})}/logo@2x.png?v="
    assert uri.startswith(prefix)
    served = await api.client.get(uri.removeprefix("http://passes.test"))  # anonymous
    assert served.status == 200 and served.content_type == "image/png"
    assert await served.read() == logo

    generic = await template(api, kind="GENERIC", name="Badge")
    for image, data, scale in (("ICON", png(38, 38), 1), ("LOGO", png(160, 50), 1)):
        status, body = await upload(api, generic, image, data, scale)
        assert status == 200 and "errors" not in body, body
    badge = (await api.gql(CREATE_PASS, {"input": {"templateId": generic}}))["createPass"]
    [obj] = (await link_of(badge["pass"]))["genericObjects"]
    assert f"/wallet/templates/{raw_id({'id': generic})}/logo.png?v=" in obj["logo"][
        "sourceUri"]["uri"]

    # A large pass makes passgate insert the class; a sharper logo later patches it there.
    fields = [{"key": f"Field {i}", "value": "x" * 200, "isPublic": True} for i in range(12)]
    big = (await api.gql(CREATE_PASS, {"input": {"templateId": tpl, "customFields": fields}}))
    await link_of(big["createPass"]["pass"])
    assert fake.objects[klass["id"]]["programLogo"]["sourceUri"]["uri"] == uri
    fake.seen.clear()
    status, body = await upload(api, tpl, "LOGO", png(480, 150, (1, 1, 1)), 3)
    assert status == 200 and "errors" not in body, body
    await asyncio.wait_for(api.client.app[WALLET_PUSH].idle(), 10)
    patched = fake.objects[klass["id"]]["programLogo"]["sourceUri"]["uri"]
    assert "/logo@3x.png?v=" in patched
    assert ("PATCH", "loyaltyClass") in [(m, k) for m, k, _ in fake.seen]
