"""A template's own wallet images and translations, uploaded through GraphQL and REST and
carried in its passes: the .pkpass unzips, every file (images, xx.lproj/pass.strings) is in
the manifest with its SHA-1, and openssl still verifies the signature over it."""

import asyncio
import base64
import hashlib
import io
import struct
import zipfile
import zlib

import orjson

from tests.test_wallet_apple import download, make_pass, raw_id, verify
from tests.test_wallet_passkit import Device
from tests.wallet_certs import configure_apple, pem

UPLOAD = """mutation($i: UploadTemplateImageInput!) { uploadTemplateImage(input: $i) {
  template { id updatedAt images { image scale fileName width height size sha1 url } } } }"""
DELETE = """mutation($i: DeleteTemplateImageInput!) { deleteTemplateImage(input: $i) {
  template { id images { fileName } } } }"""
CREATE = """mutation($i: CreateTemplateInput!) { createTemplate(input: $i) {
  template { id localizations } } }"""
UPDATE = """mutation($i: UpdateTemplateInput!) { updateTemplate(input: $i) {
  template { id localizations } } }"""


def chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 30, 60)) -> bytes:
    """A real RGB PNG, drawn with the standard library."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def template(api, **extra) -> str:
    made = await api.gql(CREATE, {"i": {"name": "Gym", "kind": "MEMBERSHIP", **extra}})
    return made["createTemplate"]["template"]["id"]


async def upload(api, tpl: str, image: str, data: bytes, scale: int = 1):
    return await api.post(UPLOAD, {"i": {"templateId": tpl, "image": image, "scale": scale,
                                         "data": b64(data)}})


async def test_uploaded_images_and_translations_are_in_the_signed_pass(api, tmp_path):
    chain = await configure_apple(api)
    tpl = await template(api, localizations={
        "fr": {"PASS": "CARTE", "HOLDER": "TITULAIRE", "Say \"hi\"": "Dis «\u00a0salut\u00a0»\n"},
        "pt-BR": {"PASS": "PASSE"}})
    icon, icon2, logo2 = png(38, 38), png(76, 76, (1, 2, 3)), png(320, 100, (9, 9, 9))
    for image, data, scale in (("ICON", icon, 1), ("ICON", icon2, 2), ("LOGO", logo2, 2)):
        status, body = await upload(api, tpl, image, data, scale)
        assert status == 200 and "errors" not in body, body
    images = body["data"]["uploadTemplateImage"]["template"]["images"]
    assert [(i["fileName"], i["width"], i["height"], i["size"]) for i in images] == [
        ("icon.png", 38, 38, len(icon)), ("icon@2x.png", 76, 76, len(icon2)),
        ("logo@2x.png", 320, 100, len(logo2))]
    assert images[2]["sha1"] == hashlib.sha1(logo2).hexdigest()
    tpl_id = raw_id({"id": tpl})
    assert images[2]["url"] == f"http://passes.test/wallet/templates/{tpl_id}/logo@2x.png"

    p = await make_pass(api, templateId=tpl)
    files, _ = await download(api, p)
    assert files["icon.png"] == icon and files["icon@2x.png"] == icon2
    assert files["logo@2x.png"] == logo2
    assert "logo.png" not in files and "icon@3x.png" not in files  # no default mixed in
    strings = files["fr.lproj/pass.strings"]
    assert strings.startswith(b"\xff\xfe")  # UTF-16 with its byte-order mark
    assert strings.decode("utf-16") == (
        '"HOLDER" = "TITULAIRE";\n"PASS" = "CARTE";\n'
        '"Say \\"hi\\"" = "Dis «\u00a0salut\u00a0»\\n";\n')
    assert files["pt-BR.lproj/pass.strings"].decode("utf-16") == '"PASS" = "PASSE";\n'

    manifest = orjson.loads(files["manifest.json"])
    assert set(manifest) == set(files) - {"manifest.json", "signature"}
    assert "fr.lproj/pass.strings" in manifest
    for name, digest in manifest.items():
        assert hashlib.sha1(files[name]).hexdigest() == digest, name
    checked = verify(tmp_path, files["signature"], files["manifest.json"], pem(chain.root))
    assert checked.returncode == 0, checked.stderr

    # The uploaded logo is public (install page, Google Wallet), with a strong ETag.
    resp = await api.client.get(images[2]["url"].removeprefix("http://passes.test"))
    assert resp.status == 200 and resp.content_type == "image/png"
    assert await resp.read() == logo2
    again = await api.client.get(images[2]["url"].removeprefix("http://passes.test"),
                                 headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status == 304
    page = await api.client.get(p["publicUrl"].removeprefix("http://passes.test"))
    assert f'src="/wallet/templates/{tpl_id}/logo@2x.png?v=' in await page.text()


async def test_an_image_change_is_a_new_pass_version_for_installed_devices(api):
    await configure_apple(api)
    tpl = await template(api)
    p = await make_pass(api, templateId=tpl)
    files, _ = await download(api, p)
    assert files["icon.png"].startswith(b"\x89PNG")  # passgate's own while there is no set
    device = Device(api.client, orjson.loads(files["pass.json"]))
    assert (await device.register()).status == 201
    await asyncio.sleep(2.1)  # past the look-back that keeps lastUpdated behind "now"
    tag = (await (await device.updated()).json())["lastUpdated"]
    assert (await device.updated(tag)).status == 204

    _, body = await upload(api, tpl, "ICON", png(29, 29))
    assert "errors" not in body, body
    changed = await device.updated(tag)
    assert changed.status == 200
    assert (await changed.json())["serialNumbers"] == [raw_id(p)]
    latest = await device.latest()
    with zipfile.ZipFile(io.BytesIO(await latest.read())) as zf:
        assert zf.read("icon.png") == png(29, 29)
        assert "logo@2x.png" not in zf.namelist()

    _, body = await api.post(DELETE, {"i": {"templateId": tpl, "image": "ICON"}})
    assert body["data"]["deleteTemplateImage"]["template"]["images"] == []
    files, _ = await download(api, p)
    assert "logo@2x.png" in files  # back to passgate's own set


def damaged(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


async def test_bad_images_are_refused_naming_the_problem(api):
    tpl = await template(api)
    good = png(38, 38)
    idat = good.index(b"IDAT")
    wrong_size = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 38, 38, 8, 2, 0,
                                                                     0, 0))
                  + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b""))
    cases = [
        ("ICON", b"GIF89a" + b"\x00" * 40, 1, "icon.png is not a PNG image"),
        ("ICON", png(39, 38), 1, "icon.png is 39x38 pixels; at most 38x38"),
        ("ICON", png(76, 77), 2, "icon@2x.png is 76x77 pixels; at most 76x76"),
        ("LOGO", png(481, 150), 3, "logo@3x.png is 481x150 pixels; at most 480x150"),
        ("ICON", good[:-12], 1, "truncated PNG"),
        ("ICON", damaged(good, idat + 6), 1, "bad checksum in its 'IDAT' chunk"),
        ("ICON", wrong_size, 1, "does not match its 38x38 header"),
        ("ICON", good + b"junk", 1, "truncated PNG (no IEND at its end)"),
        ("ICON", good, 4, "scale must be 1, 2 or 3"),
        ("LOGO", png(160, 50), 1, "upload the icon (icon.png) before logo.png"),
    ]
    for image, data, scale, message in cases:
        error = await api.error(UPLOAD, {"i": {"templateId": tpl, "image": image,
                                               "scale": scale, "data": b64(data)}})
        assert message in error["message"], (message, error)
        code = "CONFLICT" if "upload the icon" in message else "BAD_USER_INPUT"
        assert error["extensions"]["code"] == code, error
    error = await api.error(UPLOAD, {"i": {"templateId": tpl, "image": "ICON",
                                           "data": "not base64!"}})
    assert "base64" in error["message"] and error["extensions"]["field"] == "data"
    big = b64(b"\x89PNG" + b"\x00" * 262_200)
    error = await api.error(UPLOAD, {"i": {"templateId": tpl, "image": "ICON", "data": big}})
    assert "larger than 256 KiB" in error["message"]

    await upload(api, tpl, "ICON", good)
    await upload(api, tpl, "STRIP", png(375, 144))
    error = await api.error(DELETE, {"i": {"templateId": tpl, "image": "ICON"}})
    assert error["extensions"]["code"] == "CONFLICT" and "before its icon" in error["message"]
    error = await api.error(DELETE, {"i": {"templateId": tpl, "image": "LOGO"}})
    assert error["extensions"]["code"] == "NOT_FOUND" and "logo.png" in error["message"]
    other = await api.other_tenant()
    error = await other.error(UPLOAD, {"i": {"templateId": tpl, "image": "ICON",
                                             "data": b64(good)}})
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_localizations_are_checked(api):
    for value, message in (
            ({"french": {"A": "B"}}, "'french' is not a language code"),
            ({"fr": {"A": 3}}, "localizations.fr.A must be a non-empty string"),
            ({"fr": []}, "localizations.fr must be an object of strings"),
            ({"fr": {"A": "B\x07"}}, "holds a control character"),
            ("fr", "localizations must be a JSON object")):
        error = await api.error(CREATE, {"i": {"name": "T", "localizations": value}})
        assert message in error["message"], (message, error)
        assert error["extensions"]["field"] == "localizations"
    tpl = await template(api, localizations={"de": {"SEAT": "Platz"}})
    cleared = await api.gql(UPDATE, {"i": {"id": tpl, "localizations": None}})
    assert cleared["updateTemplate"]["template"]["localizations"] is None


async def test_native_rest_uploads_and_removes_images(api):
    made = await api.rest("POST", "/api/v1/templates", {
        "name": "Club", "localizations": {"es": {"PASS": "PASE"}}})
    assert made.status == 201, made.body
    tpl = made.body["data"]["id"]
    assert made.body["data"]["localizations"] == {"es": {"PASS": "PASE"}}
    assert made.body["data"]["images"] == []

    put = await api.rest("PUT", f"/api/v1/templates/{tpl}/images/icon",
                         {"data": b64(png(38, 38))})
    assert put.status == 200, put.body
    put = await api.rest("PUT", f"/api/v1/templates/{tpl}/images/thumbnail@2x.png",
                         {"data": b64(png(180, 180))})
    assert put.status == 200, put.body
    assert [(i["image"], i["scale"], i["file_name"]) for i in put.body["data"]["images"]] == [
        ("icon", 1, "icon.png"), ("thumbnail", 2, "thumbnail@2x.png")]

    bad = await api.rest("PUT", f"/api/v1/templates/{tpl}/images/banner",
                         {"data": b64(png(38, 38))})
    assert bad.status == 400 and bad.body["field"] == "image", bad.body
    bad = await api.rest("PUT", f"/api/v1/templates/{tpl}/images/thumbnail",
                         {"data": b64(png(91, 90))})
    assert bad.status == 400, bad.body
    assert bad.body["message"] == "thumbnail.png is 91x90 pixels; at most 90x90 is allowed"
    bad = await api.rest("PUT", f"/api/v1/templates/{tpl}/images/icon", {})
    assert bad.status == 400 and bad.body["field"] == "data", bad.body
    missing = await api.rest("PUT", "/api/v1/templates/tpl_nope/images/icon",
                             {"data": b64(png(38, 38))})
    assert missing.status == 404, missing.body

    gone = await api.rest("DELETE", f"/api/v1/templates/{tpl}/images/thumbnail@2x")
    assert gone.status == 200 and len(gone.body["data"]["images"]) == 1
    conflict = await api.rest("PUT", f"/api/v1/templates/{tpl}/images/icon@9x",
                              {"data": b64(png(38, 38))})
    assert conflict.status == 400
    # A template with images is still deleted whole.
    assert (await api.rest("DELETE", f"/api/v1/templates/{tpl}")).status == 200
