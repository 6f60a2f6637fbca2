"""Wallet identities per tenant through GraphQL and the CLI: checked when set, keys sealed at
rest and never shown again."""

import base64
import json
import logging

from cryptography.hazmat.primitives.serialization import Encoding

from resolvers import secretbox
from resolvers.wallet.settings import APPLE_KEY_PURPOSE, GOOGLE_KEY_PURPOSE
from tests.conftest import SECRET
from tests.servers import run_cli
from tests.wallet_certs import apple_chain, pem, service_account

SETTINGS = """{ walletSettings {
  apple { passTypeId teamId organizationName certificateSubject certificateExpiresAt wwdrSubject }
  google { issuerId serviceAccountEmail } } }"""
SET_APPLE = """mutation($input: SetAppleWalletInput!) { setAppleWallet(input: $input) {
  settings { apple { passTypeId teamId organizationName certificateSubject wwdrSubject } } } }"""
SET_GOOGLE = """mutation($input: SetGoogleWalletInput!) { setGoogleWallet(input: $input) {
  settings { google { issuerId serviceAccountEmail } } } }"""
CLEAR = """mutation($p: WalletPlatform!) { clearWalletSettings(input: {platform: $p}) {
  settings { apple { passTypeId } google { issuerId } } } }"""


def apple_input(chain, **over):
    base = {"passTypeId": chain.pass_type_id, "teamId": chain.team_id,
            "certificate": pem(chain.cert), "privateKey": pem(chain.key),
            "wwdrCertificate": pem(chain.wwdr)}
    return {**base, **over}


async def stored(api):
    async with api.db.read() as conn:
        return (await conn.exec_driver_sql(
            "SELECT * FROM wallet_settings WHERE tenant_id = "
            f"'{api.tenant_id}'")).mappings().one()


async def test_apple_settings_are_checked_stored_sealed_and_never_shown(api, caplog):
    caplog.set_level(logging.DEBUG)
    assert (await api.gql(SETTINGS))["walletSettings"] == {"apple": None, "google": None}
    chain = apple_chain()
    key_pem = pem(chain.key)
    got = (await api.gql(SET_APPLE, {"input": apple_input(chain)}))["setAppleWallet"]
    apple = got["settings"]["apple"]
    assert apple["passTypeId"] == chain.pass_type_id and apple["teamId"] == chain.team_id
    assert apple["organizationName"] == "Example Events Ltd"  # the certificate's O
    assert "Pass Type ID: pass.test.passgate.tickets" in apple["certificateSubject"]
    assert "WWDR" in apple["wwdrSubject"]

    row = await stored(api)
    assert "PRIVATE KEY" not in row["apple_key_ciphertext"]
    assert secretbox.unseal(SECRET.encode(), APPLE_KEY_PURPOSE,
                            row["apple_key_ciphertext"]) == key_pem
    assert key_pem.splitlines()[1] not in caplog.text

    shown = await api.post(SETTINGS)
    assert "PRIVATE" not in json.dumps(shown)
    assert shown[1]["data"]["walletSettings"]["apple"]["certificateExpiresAt"]


async def test_apple_settings_from_pkcs12_with_password_and_der_wwdr(api):
    chain = apple_chain()
    p12 = base64.b64encode(chain.pkcs12("s3cret")).decode()
    der = base64.b64encode(chain.wwdr.public_bytes(Encoding.DER)).decode()
    got = await api.gql(SET_APPLE, {"input": {
        "passTypeId": chain.pass_type_id, "teamId": chain.team_id, "pkcs12": p12,
        "keyPassword": "s3cret", "wwdrCertificate": der, "organizationName": "Acme"}})
    assert got["setAppleWallet"]["settings"]["apple"]["organizationName"] == "Acme"

    error = await api.error(SET_APPLE, {"input": {
        "passTypeId": chain.pass_type_id, "teamId": chain.team_id, "pkcs12": p12,
        "keyPassword": "wrong", "wwdrCertificate": der}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "certificate"}
    assert "password" in error["message"]


async def test_mismatched_apple_material_is_refused_naming_what(api):
    chain, other = apple_chain(), apple_chain()
    cases = [
        (apple_input(chain, wwdrCertificate=pem(other.wwdr)), "wwdrCertificate", "G4"),
        (apple_input(chain, privateKey=pem(other.key)), "privateKey", "does not belong"),
        (apple_input(chain, passTypeId="pass.other.id"), "passTypeId", "pass.other.id"),
        (apple_input(chain, teamId="ZZZZZ99999"), "teamId", "ZZZZZ99999"),
        (apple_input(chain, certificate="not a cert"), "certificate", "PEM or DER"),
        (apple_input(chain, certificate="-----BEGIN CERTIFICATE-----\nAAAA\n"
                                        "-----END CERTIFICATE-----\n"), "certificate", "PEM"),
        (apple_input(chain, privateKey=pem(chain.key, password="pw")), "privateKey",
         "password"),
        (apple_input(chain, certificate=None, privateKey=None), "certificate", "required"),
    ]
    for variables, field, words in cases:
        error = await api.error(SET_APPLE, {"input": variables})
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, (field, error)
        assert words in error["message"], error
    assert (await api.gql(SETTINGS))["walletSettings"]["apple"] is None  # nothing half-written

    # The encrypted key works with its password.
    ok = await api.gql(SET_APPLE, {"input": apple_input(
        chain, privateKey=pem(chain.key, password="pw"), keyPassword="pw")})
    assert ok["setAppleWallet"]["settings"]["apple"]["passTypeId"] == chain.pass_type_id


async def test_google_settings_and_clearing(api):
    account = service_account()
    got = await api.gql(SET_GOOGLE, {"input": {"issuerId": "3388000000012345678",
                                               "serviceAccount": account.json()}})
    assert got["setGoogleWallet"]["settings"]["google"] == {
        "issuerId": "3388000000012345678", "serviceAccountEmail": account.email}
    row = await stored(api)
    assert "PRIVATE KEY" not in row["google_key_ciphertext"]
    assert secretbox.unseal(SECRET.encode(), GOOGLE_KEY_PURPOSE, row["google_key_ciphertext"]
                            ) == pem(account.key)

    for variables, words in (
        ({"issuerId": "issuer", "serviceAccount": account.json()}, "issuerId"),
        ({"issuerId": "1", "serviceAccount": "{"}, "not JSON"),
        ({"issuerId": "1", "serviceAccount": '{"client_email": "a@b.co"}'}, "private_key"),
    ):
        error = await api.error(SET_GOOGLE, {"input": variables})
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and words in error["message"]

    cleared = await api.gql(CLEAR, {"p": "GOOGLE"})
    assert cleared["clearWalletSettings"]["settings"] == {"apple": None, "google": None}
    assert (await stored(api))["google_key_ciphertext"] is None


async def test_wallet_settings_need_admin_and_stay_in_their_tenant(api):
    limited = await api.new_key("passes:read passes:write templates:*")
    for doc, variables in ((SETTINGS, None), (CLEAR, {"p": "APPLE"})):
        error = await api.error(doc, variables, key=limited)
        assert error["extensions"]["code"] == "FORBIDDEN"
    await api.gql(SET_APPLE, {"input": apple_input(apple_chain())})
    other = await api.other_tenant()
    assert (await other.gql(SETTINGS))["walletSettings"]["apple"] is None


def test_cli_sets_apple_and_google_without_printing_keys(db_url, tmp_path):
    tenant = json.loads(run_cli(db_url, "tenants", "create", "wallet-cli", "--json").stdout)
    chain = apple_chain()
    files = chain.write(tmp_path)
    out = run_cli(db_url, "wallet", "apple", "--tenant", "wallet-cli",
                  "--pass-type-id", chain.pass_type_id, "--team-id", chain.team_id,
                  "--cert", str(files["cert"]), "--key", str(files["key"]),
                  "--wwdr", str(files["wwdr"]), "--organization", "CLI Org").stdout
    shown = json.loads(out)
    assert shown["apple"]["pass_type_id"] == chain.pass_type_id
    assert shown["apple"]["organization"] == "CLI Org" and "PRIVATE" not in out

    (tmp_path / "other").mkdir()
    wrong = apple_chain().write(tmp_path / "other")
    bad = run_cli(db_url, "wallet", "apple", "--tenant", tenant["id"],
                  "--pass-type-id", chain.pass_type_id, "--team-id", chain.team_id,
                  "--cert", str(files["cert"]), "--key", str(files["key"]),
                  "--wwdr", str(wrong["wwdr"]),
                  check=False)
    assert bad.returncode != 0 and "WWDR" in bad.stderr and "G4" in bad.stderr

    account = service_account()
    sa = tmp_path / "sa.json"
    sa.write_text(account.json())
    out = run_cli(db_url, "wallet", "google", "--tenant", tenant["id"], "--issuer-id", "42",
                  "--service-account", str(sa)).stdout
    assert json.loads(out)["google"] == {"issuer_id": "42", "service_account_email": account.email}
    shown = run_cli(db_url, "wallet", "show", "--tenant", tenant["id"]).stdout
    assert "PRIVATE" not in shown and json.loads(shown)["apple"]["team_id"] == chain.team_id


def test_cli_sets_the_apns_key_after_the_apple_identity(db_url, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    tenant = json.loads(run_cli(db_url, "tenants", "create", "apns-cli", "--json").stdout)
    p8 = tmp_path / "AuthKey_ABC123DEFG.p8"
    p8.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    early = run_cli(db_url, "wallet", "apns-key", "--tenant", tenant["id"], "--key-id",
                    "ABC123DEFG", "--p8", str(p8), check=False)
    assert early.returncode != 0 and "before its APNs key" in early.stderr
    chain = apple_chain()
    files = chain.write(tmp_path)
    run_cli(db_url, "wallet", "apple", "--tenant", tenant["id"], "--pass-type-id",
            chain.pass_type_id, "--team-id", chain.team_id, "--cert", str(files["cert"]),
            "--key", str(files["key"]), "--wwdr", str(files["wwdr"]))
    out = run_cli(db_url, "wallet", "apns-key", "--tenant", tenant["id"], "--key-id",
                  "ABC123DEFG", "--p8", str(p8)).stdout
    assert json.loads(out)["apple"]["apns_key_id"] == "ABC123DEFG" and "PRIVATE" not in out
