"""Apple Wallet passes: a real, signed .pkpass at the holder's token-signed link, checked
with zipfile, SHA-1 and the openssl command line against a throwaway CA."""

import base64
import hashlib
import io
import shutil
import subprocess
import zipfile

import orjson
import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.fragments import CREATE_PASS, CREATE_TEMPLATE
from tests.wallet_certs import configure_apple, pem

BASE = "http://passes.test"


def openssl() -> str:
    found = shutil.which("openssl")
    if found is None:
        if REQUIRE_SERVICES:
            pytest.fail("the openssl binary is needed to verify .pkpass signatures",
                        pytrace=False)
        pytest.skip("openssl binary not found: signature verification skipped")
    return found


def verify(tmp_path, signature: bytes, manifest: bytes, root_pem: str
           ) -> subprocess.CompletedProcess[str]:
    (tmp_path / "signature").write_bytes(signature)
    (tmp_path / "manifest.json").write_bytes(manifest)
    (tmp_path / "root.pem").write_text(root_pem)
    return subprocess.run(
        [openssl(), "smime", "-verify", "-binary", "-inform", "DER",
         "-in", str(tmp_path / "signature"), "-content", str(tmp_path / "manifest.json"),
         "-CAfile", str(tmp_path / "root.pem"), "-purpose", "any", "-out", "/dev/null"],
        capture_output=True, text=True, timeout=30)


def raw_id(p) -> str:
    """The pass's own id (pass_…) behind its Relay global id."""
    return base64.b64decode(p["id"]).decode().split(":", 1)[1]


def cms_print(path) -> str:
    return subprocess.run([openssl(), "cms", "-cmsout", "-print", "-inform", "DER",
                           "-in", str(path)], capture_output=True, text=True, timeout=30).stdout


async def make_pass(api, **extra):
    created = await api.gql(CREATE_PASS, {"input": {
        "name": "Summer Festival", "holderName": "Ada Lovelace", "note": "VIP, owes us",
        "validUntil": "2030-06-01T18:00:00Z",
        "customFields": [{"key": "Seat", "value": "A12", "isPublic": True},
                         {"key": "Risk", "value": "high", "isPublic": False}], **extra}})
    return created["createPass"]["pass"]


def pkpass_path(p) -> str:
    code, token = p["code"], p["publicUrl"].split("token=")[1]
    return f"/p/{code}/pass.pkpass?token={token}"


async def download(api, p) -> tuple[dict[str, bytes], object]:
    resp = await api.client.get(pkpass_path(p))
    assert resp.status == 200, await resp.text()
    blob = await resp.read()
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}, resp


async def test_pkpass_is_signed_complete_and_verifies_with_openssl(api, tmp_path):
    chain = await configure_apple(api)
    template = (await api.gql(CREATE_TEMPLATE, {"input": {
        "name": "Festival", "kind": "EVENT_TICKET", "barcodeFormat": "PDF417",
        "fieldLayout": {"primary": [{"key": "Seat", "label": "SEAT",
                                     "changeMessage": "Your seat is now %@"}],
                        "secondary": [{"key": "holderName", "label": "NAME"}]}}}))
    tpl_id = template["createTemplate"]["template"]["id"]
    p = await make_pass(api, templateId=tpl_id, validFrom="2030-06-01T10:00:00Z")
    files, resp = await download(api, p)
    assert resp.headers["Content-Type"] == "application/vnd.apple.pkpass"
    disposition = f'attachment; filename="{p["code"].lower()}.pkpass"'
    assert resp.headers["Content-Disposition"] == disposition
    assert resp.headers["Last-Modified"].endswith("GMT")
    assert {"pass.json", "manifest.json", "signature", "icon.png", "icon@2x.png"} <= set(files)

    manifest = orjson.loads(files["manifest.json"])
    assert set(manifest) == set(files) - {"manifest.json", "signature"}
    for name, digest in manifest.items():
        assert hashlib.sha1(files[name]).hexdigest() == digest, name

    data = orjson.loads(files["pass.json"])
    assert data["formatVersion"] == 1 and data["serialNumber"] == raw_id(p)
    assert data["passTypeIdentifier"] == chain.pass_type_id
    assert data["teamIdentifier"] == chain.team_id
    assert data["organizationName"] == "Example Events Ltd"
    assert len(data["authenticationToken"]) >= 16
    assert data["webServiceURL"] == f"{BASE}/wallet/apple"
    assert data["barcodes"] == [{"format": "PKBarcodeFormatPDF417", "message": p["code"],
                                 "messageEncoding": "iso-8859-1", "altText": p["code"]}]
    assert data["expirationDate"] == "2030-06-01T18:00:00+00:00"
    assert data["relevantDate"] == "2030-06-01T10:00:00+00:00"
    ticket = data["eventTicket"]
    assert ticket["primaryFields"] == [{"key": "Seat", "label": "SEAT", "value": "A12",
                                        "changeMessage": "Your seat is now %@"}]
    assert ticket["secondaryFields"][0]["value"] == "Ada Lovelace"
    assert "voided" not in data
    text = files["pass.json"].decode()
    assert "owes us" not in text and "high" not in text and "Risk" not in text

    # The signature: detached PKCS#7 DER over the manifest's exact bytes (which hold
    # newlines, so a signature made without the Binary option would not verify), carrying
    # the pass and WWDR certificates and a signing time.
    assert b"\n" in files["manifest.json"]
    checked = verify(tmp_path, files["signature"], files["manifest.json"], pem(chain.root))
    assert checked.returncode == 0, checked.stderr
    assert "Verification successful" in checked.stderr
    crlf = files["manifest.json"].replace(b"\n", b"\r\n")
    assert verify(tmp_path, files["signature"], crlf, pem(chain.root)).returncode != 0
    printed = cms_print(tmp_path / "signature")
    assert "signingTime" in printed and "eContent: <ABSENT>" in printed
    assert "Throwaway WWDR" in printed and "Pass Type ID" in printed


async def test_a_pass_without_template_gets_the_generic_style_and_default_images(api):
    await configure_apple(api)
    p = await make_pass(api)
    files, _ = await download(api, p)
    data = orjson.loads(files["pass.json"])
    generic = data["generic"]
    assert generic["primaryFields"][0]["value"] == "Summer Festival"
    assert {"key": "cf.Seat", "label": "Seat", "value": "A12"} in generic["backFields"]
    assert data["barcodes"][0]["format"] == "PKBarcodeFormatQR"
    assert files["icon.png"].startswith(b"\x89PNG")


async def test_unlinked_pass_is_voided_and_a_change_is_a_new_pass(api):
    await configure_apple(api)
    p = await make_pass(api)
    first, _ = await download(api, p)
    again, _ = await download(api, p)
    assert again == first  # cached: the very same signed bytes

    await api.gql('mutation($i: UpdatePassInput!) { updatePass(input: $i) { pass { id } } }',
                  {"i": {"id": p["id"], "holderName": "Grace Hopper"}})
    changed, _ = await download(api, p)
    assert b"Grace Hopper" in changed["pass.json"]

    await api.gql(f'mutation {{ unlinkPass(input: {{id: "{p["id"]}"}}) {{ pass {{ id }} }} }}')
    voided, _ = await download(api, p)
    assert orjson.loads(voided["pass.json"])["voided"] is True

    await api.gql(f'mutation {{ deletePass(input: {{id: "{p["id"]}"}}) {{ pass {{ id }} }} }}')
    assert (await api.client.get(pkpass_path(p))).status == 404


async def test_pkpass_needs_the_token_and_apple_settings(api):
    p = await make_pass(api)
    resp = await api.client.get(pkpass_path(p))
    assert resp.status == 409
    body = await resp.json()
    assert body["error"] == "wallet_not_configured"
    assert "Apple Wallet is not configured" in body["message"]
    assert "pass type id" in body["message"] and "WWDR" in body["message"]

    await configure_apple(api)
    for query in ("", "?token=", "?token=AAAAAAAAAAAAAAAAAAAAAA"):
        resp = await api.client.get(f"/p/{p['code']}/pass.pkpass{query}")
        assert resp.status == 404
    resp = await api.client.get(f"/p/ZZZZZZZZZZZZZZZZ/pass.pkpass?token={'A' * 22}")
    assert resp.status == 404


async def test_a_repeat_download_is_answered_from_memory_and_never_stale(api):
    """A holder's link answers its pass again from memory after one small version read
    (gateway.wallet.HOT), with an ETag for conditional requests; a change of the pass made
    anywhere (here straight in the database, as another process would) shows at once."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from gateway.wallet import HOT
    from resolvers.models import passes

    await configure_apple(api)
    p = await make_pass(api)
    token = p["publicUrl"].split("token=")[1]
    old = datetime.now(UTC) - timedelta(minutes=5)  # a version whose second is over
    async with api.db.write() as conn:
        await conn.execute(update(passes).where(passes.c.id == raw_id(p))
                           .values(created_at=old, wallet_updated_at=old))
    first, resp = await download(api, p)
    etag = resp.headers["ETag"]
    assert HOT.get((p["code"], token)) is not None
    again, resp = await download(api, p)
    assert again == first and resp.headers["ETag"] == etag
    assert resp.headers["Cache-Control"] == "private, no-cache"
    held = await api.client.get(pkpass_path(p), headers={"If-None-Match": etag})
    assert held.status == 304 and held.headers["ETag"] == etag and not await held.read()

    async with api.db.write() as conn:
        await conn.execute(update(passes).where(passes.c.id == raw_id(p)).values(
            holder_name="Grace Hopper", wallet_updated_at=old + timedelta(seconds=1)))
    changed, resp = await download(api, p)
    assert b"Grace Hopper" in changed["pass.json"] and resp.headers["ETag"] != etag
    fresh = await api.client.get(pkpass_path(p), headers={"If-None-Match": etag})
    assert fresh.status == 200  # the old version is not the one held any more

    forged = await api.client.get(f"/p/{p['code']}/pass.pkpass?token={'A' * 22}")
    assert forged.status == 404  # what is kept answers its own link only

    await api.gql(f'mutation {{ deletePass(input: {{id: "{p["id"]}"}}) {{ pass {{ id }} }} }}')
    assert (await api.client.get(pkpass_path(p))).status == 404


async def test_a_kept_download_sees_a_scan_and_an_outside_write_at_once(api):
    """While nothing is written, a repeat download skips even the version read (SQLite's
    data_version: Database.change_stamp). A scan through the gate's own connection and a
    write by another connection to the database, as another process makes, still show on
    the very next download."""
    import sqlite3
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from gateway.wallet import HOT
    from resolvers.models import passes
    from tests.fragments import VALIDATE

    await configure_apple(api)
    p = await make_pass(api)
    key = (p["code"], p["publicUrl"].split("token=")[1])
    old = datetime.now(UTC) - timedelta(minutes=5)  # a version whose second is over
    async with api.db.write() as conn:
        await conn.execute(update(passes).where(passes.c.id == raw_id(p))
                           .values(created_at=old, wallet_updated_at=old))
    first, _ = await download(api, p)
    for _ in range(3):  # kept; from the second repeat on, by the stamp alone on SQLite
        assert (await download(api, p))[0] == first
    if api.db.is_sqlite:
        assert HOT.get(key).stamp == api.db.change_stamp()

    scanned = await api.gql(VALIDATE, {"input": {"code": p["code"]}})
    assert scanned["validatePass"]["valid"] is True
    await download(api, p)
    assert HOT.get(key).version[2] == 1  # usages_count: made again from the scanned pass

    for _ in range(2):
        await download(api, p)
    outside = old + timedelta(seconds=1)
    if api.db.is_sqlite:  # a connection of its own, as another process has
        with sqlite3.connect(api.db.url.database) as other:
            other.execute("UPDATE passes SET holder_name = ?, wallet_updated_at = ? "
                          "WHERE id = ?", ("Grace Hopper",
                                           outside.strftime("%Y-%m-%d %H:%M:%S.%f"), raw_id(p)))
    else:
        async with api.db.write() as conn:
            await conn.execute(update(passes).where(passes.c.id == raw_id(p)).values(
                holder_name="Grace Hopper", wallet_updated_at=outside))
    changed, _ = await download(api, p)
    assert b"Grace Hopper" in changed["pass.json"]
