"""Dynamic QR codes through the native REST door (seed 004): CRUD, the redirect that counts,
analytics, and the team-plan gate."""

from datetime import UTC, datetime

from tests.conftest import make_api
from tests.test_qr_devices_countries_image import IPAD, IPHONE


async def test_qr_lifecycle_over_rest(client):
    api = await make_api(client, "team")
    r = await api.rest("POST", "/api/v1/qr", {"name": "Menu", "destination_url":
                                              "https://example.com/menu"})
    assert r.status == 201, r.body
    qr = r.body["data"]
    assert qr["id"].startswith("qr_") and qr["status"] == "active" and qr["type"] == "url"
    assert qr["short_url"].endswith(f"/q/{qr['short_code']}") and qr["scan_count"] == 0

    for agent in (IPHONE, IPHONE, IPAD):
        hop = await client.get(f"/q/{qr['short_code']}", allow_redirects=False,
                               headers={"User-Agent": agent})
        assert hop.status == 302 and hop.headers["Location"] == "https://example.com/menu"

    got = await api.rest("GET", f"/api/v1/qr/{qr['id']}")
    assert got.status == 200 and got.body["data"]["scan_count"] == 3

    today = datetime.now(UTC).date().isoformat()
    stats = await api.rest("GET", f"/api/v1/qr/{qr['id']}/analytics",
                           params={"from": today, "to": today})
    assert stats.status == 200, stats.body
    data = stats.body["data"]
    assert data["total_scans"] == 3 and data["unique_scans"] == 1
    assert data["by_day"] == [{"date": today, "scans": 3}]
    assert data["by_device"] == [{"device": "mobile", "scans": 2},
                                 {"device": "tablet", "scans": 1}]
    default = await api.rest("GET", f"/api/v1/qr/{qr['id']}/analytics")
    assert default.status == 200 and len(default.body["data"]["by_day"]) >= 30
    bad = await api.rest("GET", f"/api/v1/qr/{qr['id']}/analytics",
                         params={"days": 7, "from": today})
    assert bad.status == 400 and bad.body["field"] == "days"

    moved = await api.rest("PUT", f"/api/v1/qr/{qr['id']}",
                           {"destination_url": "https://example.com/new", "status": "paused"})
    assert moved.status == 200 and moved.body["data"]["status"] == "paused"
    paused = await client.get(f"/q/{qr['short_code']}", allow_redirects=False)
    assert paused.status == 404

    listed = await api.rest("GET", "/api/v1/qr", params={"status": "paused"})
    assert [q["id"] for q in listed.body["data"]] == [qr["id"]]
    assert listed.body["meta"] == {"page": 1, "limit": 20, "total": 1}

    gone = await api.rest("DELETE", f"/api/v1/qr/{qr['id']}")
    assert gone.status == 204 and gone.body == ""
    assert (await api.rest("GET", f"/api/v1/qr/{qr['id']}")).status == 404


async def test_qr_api_needs_the_team_plan(client):
    pro = await make_api(client, "pro")
    r = await pro.rest("POST", "/api/v1/qr", {"name": "x", "destination_url":
                                              "https://example.com"})
    assert r.status == 403 and r.body["error"] == "PLAN_LIMIT"
    assert "team plan" in r.body["message"]


async def test_qr_bad_input_names_the_field(client):
    api = await make_api(client, "enterprise")
    r = await api.rest("POST", "/api/v1/qr", {"name": "x"})
    assert r.status == 400 and r.body["field"] == "destination_url"
    r = await api.rest("POST", "/api/v1/qr", {"name": "x", "destination_url": "ftp://x"})
    assert r.status == 400 and r.body["field"] == "destination_url", r.body
    r = await api.rest("POST", "/api/v1/qr", {"name": "x", "destination_url":
                                              "https://example.com", "colour": "red"})
    assert r.status == 400 and r.body["field"] == "colour"
    other = await make_api(client, "team")
    mine = await api.rest("POST", "/api/v1/qr", {"name": "x", "destination_url":
                                                 "https://example.com"})
    assert (await other.rest("GET", f"/api/v1/qr/{mine.body['data']['id']}")).status == 404
