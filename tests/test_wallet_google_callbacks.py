"""Google Wallet's save and delete callbacks, as Google sends them: ECv2SigningOnly messages
signed by an intermediate key that a root key vouches for, the root keys served by a local
fake of Google's keys URL. The signing here is written from Google's protocol description
(Tink's PaymentMethodTokenRecipient), independently of passgate's verifier."""

import base64
import secrets
import struct
import time

import jwt
import orjson
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.app import create_app
from gateway.google_callbacks import GOOGLE_KEYS
from tests.conftest import make_api
from tests.fragments import CREATE_PASS
from tests.test_events import events
from tests.test_wallet_apple import raw_id
from tests.test_wallet_google import SET_GOOGLE
from tests.wallet_certs import service_account

ISSUER = "3388000000022222222"
PROTOCOL = "ECv2SigningOnly"
SENDER = "GooglePayPasses"
WALLET = """query($id: ID!) { node(id: $id) { ... on Pass { wallet {
  googleSaveUrl devices { platform registeredAt } } } } }"""


def _lv(*chunks: str) -> bytes:
    return b"".join(struct.pack("<I", len(c.encode())) + c.encode() for c in chunks)


def _spki(key: ec.EllipticCurvePrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()


def _sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def _millis(seconds_from_now: float) -> str:
    return str(int((time.time() + seconds_from_now) * 1000))


class FakeGoogle:
    """Google's side: root keys at a keys URL, an intermediate key, signed callbacks."""

    def __init__(self) -> None:
        self.root = ec.generate_private_key(ec.SECP256R1())
        self.intermediate = ec.generate_private_key(ec.SECP256R1())
        self.fetches = 0

    def keys_document(self) -> bytes:
        return orjson.dumps({"keys": [
            {"keyValue": _spki(ec.generate_private_key(ec.SECP256R1())),  # expired: unused
             "protocolVersion": PROTOCOL, "keyExpiration": _millis(-60)},
            {"keyValue": _spki(self.root), "protocolVersion": PROTOCOL,
             "keyExpiration": _millis(86400)}]})

    async def keys(self, request: web.Request) -> web.Response:
        self.fetches += 1
        return web.Response(body=self.keys_document(), content_type="application/json",
                            headers={"Cache-Control": "public, max-age=3600"})

    def callback(self, object_id: str, event: str = "save", *, recipient: str = ISSUER,
                 nonce: str | None = None, expires_in: float = 3600,
                 key_expires_in: float = 86400, sender: str = SENDER) -> bytes:
        signed_key = orjson.dumps({"keyValue": _spki(self.intermediate),
                                   "keyExpiration": _millis(key_expires_in)}).decode()
        message = orjson.dumps({
            "classId": object_id.split(".")[0] + ".tpl", "objectId": object_id,
            "expTimeMillis": int(_millis(expires_in)), "eventType": event,
            "nonce": nonce or secrets.token_hex(8)}).decode()
        return orjson.dumps({
            "signature": _sign(self.intermediate, _lv(sender, recipient, PROTOCOL, message)),
            "intermediateSigningKey": {
                "signedKey": signed_key,
                "signatures": [_sign(self.root, _lv(sender, PROTOCOL, signed_key))]},
            "protocolVersion": PROTOCOL,
            "signedMessage": message})


@pytest.fixture
async def google(aiohttp_client, aiohttp_server, settings):
    fake = FakeGoogle()
    keys_app = web.Application()
    keys_app.router.add_get("/gp/m/issuer/keys", fake.keys)
    server = await aiohttp_server(keys_app)
    configured = settings.model_copy(update={
        "google_wallet_keys_url": str(server.make_url("/gp/m/issuer/keys")),
        "webhook_allow_private": True})
    client = await aiohttp_client(create_app(configured))
    api = await make_api(client)
    await api.gql(SET_GOOGLE, {"input": {"issuerId": ISSUER,
                                         "serviceAccount": service_account().json()}})
    return api, fake


async def new_pass(api) -> tuple[dict, str]:
    p = (await api.gql(CREATE_PASS, {"input": {"name": "Gala"}}))["createPass"]["pass"]
    return p, f"{ISSUER}.{raw_id(p)}"


async def post(api, body: bytes, path: str = "/wallet/google/callbacks"):
    return await api.client.post(path, data=body, headers={"Content-Type": "application/json"})


async def devices(api, p) -> list[dict]:
    return (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]["devices"]


async def test_a_save_installs_the_pass_and_a_delete_removes_it(google):
    api, fake = google
    p, object_id = await new_pass(api)
    # Classes tell Google where to report saves and deletes.
    link = (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]["googleSaveUrl"]
    token = link.removeprefix("https://pay.google.com/gp/v/save/")
    claims = jwt.decode(token, options={"verify_signature": False})
    [klass] = claims["payload"]["genericClasses"]
    assert klass["callbackOptions"] == {"url": "http://passes.test/wallet/google/callbacks"}

    save = fake.callback(object_id, "save")
    resp = await post(api, save)
    assert resp.status == 200, await resp.text()
    [device] = await devices(api, p)
    assert device["platform"] == "google"
    wc = await (await api.client.get(f"/api/{api.tenant_id}/passes/{raw_id(p)}",
                                     headers={"X-API-KEY": api.key})).json()
    assert wc["providers"] == {"google": device["registeredAt"].replace("+00:00", "Z")}
    [installed] = await events(api, types=["pass.installed"])
    assert installed["data"]["installation"]["platform"] == "google"

    assert (await post(api, save)).status == 204  # Google delivered it again: nothing new
    assert len(await events(api, types=["pass.installed"])) == 1
    assert fake.fetches == 1  # the keys are kept

    assert (await post(api, fake.callback(object_id, "del"))).status == 200
    assert await devices(api, p) == []
    [uninstalled] = await events(api, types=["pass.uninstalled"])
    assert uninstalled["data"]["installation"]["platform"] == "google"
    installed_filter = await api.client.get(
        f"/api/{api.tenant_id}/passes", headers={"X-API-KEY": api.key}, params={
            "filter[0].field": "installationStatus", "filter[0].operator": "equals",
            "filter[0].value": "installed"})
    assert await installed_filter.json() == []


async def test_the_wallet_crew_path_takes_callbacks_of_its_tenant_only(google):
    api, fake = google
    p, object_id = await new_pass(api)
    path = f"/api/{api.tenant_id}/passes/google"
    resp = await post(api, fake.callback(object_id, sender="GoogleWalletPasses"), path)
    assert resp.status == 200, await resp.text()  # no API key: Google's signature is it
    assert [d["platform"] for d in await devices(api, p)] == ["google"]

    other = await api.other_tenant()
    resp = await post(api, fake.callback(object_id), f"/api/{other.tenant_id}/passes/google")
    assert resp.status == 404
    assert resp.content_type == "application/problem+json"


async def test_forged_expired_and_malformed_callbacks_change_nothing(google):
    api, fake = google
    p, object_id = await new_pass(api)

    good = orjson.loads(fake.callback(object_id))
    tampered = dict(good, signedMessage=good["signedMessage"].replace('"save"', '"del"'))
    stranger = FakeGoogle()  # a key Google never vouched for
    cases = {
        "tampered": orjson.dumps(tampered),
        "other issuer": fake.callback(object_id, recipient="3388000000099999999"),
        "unknown root": stranger.callback(object_id),
        "expired message": fake.callback(object_id, expires_in=-5),
        "expired key": fake.callback(object_id, key_expires_in=-5),
        "unknown sender": fake.callback(object_id, sender="SomebodyElse"),
    }
    for name, body in cases.items():
        resp = await post(api, body)
        assert resp.status == 401, (name, await resp.text())
        assert "message" in await resp.json()
    assert await devices(api, p) == []

    assert (await post(api, b"not json")).status == 400
    assert (await post(api, orjson.dumps({**good, "extra": 1}))).status == 400
    other_object = fake.callback(f"{ISSUER}.pass_00000000000000000000000000")
    assert (await post(api, other_object)).status == 404
    wrong_issuer = fake.callback(f"1234.{raw_id(p)}")
    assert (await post(api, wrong_issuer)).status == 404
    assert await devices(api, p) == []


async def test_rotated_google_keys_are_fetched_again(google):
    api, fake = google
    _, object_id = await new_pass(api)
    assert (await post(api, fake.callback(object_id, "del"))).status == 200  # keys fetched
    fake.root = ec.generate_private_key(ec.SECP256R1())  # Google rotates its root key
    api.client.app[GOOGLE_KEYS].REFETCH_AFTER = 0  # (normally at most once a minute)
    resp = await post(api, fake.callback(object_id))
    assert resp.status == 200, await resp.text()
    assert fake.fetches == 2
