"""Instance-wide wallet identities (PASSGATE_APPLE_*, PASSGATE_GOOGLE_*): a tenant without its
own settings gets a signed .pkpass, a working PassKit web service, APNs pushes and a Google save
link from them; a tenant's own settings win; a bad default stops the process naming the
setting."""

import asyncio

import jwt
import orjson
import pytest
from pydantic import SecretStr, ValidationError

from gateway.app import create_app
from gateway.settings import Settings
from gateway.wallet_defaults import WalletDefaultsError, instance_defaults
from gateway.wallet_push import WALLET_PUSH
from tests.conftest import make_api, quiet_outbox
from tests.fragments import CREATE_PASS
from tests.servers import run_cli
from tests.test_wallet_apple import download, verify
from tests.test_wallet_google import SET_GOOGLE, FakeWalletApi, decode_link
from tests.test_wallet_passkit import UPDATE, Device, pass_json
from tests.test_wallet_push import apns_settings, fake_apns_server
from tests.wallet_certs import apple_chain, configure_apple, pem, service_account, shared_chain

ISSUER = "3388000000099999999"
OWN_ISSUER = "3388000000011111111"
WALLET = """query($id: ID!) { node(id: $id) { ... on Pass { code wallet {
  applePassUrl googleSaveUrl } } } }"""
SETTINGS = "{ walletSettings { apple { passTypeId } google { issuerId } } }"


def default_wallets(settings: Settings, tmp_path, **more):
    """The test settings with both instance defaults: the certificate, WWDR and service
    account as files, the key as PEM text (both forms are accepted)."""
    chain, account = shared_chain(), service_account()
    files = chain.write(tmp_path)
    account_file = tmp_path / "service-account.json"
    account_file.write_text(account.json())
    configured = settings.model_copy(update={
        "apple_pass_type_id": chain.pass_type_id, "apple_team_id": chain.team_id,
        "apple_organization": "Instance Events", "apple_certificate": str(files["cert"]),
        "apple_key": SecretStr(pem(chain.key)), "apple_wwdr": str(files["wwdr"]),
        "google_issuer_id": ISSUER, "google_service_account_file": account_file, **more})
    return configured, chain, account


async def new_pass(api) -> dict:
    created = await api.gql(CREATE_PASS, {"input": {"name": "Gala", "holderName": "Ada"}})
    return created["createPass"]["pass"]


async def test_a_tenant_without_settings_signs_with_the_instance_defaults(
        aiohttp_client, settings, tmp_path):
    configured, chain, account = default_wallets(settings, tmp_path)
    client = await aiohttp_client(create_app(configured))
    api = await make_api(client)
    # The tenant has none of its own (and its settings say so); the instance's are used.
    assert (await api.gql(SETTINGS))["walletSettings"] == {"apple": None, "google": None}
    p = await new_pass(api)
    wallet = (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]
    assert wallet["applePassUrl"].startswith(f"http://passes.test/p/{p['code']}/pass.pkpass")

    files, resp = await download(api, p)
    data = orjson.loads(files["pass.json"])
    assert data["passTypeIdentifier"] == chain.pass_type_id
    assert data["teamIdentifier"] == chain.team_id
    assert data["organizationName"] == "Instance Events"
    checked = verify(tmp_path, files["signature"], files["manifest.json"], pem(chain.root))
    assert checked.returncode == 0, checked.stderr

    claims = decode_link(wallet["googleSaveUrl"], account)
    assert claims["iss"] == account.email
    [obj] = claims["payload"]["genericObjects"]
    assert obj["id"].startswith(ISSUER + ".pass_") and obj["barcode"]["value"] == p["code"]

    # The install link picks the wallet by device, as for a tenant's own settings.
    token = p["publicUrl"].split("token=")[1]
    resp = await client.get(f"/p/{p['code']}/install", allow_redirects=False,
                            params={"platform": "auto", "token": token},
                            headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"})
    assert resp.status == 302 and "/pass.pkpass?token=" in resp.headers["Location"]


async def test_a_tenants_own_settings_win(aiohttp_client, settings, tmp_path):
    configured, chain, default_account = default_wallets(settings, tmp_path)
    client = await aiohttp_client(create_app(configured))
    api = await make_api(client)
    own_chain = apple_chain(pass_type_id="pass.test.own.tickets", team_id="OWNTEAM123")
    await configure_apple(api, own_chain)
    own_account = service_account("own@tenant-test.iam.gserviceaccount.com")
    await api.gql(SET_GOOGLE, {"input": {"issuerId": OWN_ISSUER,
                                         "serviceAccount": own_account.json()}})
    p = await new_pass(api)
    files, _ = await download(api, p)
    assert orjson.loads(files["pass.json"])["passTypeIdentifier"] == "pass.test.own.tickets"
    checked = verify(tmp_path, files["signature"], files["manifest.json"], pem(own_chain.root))
    assert checked.returncode == 0, checked.stderr
    url = (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]["googleSaveUrl"]
    with pytest.raises(jwt.InvalidSignatureError):
        decode_link(url, default_account)
    claims = decode_link(url, own_account)
    assert claims["payload"]["genericObjects"][0]["id"].startswith(OWN_ISSUER + ".")

    # Per wallet: clearing its own Apple settings falls back to the instance's Apple.
    await api.gql('mutation { clearWalletSettings(input: {platform: APPLE}) '
                  '{ settings { apple { passTypeId } } } }')
    files, _ = await download(api, p)
    assert orjson.loads(files["pass.json"])["passTypeIdentifier"] == chain.pass_type_id
    url = (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]["googleSaveUrl"]
    assert decode_link(url, own_account)["iss"] == own_account.email


@pytest.fixture
async def apns(tmp_path):
    async with fake_apns_server(tmp_path, client_certificate=True) as served:
        yield served


async def test_devices_register_and_get_pushes_under_the_instance_identity(
        aiohttp_client, aiohttp_server, settings, tmp_path, apns):
    fake, extra = apns
    configured, chain, account = default_wallets(settings, tmp_path)
    google = await aiohttp_server(FakeWalletApi(account.key.public_key()).app())
    await quiet_outbox(settings.database_url)
    client = await aiohttp_client(create_app(apns_settings(
        configured, fake, extra,
        google_wallet_api_url=str(google.make_url("/")).rstrip("/"))))
    try:
        api = await make_api(client)
        p = await new_pass(api)
        token = p["publicUrl"].split("token=")[1]
        resp = await client.get(f"/p/{p['code']}/pass.pkpass?token={token}")
        device = Device(client, pass_json(await resp.read()))
        assert device.type_id == chain.pass_type_id
        assert (await device.register(push_token="ee" * 32)).status == 201
        assert (await device.latest()).status == 200

        await api.gql(UPDATE, {"i": {"id": p["id"], "holderName": "Grace"}})
        await asyncio.wait_for(client.app[WALLET_PUSH].idle(api.tenant_id), 15)
        [seen] = [s for s in fake.seen if s["path"] == f"/3/device/{'ee' * 32}"]
        assert seen["headers"]["apns-topic"] == chain.pass_type_id
        assert (await device.updated()).status == 200
    finally:
        await client.close()


def test_an_incomplete_or_unusable_default_is_refused_naming_the_setting(settings, tmp_path):
    with pytest.raises(ValidationError, match="PASSGATE_APPLE_WWDR"):
        Settings(apple_pass_type_id="pass.x", apple_team_id="T", apple_certificate="x.pem")
    with pytest.raises(ValidationError, match="PASSGATE_GOOGLE_SERVICE_ACCOUNT_FILE"):
        Settings(google_issuer_id=ISSUER)
    configured, _, _ = default_wallets(settings, tmp_path)
    with pytest.raises(WalletDefaultsError, match="PASSGATE_APPLE_CERTIFICATE: cannot read"):
        instance_defaults(configured.model_copy(update={
            "apple_certificate": str(tmp_path / "missing.pem")}), b"s" * 32)
    other = apple_chain(pass_type_id="pass.test.other")
    with pytest.raises(WalletDefaultsError, match="does not belong to the certificate"):
        instance_defaults(configured.model_copy(update={"apple_key": SecretStr(pem(other.key))}),
                          b"s" * 32)
    with pytest.raises(WalletDefaultsError, match="issuerId must be the number"):
        instance_defaults(configured.model_copy(update={"google_issuer_id": "abc"}),
                          b"s" * 32)


def test_serve_stops_with_a_message_naming_the_bad_setting(db_url, tmp_path):
    key = pem(shared_chain().key)
    proc = run_cli(db_url, "serve", "--port", "1", check=False,
                   PASSGATE_APPLE_PASS_TYPE_ID="pass.x", PASSGATE_APPLE_TEAM_ID="T",
                   PASSGATE_APPLE_CERTIFICATE=str(tmp_path / "nowhere.pem"),
                   PASSGATE_APPLE_KEY=key, PASSGATE_APPLE_WWDR=str(tmp_path / "wwdr.pem"))
    assert proc.returncode != 0
    assert "PASSGATE_APPLE_CERTIFICATE: cannot read" in proc.stderr
    assert "PRIVATE KEY" not in proc.stderr + proc.stdout  # the key is never echoed
