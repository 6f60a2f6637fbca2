"""Dynamic QR codes (seed 004): analytics by device class (ua-parser) and by country (an
offline IP database, looked up when the scan is recorded; the IP is never stored), and the
code's image to print, GET /api/v1/qr/{id}/image, over real HTTP."""

from typing import Any

import pytest
from sqlalchemy import text

from gateway.app import create_app
from tests.barcode_decode import decode, png_pixels, svg_pixels
from tests.conftest import Api, make_api

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0.0.0 Mobile Safari/537.36")
ANDROID_TABLET = ("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/120.0.0.0 Safari/537.36")
WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0.0.0 Safari/537.36")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


async def new_qr(api: Api) -> dict[str, Any]:
    r = await api.rest("POST", "/api/v1/qr", {"name": "Menu", "destination_url":
                                              "https://example.com/menu"})
    assert r.status == 201, r.body
    return r.body["data"]


async def scan(api: Api, qr: dict[str, Any], **headers: str) -> None:
    hop = await api.client.get(f"/q/{qr['short_code']}", allow_redirects=False,
                               headers=headers, skip_auto_headers=["User-Agent"])
    assert hop.status == 302


async def analytics(api: Api, qr: dict[str, Any]) -> dict[str, Any]:
    r = await api.rest("GET", f"/api/v1/qr/{qr['id']}/analytics")
    assert r.status == 200, r.body
    return r.body["data"]


async def test_by_device_classes(client):
    api = await make_api(client, "team")
    qr = await new_qr(api)
    for agent in (IPHONE, ANDROID, IPAD, ANDROID_TABLET, WINDOWS, GOOGLEBOT, IPHONE):
        await scan(api, qr, **{"User-Agent": agent})
    await scan(api, qr)  # no User-Agent at all
    data = await analytics(api, qr)
    assert data["by_device"] == [{"device": "mobile", "scans": 3},
                                 {"device": "tablet", "scans": 2},
                                 {"device": "bot", "scans": 1},
                                 {"device": "desktop", "scans": 1},
                                 {"device": "other", "scans": 1}]
    assert data["total_scans"] == 8
    # from a loopback peer (no proxy trusted) there is no country
    assert data["by_country"] == []
    graph = await api.gql('query($id: ID!) { qrCode(id: $id) { analytics { devices '
                          '{ device scans } countries { country scans } } } }',
                          {"id": qr["id"]})
    assert graph["qrCode"]["analytics"]["devices"][0] == {"device": "mobile", "scans": 3}


@pytest.fixture
async def behind_proxy(aiohttp_client, settings):
    """The gateway behind a proxy on 127.0.0.1 that names the client in X-Forwarded-For."""
    settings.trusted_proxies = ["127.0.0.1/32", "::1/128"]
    return await make_api(await aiohttp_client(create_app(settings)), "team")


async def test_by_country_from_an_offline_database(behind_proxy):
    api = behind_proxy
    qr = await new_qr(api)
    for chain in ("81.2.69.142", "8.8.8.8", "2001:4860:4860::8888", "10.0.0.7",
                  "8.8.8.8, 81.2.69.142"):  # the last hop before our proxy is the client
        await scan(api, qr, **{"X-Forwarded-For": chain, "User-Agent": IPHONE})
    data = await analytics(api, qr)
    assert data["by_country"] == [{"country": "GB", "scans": 2}, {"country": "US", "scans": 2}]
    assert data["unique_scans"] == 4  # 81.2.69.142, 8.8.8.8, the IPv6 one, 10.0.0.7
    # what was stored: no address anywhere, only the class, the country and a keyed hash
    async with api.db.read() as conn:
        rows = [dict(r._mapping) for r in await conn.execute(
            text("SELECT * FROM qr_scans WHERE qr_id = :q"), {"q": qr["id"]})]
    assert len(rows) == 5
    for row in rows:
        stored = " ".join(str(v) for v in row.values())
        for ip in ("81.2.69.142", "8.8.8.8", "2001:4860", "10.0.0.7"):
            assert ip not in stored, row
    assert sorted(str(r["country"]) for r in rows) == ["GB", "GB", "None", "US", "US"]


async def test_forwarded_for_is_ignored_without_a_trusted_proxy(client):
    api = await make_api(client, "team")
    qr = await new_qr(api)
    await scan(api, qr, **{"X-Forwarded-For": "81.2.69.142"})
    assert (await analytics(api, qr))["by_country"] == []


# ---------------------------------------------------------------- the image


async def test_image_png_svg_size_and_etag(client):
    api = await make_api(client, "team")
    qr = await new_qr(api)
    path = f"/api/v1/qr/{qr['id']}/image"
    png = await api.client.get(path, headers={"Authorization": f"Bearer {api.key}"})
    assert png.status == 200 and png.headers["Content-Type"] == "image/png"
    body = await png.read()
    width, height, pixels = png_pixels(body)
    assert (width, height) == (512, 512)
    assert [t for _, t in decode(width, height, pixels)] == [qr["short_url"]]
    etag = png.headers["ETag"]
    again = await api.client.get(path, headers={"Authorization": f"Bearer {api.key}",
                                                "If-None-Match": etag})
    assert again.status == 304 and again.headers["ETag"] == etag
    small = await api.client.get(path, params={"size": 300, "fg": "1F2937"},
                                 headers={"Authorization": f"Bearer {api.key}"})
    assert png_pixels(await small.read())[:2] == (300, 300)
    assert small.headers["ETag"] != etag
    svg = await api.client.get(path, params={"format": "svg"},
                               headers={"Authorization": f"Bearer {api.key}"})
    assert svg.status == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")
    w, h, px = svg_pixels(await svg.text())
    assert [t for _, t in decode(w, h, px)] == [qr["short_url"]]
    # a change of destination keeps the image: it holds the short URL
    await api.rest("PUT", f"/api/v1/qr/{qr['id']}", {"destination_url": "https://example.com/x"})
    same = await api.client.get(path, headers={"Authorization": f"Bearer {api.key}"})
    assert same.headers["ETag"] == etag


@pytest.mark.parametrize("params", [{"size": 10}, {"size": 5000}, {"format": "gif"},
                                    {"fg": "red"}, {"margin": -1}])
async def test_image_refusals(client, params):
    api = await make_api(client, "team")
    qr = await new_qr(api)
    r = await api.rest("GET", f"/api/v1/qr/{qr['id']}/image", params=params)
    assert r.status == 400 and r.body["error"] == "BAD_USER_INPUT", r.body


async def test_image_of_a_missing_or_foreign_code_is_404(client):
    api = await make_api(client, "team")
    other = await make_api(client, "team")
    theirs = await new_qr(other)
    for qr_id in (theirs["id"], "qr_nothing"):
        r = await api.rest("GET", f"/api/v1/qr/{qr_id}/image")
        assert r.status == 404, r.body
    pro = await make_api(client, "pro")
    r = await pro.rest("GET", f"/api/v1/qr/{theirs['id']}/image")
    assert r.status == 403 and r.body["error"] == "PLAN_LIMIT"
