"""The Wallet Crew as its own OpenAPI document has it (specs/walletcrew-vendor.md), where that
differs from our first reading: errors on unknown paths, the anonymous barcode route, the
insights limit."""

import struct
from typing import Any

import orjson

from rest_compat.present import raw_id
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


async def test_webhooks_answer_200_with_5_character_ids(api: Api) -> None:
    wc = Wc(api)
    ids = []
    for n in range(3):
        made = await wc("POST", "/webhooks", {"endpoint": f"https://hooks.example.com/{n}",
                                              "events": ["pass.*"], "enabled": True})
        assert made.status == 200, made.body
        assert len(made.body["id"]) == 5 and len(made.body["signatureSecret"]) == 64
        ids.append(made.body["id"])
    listed = await wc("GET", "/webhooks")
    assert sorted(w["id"] for w in listed.body) == sorted(ids)
    first = ids[0]
    got = await wc("GET", f"/webhooks/{first}")
    assert got.status == 200 and got.body["endpoint"] == "https://hooks.example.com/0"
    patched = await wc("PATCH", f"/webhooks/{first}", {"enabled": False})
    assert patched.status == 200 and patched.body == {**got.body, "enabled": False,
                                                      "lastUpdateDate": patched.body[
                                                          "lastUpdateDate"]}
    # passgate's own id still names it.
    own = (await api.gql("{ webhooks(first: 10) { nodes { id url } } }"))["webhooks"]["nodes"]
    whk = raw_id(next(n["id"] for n in own if n["url"].endswith("/0")))
    assert whk is not None and whk.startswith("whk_")
    assert (await wc("GET", f"/webhooks/{whk}")).body["id"] == first
    assert (await wc("DELETE", f"/webhooks/{first}")).status == 204
    problem(await wc("GET", f"/webhooks/{first}"), 404)
    problem(await wc("GET", "/webhooks/zzzzz"), 404)
    assert len((await wc("GET", "/webhooks")).body) == 2


async def test_post_scans_answers_the_pass_id(api: Api) -> None:
    wc = Wc(api)
    made = await wc("POST", "/passes", {"id": "wc-0001", "secret": "LOYAL-42",
                                        "identifiers": {"memberId": "M1"}})
    assert made.status == 201, made.body
    fresh = (await wc("POST", "/passes", {})).body["passId"]
    fresh_secret = (await wc("GET", f"/passes/{fresh}")).body["secret"]
    for body, expected in (({"data": "LOYAL-42", "type": "qrcode"}, "wc-0001"),
                           ({"data": "loyal-42", "type": "manual"}, "wc-0001"),
                           ({"data": f"https://passes.test/p/{fresh_secret}?token=x",
                             "type": "qrcode"}, fresh)):
        scanned = await wc("POST", "/scans", body)
        assert scanned.status == 200, scanned.body
        assert scanned.body == {"passId": expected}
    # Each scan is an event in insights.
    events = await wc("POST", "/insights/query",
                      {"query": "Events | summarize count() by eventType"})
    assert sorted(events.body["rows"]) == [["Pass:Created", 2], ["Scan:Accepted", 2],
                                            ["Scan:Rejected", 1]]  # wc-0001: single use
    problem(await wc("POST", "/scans", {"data": "NO-SUCH-CODE", "type": "qrcode"}), 404)
    assert "data" in problem(await wc("POST", "/scans", {"data": "ab"}), 400)["errors"]
    assert "type" in problem(await wc("POST", "/scans", {"data": "LOYAL-42",
                                                         "type": "morse"}), 400)["errors"]
    assert "data" in problem(await wc("POST", "/scans", {"type": "nfc"}), 400)["errors"]


async def test_page_size_beyond_100(api: Api) -> None:
    await api.gql("mutation($i: CreatePassesInput!) { createPasses(input: $i) { count } }",
                  {"i": {"passes": [{"name": f"P{n}"} for n in range(250)]}})
    wc = Wc(api)
    page = await wc("GET", "/passes", params={"pageSize": 220})
    assert page.status == 200 and len(page.body) == 220
    assert page.headers["x-pagination-total"] == "250"
    rest = await wc("GET", "/passes", params={"pageSize": 220, "pageIndex": 1})
    assert len(rest.body) == 30
    ids = [p["id"] for p in page.body + rest.body]
    assert len(set(ids)) == 250
    small = await wc("GET", "/passes", params={"pageSize": 100, "pageIndex": 2})
    assert [p["id"] for p in small.body] == ids[200:]
    problem(await wc("GET", "/passes", params={"pageSize": 1001}), 400)


async def test_filter_operator_contains(api: Api) -> None:
    """``contains`` as the vendor's examples use it: text inside an identifier or a metadata
    value, any case; `%` and `_` are plain characters; it combines with equals."""
    wc = Wc(api)
    made = {}
    for email, tier, ref in (("ada@example.com", "gold", "A_1"),
                             ("bob@shop.example", "GOLDEN", "B%2"),
                             ("cy@example.com", "silver", "C-3")):
        answer = await wc("POST", "/passes", {"identifiers": {"email": email, "ref": ref},
                                              "metadata": {"tier": tier, "n": 5,
                                                           "deep": {"note": f"for {email}"}}})
        made[email] = answer.body["passId"]

    def flt(*items: tuple[str, str, str]) -> dict[str, str]:
        out = {}
        for i, (field, operator, value) in enumerate(items):
            out |= {f"filter[{i}].field": field, f"filter[{i}].operator": operator,
                    f"filter[{i}].value": value}
        return out

    async def found(*items: tuple[str, str, str]) -> set[str]:
        answer = await wc("GET", "/passes", params=flt(*items))
        assert answer.status == 200, answer.body
        assert answer.headers["x-pagination-total"] == str(len(answer.body))
        return {p["id"] for p in answer.body}

    assert await found(("identifiers.email", "contains", "EXAMPLE.COM")) == {
        made["ada@example.com"], made["cy@example.com"]}
    assert await found(("metadata.tier", "contains", "gold")) == {
        made["ada@example.com"], made["bob@shop.example"]}
    assert await found(("metadata.deep.note", "contains", "shop")) == {made["bob@shop.example"]}
    assert await found(("identifiers.ref", "contains", "_")) == {made["ada@example.com"]}
    assert await found(("identifiers.ref", "contains", "%")) == {made["bob@shop.example"]}
    assert await found(("metadata.tier", "contains", "gold"),
                       ("identifiers.email", "equals", "bob@shop.example")) == {
        made["bob@shop.example"]}
    assert await found(("metadata.n", "contains", "5")) == set()  # numbers are not text
    assert await found(("metadata.missing", "contains", "x")) == set()
    problem(await wc("GET", "/passes", params=flt(("metadata.tier", "startsWith", "g"))), 400)
    problem(await wc("GET", "/passes", params=flt(("metadata.tier", "contains", ""))), 400)


async def test_metadata_text_filter_in_the_graph(api: Api) -> None:
    await api.gql('mutation { createPass(input: {metadata: {a: {b: "Hello World"}}}) '
                  '{ pass { id } } }')
    query = ("query($f: PassFilter) { passes(filter: $f, first: 5) { totalCount "
             "nodes { metadata } } }")
    hit = await api.gql(query, {"f": {"metadataText": [{"path": ["a", "b"],
                                                         "contains": "o w"}]}})
    assert hit["passes"]["totalCount"] == 1
    for bad, field in (({"path": [], "contains": "x"}, "filter.metadataText[0].path"),
                       ({"path": ["a"], "contains": ""}, "filter.metadataText[0].contains")):
        error = await api.error(query, {"f": {"metadataText": [bad]}})
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["field"] == field, error
