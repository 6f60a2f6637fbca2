"""Barcode images of every template format, PNG and SVG, read back with zxing-cpp; sizes,
margins, strong ETags, and a repeat that draws nothing."""

import pytest

from resolvers.wallet import barcodes
from tests.barcode_decode import decode, png_pixels, svg_pixels
from tests.fragments import CREATE_PASS, CREATE_TEMPLATE

NAMES = {"qr": "QR Code", "pdf417": "PDF417", "aztec": "Aztec", "code128": "Code 128"}


async def get(api, path, headers=None, **params):
    resp = await api.client.get(path, params=params, headers={
        "Authorization": f"Bearer {api.key}", **(headers or {})})
    return resp, await resp.read()


@pytest.mark.parametrize("fmt", barcodes.TEMPLATE_FORMATS)
async def test_each_format_decodes_back_as_png_and_svg(api, fmt):
    data = f"PASSGATE-{fmt.upper()}-0042"
    resp, body = await get(api, f"/api/v1/barcodes/{fmt}", data=data, size=3)
    assert resp.status == 200 and resp.content_type == "image/png"
    assert decode(*png_pixels(body)) == [(NAMES[fmt], data)]
    resp, body = await get(api, f"/api/v1/barcodes/{fmt}", data=data, type="svg")
    assert resp.status == 200 and resp.content_type == "image/svg+xml"
    assert decode(*svg_pixels(body.decode())) == [(NAMES[fmt], data)]


async def test_size_margin_etag_cache_and_errors(api):
    data = "SIZE-AND-MARGIN"
    _, body = await get(api, "/api/v1/barcodes/qr", data=data, size=1, margin=0)
    modules = png_pixels(body)[0]  # one pixel a module, no quiet zone
    resp, body = await get(api, "/api/v1/barcodes/qr", data=data, size=5, margin=2)
    assert png_pixels(body)[:2] == ((modules + 4) * 5, (modules + 4) * 5)
    etag = resp.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert "max-age" in resp.headers["Cache-Control"]

    drawn = barcodes.CACHE.renders
    again, same = await get(api, "/api/v1/barcodes/qr", data=data, size=5, margin=2)
    assert same == body and again.headers["ETag"] == etag
    assert barcodes.CACHE.renders == drawn  # the repeat drew nothing
    unchanged, empty = await get(api, "/api/v1/barcodes/qr", {"If-None-Match": etag},
                                 data=data, size=5, margin=2)
    assert unchanged.status == 304 and empty == b""
    other, _ = await get(api, "/api/v1/barcodes/qr", data=data, size=5, margin=3)
    assert other.headers["ETag"] != etag

    for path, params, words in (
        ("/api/v1/barcodes/qrx", {"data": "x"}, "unknown barcode format"),
        ("/api/v1/barcodes/ean13", {"data": "not digits"}, "ean13"),
        ("/api/v1/barcodes/qr", {"data": "x", "size": "0"}, "size"),
        ("/api/v1/barcodes/qr", {"data": "x", "fg": "red"}, "fg"),
        ("/api/v1/barcodes/qr", {}, "data"),
    ):
        resp, body = await get(api, path, **params)
        assert resp.status == 400 and words in body.decode(), (path, body)
    resp = await api.client.get("/api/v1/barcodes/qr", params={"data": "x"})
    assert resp.status == 401


async def test_walletcrew_barcode_route_serves_every_type(api):
    key = await api.new_key("all", name="wc")
    base = f"/api/{api.tenant_id}/barcode"
    headers = {"X-API-KEY": key}
    for kind, data, name in (("pdf417", "hello pdf", "PDF417"), ("aztec", "hello", "Aztec"),
                             ("code128", "HELLO-128", "Code 128"),
                             ("ean13", "5901234123457", "EAN-13")):
        resp = await api.client.get(f"{base}/{kind}/{data}", params={"w": 400},
                                    headers=headers)
        assert resp.status == 200, await resp.text()
        width, height, pixels = png_pixels(await resp.read())
        assert width == 400
        assert decode(width, height, pixels) == [(name, data)]


async def test_holder_barcode_uses_the_template_format(api):
    tpl = await api.gql(CREATE_TEMPLATE, {"input": {"name": "T", "barcodeFormat": "AZTEC"}})
    p = (await api.gql(CREATE_PASS, {"input": {"templateId": tpl["createTemplate"]["template"][
        "id"]}}))["createPass"]["pass"]
    token = p["publicUrl"].split("token=")[1]
    resp = await api.client.get(f"/p/{p['code']}/barcode.svg", params={"token": token})
    assert resp.status == 200
    assert decode(*svg_pixels(await resp.text())) == [("Aztec", p["code"])]
    resp = await api.client.get(f"/p/{p['code']}/barcode.png", params={"token": token})
    assert decode(*png_pixels(await resp.read())) == [("Aztec", p["code"])]
    bad = await api.client.get(f"/p/{p['code']}/barcode.svg", params={"token": "x" * 22})
    assert bad.status == 404


async def test_holder_barcode_repeat_is_answered_from_memory_and_never_stale(api, monkeypatch):
    """A repeat of a holder's barcode link costs one version read (gateway.wallet.BARCODES),
    with the same ETag and 304 for the image held; a change of the template's barcode
    format shows at once, a deleted pass is 404 at once, a wrong token is 404."""
    from gateway import wallet
    from gateway.wallet import BARCODES, HotLinks

    monkeypatch.setattr(HotLinks, "TTL", 60.0)  # nothing expires during the test
    looked_up = 0
    real_lookup = wallet.pass_id_by_token

    async def counting_lookup(*args, **kwargs):
        nonlocal looked_up
        looked_up += 1
        return await real_lookup(*args, **kwargs)

    monkeypatch.setattr(wallet, "pass_id_by_token", counting_lookup)
    tpl = (await api.gql(CREATE_TEMPLATE, {"input": {"name": "T", "barcodeFormat": "QR"}}))[
        "createTemplate"]["template"]
    p = (await api.gql(CREATE_PASS, {"input": {"templateId": tpl["id"]}}))["createPass"]["pass"]
    token = p["publicUrl"].split("token=")[1]
    png_path, svg_path = (f"/p/{p['code']}/barcode.{ext}" for ext in ("png", "svg"))

    async def fetch(path, **headers):
        resp = await api.client.get(path, params={"token": token}, headers=headers)
        return resp, await resp.read()

    first, body = await fetch(png_path)
    assert first.status == 200 and first.content_type == "image/png"
    assert decode(*png_pixels(body)) == [("QR Code", p["code"])]
    etag = first.headers["ETag"]
    assert BARCODES.get((p["code"], token, "png")) is not None
    assert looked_up == 1

    again, same = await fetch(png_path)
    assert again.status == 200 and same == body and again.headers["ETag"] == etag
    assert again.content_type == "image/png"
    assert again.headers["Cache-Control"] == "private, max-age=300"
    held, empty = await fetch(png_path, **{"If-None-Match": etag})
    assert held.status == 304 and empty == b"" and held.headers["ETag"] == etag
    assert held.headers["Cache-Control"] == "private, max-age=300"
    assert looked_up == 1  # the repeats read the version only

    svg, text = await fetch(svg_path)  # another image of the same link: kept apart
    assert svg.status == 200 and svg.content_type == "image/svg+xml"
    assert decode(*svg_pixels(text.decode())) == [("QR Code", p["code"])]
    assert svg.headers["ETag"] != etag and looked_up == 2

    await api.gql("mutation($id: ID!) { updateTemplate(input: {id: $id, barcodeFormat: AZTEC})"
                  " { template { id } } }", {"id": tpl["id"]})
    changed, aztec = await fetch(png_path, **{"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    assert decode(*png_pixels(aztec)) == [("Aztec", p["code"])]
    svg, text = await fetch(svg_path)
    assert decode(*svg_pixels(text.decode())) == [("Aztec", p["code"])]

    forged = await api.client.get(png_path, params={"token": "A" * 22})
    assert forged.status == 404  # what is kept answers its own link only

    await api.gql(f'mutation {{ deletePass(input: {{id: "{p["id"]}"}}) {{ pass {{ id }} }} }}')
    for path in (png_path, svg_path):
        gone, _ = await fetch(path)
        assert gone.status == 404
