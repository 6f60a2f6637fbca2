"""The Wallet Crew as its own OpenAPI document has it (specs/walletcrew-vendor.md), where that
differs from our first reading: errors on unknown paths, the anonymous barcode route, the
insights limit."""

import struct
from typing import Any

import orjson

from tests.conftest import Api, RestAnswer
from tests.test_rest_walletcrew import PROBLEM, Wc, problem


async def anonymous(api: Api, path: str, **params: Any) -> RestAnswer:
    resp = await api.client.get(path, params=params or None)
    raw = await resp.read()
    body = orjson.loads(raw) if "json" in resp.content_type else raw
    return RestAnswer(resp.status, body, resp.headers)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


async def test_unknown_paths_and_wrong_methods_answer_problem_details(api: Api) -> None:
    wc = Wc(api)
    for method, path in (("GET", "/nothing-here"), ("POST", "/passes/a/b/c"),
                         ("GET", "/customers")):
        refused = problem(await wc(method, path), 404)
        assert refused["title"] == "Not Found" and refused["instance"].endswith(path)
    wrong = await wc("PUT", "/passes")
    body = problem(wrong, 405)
    assert body["title"] == "Method Not Allowed" and body["code"] == "METHOD_NOT_ALLOWED"
    assert {"GET", "POST", "PATCH"} <= set(wrong.headers["Allow"].split(","))
    # Without a key, too: the refusal is a ProblemDetails 401.
    bare = await anonymous(api, f"/api/{api.tenant_id}/nothing-here")
    assert bare.status == 401 and bare.headers["Content-Type"].startswith(PROBLEM)
    assert bare.body["title"] == "Unauthorized"
    # Other dialects' paths keep their own shape.
    native = await api.rest("GET", "/api/v1/nothing-here")
    assert native.status == 404 and set(native.body) == {"error", "message"}


async def test_barcode_is_anonymous_and_h_sets_a_linear_codes_height(api: Api) -> None:
    base = f"/api/{api.tenant_id}/barcode"
    qr = await anonymous(api, f"{base}/qrcode/hello", w=200, h=50)
    assert qr.status == 200 and qr.headers["Content-Type"] == "image/png"
    assert png_size(qr.body) == (200, 200)  # h is ignored for QR
    linear = await anonymous(api, f"{base}/code128/ABC-123", w=300, h=80)
    assert linear.status == 200 and png_size(linear.body) == (300, 80)
    # A key may still be sent; a bad one is not looked at on an anonymous route.
    keyed = await Wc(api)("GET", "/barcode/code128/ABC-123", params={"w": 300, "h": 80})
    assert keyed.status == 200 and keyed.body == linear.body
    refused = await anonymous(api, f"{base}/nope/hello")
    assert refused.status == 400 and refused.headers["Content-Type"].startswith(PROBLEM)
    assert "type" in refused.body["errors"]
    assert (await anonymous(api, "/api/not-a-tenant/barcode/qrcode/x")).status == 404


async def test_insights_take_60_queries_a_minute(api: Api) -> None:
    wc = Wc(api)
    for i in range(60):
        answer = await wc("POST", "/insights/query", {"query": "Events | take 1"})
        assert answer.status == 200, (i, answer.body)
        assert answer.headers["X-RateLimit-Limit"] == "60"
    refused = await wc("POST", "/insights/query", {"query": "Events | take 1"})
    body = problem(refused, 429)
    assert body["code"] == "RATE_LIMITED" and "60" in body["detail"]
    assert int(refused.headers["Retry-After"]) > 0
    # Other routes of the key are not held back by it.
    assert (await wc("GET", "/passes")).status == 200
