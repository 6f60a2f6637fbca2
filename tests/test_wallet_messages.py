"""PassQR's messages to installed passes: POST /api/v1/passes/{id}/messages (and /push)
reaches an iPhone as a push (the pass carries the text in a changeMessage field) and Google
Wallet as addMessage, through the outbox, seen by a local HTTP/2 APNs and a local fake of
the Wallet REST API."""

import asyncio

import pytest

from gateway.app import create_app
from gateway.wallet_push import WALLET_PUSH
from tests.conftest import make_api, quiet_outbox
from tests.test_wallet_apple import raw_id
from tests.test_wallet_google import ISSUER, SET_GOOGLE, FakeWalletApi
from tests.test_wallet_passkit import installed_pass, pass_json
from tests.test_wallet_push import apns, apns_settings  # noqa: F401 (fixture)
from tests.wallet_certs import service_account


@pytest.fixture
async def wallets(aiohttp_client, aiohttp_server, settings, apns):  # noqa: F811
    fake_apns, extra = apns
    account = service_account()
    google = FakeWalletApi(account.key.public_key())
    server = await aiohttp_server(google.app())
    await quiet_outbox(settings.database_url)
    configured = apns_settings(settings, fake_apns, extra, google_wallet_api_url=str(
        server.make_url("/")).rstrip("/"))
    client = await aiohttp_client(create_app(configured))
    api = await make_api(client)
    await api.gql(SET_GOOGLE, {"input": {"issuerId": ISSUER, "serviceAccount": account.json()}})
    yield api, fake_apns, google
    await client.close()


async def test_a_message_reaches_apple_and_google_wallets(wallets):
    api, fake_apns, google = wallets
    p, device = await installed_pass(api)
    assert (await device.register(push_token="aa" * 32)).status == 201
    object_id = f"{ISSUER}.{raw_id(p)}"
    google.objects[object_id] = {"id": object_id}  # the holder saved it to Google Wallet

    sent = await api.rest("POST", f"/api/v1/passes/{raw_id(p)}/messages",
                          {"title": "Gate change", "message": "Doors open at 19:30, gate B"})
    assert sent.status == 201, sent.body
    data = sent.body["data"]
    assert data["title"] == "Gate change" and data["sent_at"].endswith("Z")
    await asyncio.wait_for(api.client.app[WALLET_PUSH].idle(api.tenant_id), 20)

    assert [s["path"] for s in fake_apns.seen] == [f"/3/device/{'aa' * 32}"]
    fresh = pass_json(await (await device.latest()).read())
    back = {f["key"]: f for f in fresh["generic"]["backFields"]}
    assert back["passgate.message"] == {"key": "passgate.message", "label": "Gate change",
                                        "value": "Doors open at 19:30, gate B",
                                        "changeMessage": "%@"}
    added = [body for kind, _, body in google.seen if kind == "addMessage"]
    assert len(added) == 1
    message = added[0]["message"]
    assert message["header"] == "Gate change" and message["messageType"] == "TEXT_AND_NOTIFY"
    assert message["body"] == "Doors open at 19:30, gate B"

    # /push is the same; an ordinary change afterwards adds no message again.
    again = await api.rest("POST", f"/api/v1/passes/{raw_id(p)}/push",
                           {"title": "Reminder", "message": "Bring your ID"})
    assert again.status == 201
    await asyncio.wait_for(api.client.app[WALLET_PUSH].idle(api.tenant_id), 20)
    await api.gql('mutation($i: UpdatePassInput!) { updatePass(input: $i) { pass { id } } }',
                  {"i": {"id": p["id"], "holderName": "Grace"}})
    await asyncio.wait_for(api.client.app[WALLET_PUSH].idle(api.tenant_id), 20)
    assert [b["message"]["body"] for k, _, b in google.seen if k == "addMessage"] == [
        "Doors open at 19:30, gate B", "Bring your ID"]
    assert len(fake_apns.seen) == 3


async def test_bad_messages_are_refused(api):
    from tests.fragments import CREATE_PASS

    p = (await api.gql(CREATE_PASS, {"input": {"name": "M"}}))["createPass"]["pass"]
    path = f"/api/v1/passes/{raw_id(p)}/messages"
    missing = await api.rest("POST", path, {"title": "Hi"})
    assert missing.status == 400 and missing.body["field"] == "message"
    long = await api.rest("POST", path, {"title": "Hi", "message": "x" * 501})
    assert long.status == 400 and long.body["field"] == "message"
    blank = await api.rest("POST", path, {"title": "  ", "message": "x"})
    assert blank.status == 400 and blank.body["field"] == "title"
    unknown = await api.rest("POST", "/api/v1/passes/pass_00000000000000000000000000/messages",
                             {"title": "Hi", "message": "x"})
    assert unknown.status == 404
    await api.gql(f'mutation {{ deletePass(input: {{id: "{p["id"]}"}}) {{ pass {{ id }} }} }}')
    gone = await api.rest("POST", path, {"title": "Hi", "message": "x"})
    assert gone.status == 409, gone.body
    reader = await api.new_key("passes:read")
    refused = await api.rest("POST", path, {"title": "Hi", "message": "x"}, key=reader)
    assert refused.status == 403
