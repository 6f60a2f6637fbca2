"""The walletcrew dialect (The Wallet Crew, seed 003): /api/{tenantId}/… with X-API-KEY,
ProblemDetails errors, passes, customers, webhooks, insights and barcodes."""

import struct
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from resolvers import auth
from tests.conftest import Api, RestAnswer

PROBLEM = "application/problem+json"


@dataclass
class Wc:
    """Talks to the tenant's /api/{tenantId} with X-API-KEY, as The Wallet Crew's clients do."""

    api: Api

    @property
    def base(self) -> str:
        return f"/api/{self.api.tenant_id}"

    async def __call__(self, method: str, path: str, json: Any = None, *,
                       params: Any = None, key: str | None = None, tenant: str | None = None
                       ) -> RestAnswer:
        base = f"/api/{tenant}" if tenant is not None else self.base
        resp = await self.api.client.request(
            method, base + path, json=json, params=params, allow_redirects=False,
            headers={"X-API-KEY": key or self.api.key})
        raw = await resp.read()
        body: Any = raw
        if raw and "json" in resp.content_type:
            body = orjson.loads(raw)
        return RestAnswer(resp.status, body, resp.headers)


def problem(answer: RestAnswer, status: int) -> dict[str, Any]:
    """The ProblemDetails body of a refusal with ``status``."""
    assert answer.status == status, (answer.status, answer.body)
    assert answer.headers["Content-Type"].startswith(PROBLEM), answer.headers
    body = answer.body
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= set(body), body
    return body


async def template(api: Api, name: str) -> str:
    data = await api.gql("mutation($n: String!) { createTemplate(input: {name: $n}) "
                         "{ template { id } } }", {"n": name})
    return data["createTemplate"]["template"]["id"]


async def new_pass(wc: Wc, pass_type: str | None = "Loyalty", **body: Any) -> str:
    answer = await wc("POST", "/passes", body,
                      params={"passType": pass_type} if pass_type else None)
    assert answer.status == 201, answer.body
    return answer.body["passId"]


# --- passes ---------------------------------------------------------------------------


async def test_pass_lifecycle(api: Api) -> None:
    wc = Wc(api)
    await template(api, "Loyalty")
    created = await wc("POST", "/passes", {
        "identifiers": {"customerId": "C-1001"},
        "metadata": {"tier": "gold", "store": "Paris"},
        "additionalData": {"points": 120, "firstName": "Jane"},
    }, params={"passType": "Loyalty"})
    assert created.status == 201, created.body
    pass_id = created.body["passId"]
    assert list(created.body) == ["passId"] and pass_id.startswith("pass_")
    assert created.headers["Location"] == f"{wc.base}/passes/{pass_id}"

    got = await wc("GET", f"/passes/{pass_id}")
    assert got.status == 200, got.body
    body = got.body
    assert body["id"] == pass_id and body["passType"] == "Loyalty"
    assert body["identifiers"] == {"customerId": "C-1001"}
    assert body["metadata"] == {"tier": "gold", "store": "Paris"}
    assert body["additionalData"] == {"points": 120, "firstName": "Jane"}
    assert body["providers"] == {} and body["status"] == "active" and body["secret"]
    assert body["creationDate"].endswith("Z") and body["lastUpdateDate"].endswith("Z")

    # PATCH by path merges (RFC 7396: null removes a key).
    patched = await wc("PATCH", f"/passes/{pass_id}",
                       {"metadata": {"tier": "silver", "store": None},
                        "additionalData": {"points": 150}})
    assert patched.status == 204, patched.body
    assert patched.body == b""
    body = (await wc("GET", f"/passes/{pass_id}")).body
    assert body["metadata"] == {"tier": "silver"}
    assert body["identifiers"] == {"customerId": "C-1001"}
    assert body["additionalData"] == {"points": 150, "firstName": "Jane"}

    # PATCH by identifier, and by ?id=.
    by_identifier = await wc("PATCH", "/passes", {"identifiers": {"email": "jane@example.com"}},
                             params={"id.customerId": "C-1001", "passType": "Loyalty"})
    assert by_identifier.status == 204, by_identifier.body
    by_id = await wc("PATCH", "/passes", {"metadata": {"tier": "platinum"}},
                     params={"id": pass_id})
    assert by_id.status == 204, by_id.body
    body = (await wc("GET", f"/passes/{pass_id}")).body
    assert body["identifiers"] == {"customerId": "C-1001", "email": "jane@example.com"}
    assert body["metadata"] == {"tier": "platinum"}

    # null removes a key, or empties a whole object.
    cleared = await wc("PATCH", f"/passes/{pass_id}",
                       {"identifiers": {"email": None}, "additionalData": None})
    assert cleared.status == 204, cleared.body
    body = (await wc("GET", f"/passes/{pass_id}")).body
    assert body["identifiers"] == {"customerId": "C-1001"} and body["additionalData"] == {}
    restored = await wc("PATCH", f"/passes/{pass_id}", {
        "identifiers": {"email": "jane@example.com"},
        "additionalData": {"points": 150, "firstName": "Jane"}})
    assert restored.status == 204, restored.body

    # The native dialect sees the same pass: identifiers inside metadata, additionalData as
    # attributes.
    native = await api.rest("GET", f"/api/v1/passes/{pass_id}")
    assert native.body["data"]["metadata"] == {
        "tier": "platinum", "identifiers": {"customerId": "C-1001", "email": "jane@example.com"}}
    assert native.body["data"]["attributes"] == {"points": 150, "firstName": "Jane"}

    # DELETE voids the pass: kept, readable, no longer listed, no longer changeable.
    deleted = await wc("DELETE", f"/passes/{pass_id}")
    assert deleted.status == 204, deleted.body
    assert (await wc("GET", f"/passes/{pass_id}")).body["status"] == "deleted"
    listed = await wc("GET", "/passes")
    assert pass_id not in [p["id"] for p in listed.body]
    problem(await wc("PATCH", f"/passes/{pass_id}", {"metadata": {"a": "b"}}), 409)
    assert (await wc("DELETE", f"/passes/{pass_id}")).status == 204  # idempotent


async def test_create_pass_without_or_with_unknown_pass_type(api: Api) -> None:
    wc = Wc(api)
    await template(api, "Event")
    bare = await new_pass(wc, None, metadata={"a": "1"})
    assert (await wc("GET", f"/passes/{bare}")).body["passType"] is None
    in_body = await wc("POST", "/passes", {"passType": "Event"})
    assert in_body.status == 201, in_body.body
    got = await wc("GET", f"/passes/{in_body.body['passId']}")
    assert got.body["passType"] == "Event" and got.body["identifiers"] == {}

    unknown = problem(await wc("POST", "/passes", {}, params={"passType": "Nope"}), 400)
    assert "Nope" in unknown["errors"]["passType"][0]
    clash = problem(await wc("POST", "/passes", {"passType": "Event"},
                             params={"passType": "Other"}), 400)
    assert "passType" in clash["errors"]


async def test_validation_errors_name_the_field(api: Api) -> None:
    wc = Wc(api)
    unknown = problem(await wc("POST", "/passes", {"metadata": {}, "bogus": 1}), 400)
    assert unknown["title"] == "One or more validation errors occurred."
    assert "bogus" in unknown["errors"] and "bogus" in unknown["detail"]
    assert unknown["instance"] == f"{wc.base}/passes"
    assert unknown["type"].startswith("https://tools.ietf.org/html/rfc9110")

    wrong_type = problem(await wc("POST", "/passes", {"identifiers": "C-1"}), 400)
    assert list(wrong_type["errors"]) == ["identifiers"]
    not_string = problem(await wc("POST", "/passes", {"identifiers": {"n": 5}}), 400)
    assert list(not_string["errors"]) == ["identifiers.n"]
    reserved = problem(await wc("POST", "/passes", {"metadata": {"identifiers": {}}}), 400)
    assert list(reserved["errors"]) == ["metadata"]
    assert "metadata.identifiers is reserved" in reserved["detail"]
    bad_json = await api.client.post(f"{wc.base}/passes", data=b"{nope",
                                     headers={"X-API-KEY": api.key})
    assert bad_json.status == 400
    assert list((await bad_json.json(content_type=PROBLEM))["errors"]) == ["$"]
    pass_id = await new_pass(wc, None)
    problem(await wc("PATCH", f"/passes/{pass_id}", {}), 400)
    problem(await wc("PATCH", f"/passes/{pass_id}", {"status": "x"}), 400)


async def test_not_found_and_ambiguous_lookups(api: Api) -> None:
    wc = Wc(api)
    await template(api, "Loyalty")
    await template(api, "Event")
    problem(await wc("GET", "/passes/pass_00000000000000000000000000"), 404)
    problem(await wc("GET", "/passes/not-a-pass-id"), 404)
    problem(await wc("DELETE", "/passes/abcde"), 404)
    problem(await wc("PATCH", "/passes/pass_00000000000000000000000000", {"metadata": {}}),
            404)
    first = await new_pass(wc, identifiers={"orderId": "O-1"})
    await new_pass(wc, identifiers={"orderId": "O-1"})
    await new_pass(wc, "Event", identifiers={"orderId": "O-2"})
    problem(await wc("PATCH", "/passes", {"metadata": {"x": "y"}},
                     params={"id.orderId": "O-1"}), 409)
    problem(await wc("PATCH", "/passes", {"metadata": {"x": "y"}},
                     params={"id.orderId": "O-9"}), 404)
    # passType narrows an identifier lookup, and must match a pass given by id.
    ok = await wc("PATCH", "/passes", {"metadata": {"x": "y"}},
                  params={"id.orderId": "O-2", "passType": "Event"})
    assert ok.status == 204, ok.body
    problem(await wc("PATCH", "/passes", {"metadata": {"x": "y"}},
                     params={"id.orderId": "O-2", "passType": "Loyalty"}), 404)
    problem(await wc("PATCH", f"/passes/{first}", {"metadata": {"x": "y"}},
                     params={"passType": "Event"}), 404)
    problem(await wc("PATCH", "/passes", {"metadata": {"x": "y"}}), 400)
    problem(await wc("PATCH", "/passes", {"metadata": {"x": "y"}},
                     params={"id": first, "id.orderId": "O-1"}), 400)
    problem(await wc("PATCH", "/passes", {"metadata": {"x": "y"}},
                     params={"id": first, "idx": "1"}), 400)


async def test_list_pagination_and_filters(api: Api) -> None:
    wc = Wc(api)
    await template(api, "Loyalty")
    await template(api, "Event")
    ids = [await new_pass(wc, identifiers={"customerId": f"C-{i}"},
                          metadata={"tier": "gold" if i % 2 else "silver"})
           for i in range(5)]
    event = await new_pass(wc, "Event", metadata={"tier": "gold"})

    pages = []
    for index in range(4):
        page = await wc("GET", "/passes", params={"pageIndex": index, "pageSize": 2})
        assert page.status == 200, page.body
        assert page.headers["x-pagination-total"] == "6"
        assert isinstance(page.body, list)
        pages.append([p["id"] for p in page.body])
    assert [len(p) for p in pages] == [2, 2, 2, 0]
    assert [i for page in pages for i in page] == [event, *reversed(ids)]  # newest first
    default = await wc("GET", "/passes")
    assert len(default.body) == 6

    def flt(*items: tuple[str, str, str]) -> dict[str, str]:
        out = {}
        for i, (field, operator, value) in enumerate(items):
            out |= {f"filter[{i}].field": field, f"filter[{i}].operator": operator,
                    f"filter[{i}].value": value}
        return out

    gold = await wc("GET", "/passes", params=flt(("metadata.tier", "equals", "gold")))
    assert gold.headers["x-pagination-total"] == "3"
    assert {p["id"] for p in gold.body} == {ids[1], ids[3], event}
    gold_loyalty = await wc("GET", "/passes", params=flt(
        ("metadata.tier", "equals", "gold"), ("passType", "equals", "Loyalty")))
    assert {p["id"] for p in gold_loyalty.body} == {ids[1], ids[3]}
    one = await wc("GET", "/passes", params=flt(("identifiers.customerId", "equals", "C-2")))
    assert [p["id"] for p in one.body] == [ids[2]]
    assert one.body[0]["identifiers"] == {"customerId": "C-2"}
    none = await wc("GET", "/passes", params=flt(("passType", "equals", "Nope")))
    assert none.body == [] and none.headers["x-pagination-total"] == "0"
    contradiction = await wc("GET", "/passes", params=flt(
        ("metadata.tier", "equals", "gold"), ("metadata.tier", "equals", "silver")))
    assert contradiction.body == []
    sorted_ok = await wc("GET", "/passes", params={"sortBy[0].field": "creationDate",
                                                    "sortBy[0].direction": "DESC"})
    assert sorted_ok.status == 200 and len(sorted_ok.body) == 6

    contains = await wc("GET", "/passes", params=flt(("metadata.tier", "contains", "OL")))
    assert {p["id"] for p in contains.body} == {ids[1], ids[3], event}
    assert "contains" in problem(await wc("GET", "/passes", params=flt(
        ("passType", "contains", "Loy"))), 400)["detail"]
    installed = await wc("GET", "/passes", params=flt(("installationStatus", "equals",
                                                       "installed")))
    assert installed.body == [] and installed.headers["x-pagination-total"] == "0"
    assert len((await wc("GET", "/passes", params=flt(
        ("installationStatus", "equals", "notInstalled")))).body) == 6
    assert "installationStatus" in problem(await wc("GET", "/passes", params=flt(
        ("installationStatus", "equals", "maybe"))), 400)["detail"]
    assert "sortBy[0].field" in problem(await wc("GET", "/passes", params={
        "sortBy[0].field": "name", "sortBy[0].direction": "ASC"}), 400)["errors"]
    bad_field = problem(await wc("GET", "/passes", params=flt(("name", "equals", "x"))), 400)
    assert "filter[0].field" in bad_field["errors"]
    problem(await wc("GET", "/passes", params={"page": 2}), 400)
    problem(await wc("GET", "/passes", params={"pageSize": 5000}), 400)
    problem(await wc("GET", "/passes", params={"pageIndex": -1}), 400)


async def test_install_redirects_or_refuses(api: Api) -> None:
    wc = Wc(api)
    pass_id = await new_pass(wc, None)
    public_url = (await api.rest("GET", f"/api/v1/passes/{pass_id}")).body["data"]["public_url"]
    code, token = public_url.split("/p/")[1].split("?token=")
    for params, platform in ((None, "auto"), ({"platform": "preview"}, "preview"),
                             ({"platform": "auto", "medium": "email"}, "auto"),
                             ({"platform": "apple"}, "apple"),
                             ({"platform": "google"}, "google")):
        answer = await wc("GET", f"/passes/{pass_id}/install", params=params)
        assert answer.status == 302, answer.body
        assert answer.headers["Location"] == (f"http://passes.test/p/{code}/install?"
                                              f"platform={platform}&token={token}")
    problem(await wc("GET", f"/passes/{pass_id}/install", params={"platform": "fax"}), 400)
    problem(await wc("GET", "/passes/pass_00000000000000000000000000/install"), 404)


# --- tenancy and keys -----------------------------------------------------------------


async def test_tenant_in_the_path_must_be_the_keys(api: Api) -> None:
    wc = Wc(api)
    other = await api.other_tenant()
    pass_id = await new_pass(wc, None)
    # Another tenant's key on this tenant's path, and this key on another tenant's path.
    refused = problem(await wc("GET", f"/passes/{pass_id}", key=other.key), 404)
    assert api.tenant_id in refused["detail"]
    problem(await wc("GET", "/passes", tenant=other.tenant_id), 404)
    problem(await wc("POST", "/passes", {}, tenant=other.tenant_id), 404)
    problem(await wc("GET", "/barcode/qr/x", tenant="ten_nobody"), 400)  # anonymous route
    # The other tenant on its own path sees none of this tenant's passes.
    theirs = await Wc(other)("GET", "/passes")
    assert theirs.status == 200 and theirs.body == []
    # Without a key or with a wrong one: 401, as ProblemDetails too.
    resp = await api.client.get(f"{wc.base}/passes")
    assert resp.status == 401
    assert (await resp.json(content_type=PROBLEM))["title"] == "Unauthorized"
    problem(await wc("GET", "/passes", key="pgk_wrong"), 401)


async def test_a_walletcrew_key_and_scopes(api: Api) -> None:
    minted = await auth.create_key(api.db, api.tenant_id, name="wc", dialect="walletcrew")
    wc = Wc(api)
    created = await wc("POST", "/passes", {"metadata": {"k": "v"}}, key=minted.key)
    assert created.status == 201, created.body
    reader = await api.new_key("passes:read")
    assert (await wc("GET", "/passes", key=reader)).status == 200
    problem(await wc("POST", "/passes", {}, key=reader), 403)


# --- customers ------------------------------------------------------------------------


async def test_customers_upsert_and_read(api: Api) -> None:
    wc = Wc(api)
    created = await wc("PUT", "/customers/CRM-42", {
        "identifiers": {"email": "jane@example.com"}, "metadata": {"tier": "gold"}})
    assert created.status == 201, created.body
    assert created.body["id"] == "CRM-42"
    assert created.body["identifiers"] == {"email": "jane@example.com"}
    assert created.body["metadata"] == {"tier": "gold"}
    replaced = await wc("PUT", "/customers/CRM-42", {"metadata": {"tier": "silver"}})
    assert replaced.status == 200, replaced.body
    assert replaced.body["identifiers"] == {} and replaced.body["metadata"] == {"tier": "silver"}
    got = await wc("GET", "/customers/CRM-42")
    assert got.status == 200 and got.body == replaced.body
    native = await api.rest("GET", "/api/v1/customers", params={"search": "x"})
    assert native.status == 200
    problem(await wc("GET", "/customers/CRM-404"), 404)
    problem(await wc("PUT", "/customers/CRM-1", {"name": "Jane"}), 400)
    problem(await wc("PUT", "/customers/CRM-1", {"metadata": {"identifiers": 1}}), 400)


# --- webhooks -------------------------------------------------------------------------


async def test_webhooks(api: Api) -> None:
    wc = Wc(api)
    created = await wc("POST", "/webhooks", {
        "endpoint": "https://hooks.example.com/wallet", "events": ["Pass:Created", "Pass:*"],
        "enabled": True, "description": "CRM sync"})
    assert created.status == 200, created.body  # The Wallet Crew's POST answers 200
    hook = created.body
    assert len(hook["signatureSecret"]) == 64 and int(hook["signatureSecret"], 16) >= 0
    assert hook["endpoint"] == "https://hooks.example.com/wallet"
    assert hook["events"] == ["Pass:Created", "Pass:*"] and hook["enabled"] is True
    hook_id = hook["id"]

    listed = await wc("GET", "/webhooks")
    assert listed.status == 200
    assert [w["id"] for w in listed.body] == [hook_id]
    assert "signatureSecret" not in listed.body[0]
    got = await wc("GET", f"/webhooks/{hook_id}")
    assert got.status == 200 and got.body["description"] == "CRM sync"
    patched = await wc("PATCH", f"/webhooks/{hook_id}", {"enabled": False,
                                                         "events": ["Pass:Installed"]})
    assert patched.status == 200, patched.body
    assert patched.body["enabled"] is False and patched.body["events"] == ["Pass:Installed"]
    assert patched.body["endpoint"] == hook["endpoint"]

    missing = problem(await wc("POST", "/webhooks", {"endpoint": "https://x.example.com"}),
                      400)
    assert "events" in missing["errors"]
    bad_url = problem(await wc("POST", "/webhooks", {"endpoint": "ftp://x.example.com",
                                                     "events": ["Pass:Created"]}), 400)
    assert "endpoint" in bad_url["errors"]
    problem(await wc("PATCH", f"/webhooks/{hook_id}", {}), 400)
    problem(await wc("PATCH", f"/webhooks/{hook_id}", {"url": "https://y.example.com"}), 400)

    assert (await wc("DELETE", f"/webhooks/{hook_id}")).status == 204
    problem(await wc("GET", f"/webhooks/{hook_id}"), 404)
    problem(await wc("GET", "/webhooks/abcde"), 404)
    assert (await wc("GET", "/webhooks")).body == []


# --- insights -------------------------------------------------------------------------


async def _scan(api: Api, code: str) -> None:
    await api.gql("mutation($c: String!) { validatePass(input: {code: $c}) { valid } }",
                  {"c": code})


async def test_insights_queries(api: Api) -> None:
    wc = Wc(api)
    await template(api, "Loyalty")
    first = await new_pass(wc)
    second = await new_pass(wc, None)
    codes = {p: (await wc("GET", f"/passes/{p}")).body["secret"] for p in (first, second)}
    await _scan(api, codes[first])   # accepted (single use)
    await _scan(api, codes[first])   # rejected: used up
    await _scan(api, codes[second])  # accepted
    await _scan(api, "NO-SUCH-CODE")  # rejected: not found

    async def run(query: str, **extra: Any) -> RestAnswer:
        return await wc("POST", "/insights/query", {"query": query, **extra})

    everything = await run("Events")
    assert everything.status == 200, everything.body
    assert [c["name"] for c in everything.body["columns"]] == [
        "eventId", "timestamp", "tenantId", "eventType", "operationId", "properties"]
    assert everything.body["columns"][1]["type"] == "datetime"
    # Four scans, and the two passes' Pass:Created before them.
    assert [r[3] for r in everything.body["rows"]] == [
        "Scan:Rejected", "Scan:Accepted", "Scan:Rejected", "Scan:Accepted", "Pass:Created",
        "Pass:Created"]
    newest = everything.body["rows"][0]
    assert newest[2] == api.tenant_id and newest[3] == "Scan:Rejected"
    assert newest[5]["reason"] == "not_found" and newest[5]["passId"] is None

    two = await run("Events | take 2")
    assert len(two.body["rows"]) == 2
    counted = await run("Events | summarize count() by eventType")
    assert counted.body["columns"] == [{"name": "eventType", "type": "string"},
                                       {"name": "count_", "type": "long"}]
    assert sorted(counted.body["rows"]) == [["Pass:Created", 2], ["Scan:Accepted", 2],
                                            ["Scan:Rejected", 2]]
    accepted = await run('Events | where eventType == "Scan:Accepted" | summarize n = count()')
    assert accepted.body == {"columns": [{"name": "n", "type": "long"}], "rows": [[2]]}
    by_pass = await run("Events | where properties.passId == pid | take 10",
                        parameters={"pid": first})
    assert [r[3] for r in by_pass.body["rows"]] == ["Scan:Rejected", "Scan:Accepted",
                                                    "Pass:Created"]
    assert {r[5]["passType"] for r in by_pass.body["rows"]} == {"Loyalty"}
    by_type = await run("Events | where properties.passType == 'Loyalty' "
                        "| summarize count() by properties.result")
    assert sorted(by_type.body["rows"], key=str) == [["accepted", 1], ["rejected", 1],
                                                     [None, 1]]
    assert by_type.body["columns"][0] == {"name": "properties_result", "type": "dynamic"}
    after = await run("Events | summarize count() by eventType | where count_ == 2 | take 1")
    assert len(after.body["rows"]) == 1
    nothing = await run('Events | where eventType == "Pass:Installed"')
    assert nothing.body["rows"] == []

    for query, named in (("Events | project eventId", "project"),
                         ('Events | where eventType != "x"', "where"),
                         ('Events | where eventType == "a" and tenantId == "b"', "where"),
                         ("Events | summarize dcount(eventId)", "summarize"),
                         ("Events | take many", "take"),
                         ("Events | where nope == 1", "nope"),
                         ("Events | where eventType == missing", "missing"),
                         ("Requests | take 1", "Requests"),
                         ("Logs | where properties.x != 1", "where")):
        refused = problem(await run(query), 400)
        assert named in refused["detail"], (query, refused)
        assert "query" in refused["errors"]
    assert (await run("Logs | take 1")).status == 200
    assert (await run("Metrics | take 1")).status == 200
    problem(await wc("POST", "/insights/query", {}), 400)


# --- barcode --------------------------------------------------------------------------


def _png(data: bytes) -> tuple[int, int, bytes, bytes]:
    """Width, height, palette and the decompressed scanlines of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    idat = b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == (
            zlib.crc32(kind + body) & 0xFFFFFFFF)
        if kind == b"IDAT":
            idat += body
        chunks[kind] = body
        pos += 12 + length
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    return width, height, chunks[b"PLTE"], zlib.decompress(idat)


async def test_barcode_qr_png(api: Api) -> None:
    wc = Wc(api)
    answer = await wc("GET", "/barcode/qrcode/https%3A%2F%2Fexample.com%2Fp%2F42",
                      params={"w": 200, "fg": "112233", "bg": "ffeedd"})
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"] == "image/png"
    assert "max-age=8640000" in answer.headers["Cache-Control"]
    width, height, palette, rows = _png(answer.body)
    assert (width, height) == (200, 200)
    assert palette == bytes.fromhex("ffeedd112233")  # index 0 background, 1 foreground
    stride = 1 + (width + 7) // 8
    assert len(rows) == stride * height
    assert rows[stride + 1] & 0x80 == 0  # the quiet zone is background
    middle = rows[stride * 100: stride * 101]
    assert any(middle[1:])  # some dark modules across the middle

    default = await wc("GET", "/barcode/qrcode/hello", params={"h": 50})
    assert _png(default.body)[:2] == (300, 300)
    tiny = await wc("GET", "/barcode/qrcode/hello", params={"w": 5})
    assert _png(tiny.body)[0] == 29  # raised to one pixel a module (21 + quiet zone)

    pdf417 = await wc("GET", "/barcode/pdf417/hello")  # every type is drawn now
    assert pdf417.status == 200 and _png(pdf417.body)[0] == 300
    assert "ean13" in problem(await wc("GET", "/barcode/ean13/123x"), 400)["errors"]["data"][0]
    assert "type" in problem(await wc("GET", "/barcode/foo/hello"), 400)["errors"]
    assert "fg" in problem(await wc("GET", "/barcode/qrcode/x", params={"fg": "red"}),
                           400)["errors"]
    problem(await wc("GET", "/barcode/qrcode/x", params={"w": 99999}), 400)
    problem(await wc("GET", "/barcode/qrcode/" + "x" * 3000), 400)


# --- the rest of the spec -------------------------------------------------------------


async def test_openapi_lists_the_dialect(api: Api) -> None:
    doc = (await api.rest("GET", "/api/v1/openapi.json")).body
    paths = {p: ops for p, ops in doc["paths"].items() if p.startswith("/api/{tenantId}")}
    assert {"/api/{tenantId}/passes", "/api/{tenantId}/passes/{passId}",
            "/api/{tenantId}/customers/{customerId}", "/api/{tenantId}/webhooks/{id}",
            "/api/{tenantId}/insights/query", "/api/{tenantId}/barcode/{type}/{data}"
            } <= set(paths)
    ops = [op for ops in paths.values() for op in ops.values()]
    barcode = paths["/api/{tenantId}/barcode/{type}/{data}"]["get"]
    assert barcode["security"] == [{}, {"apiKeyHeader": []}]  # anonymous, a key optional
    google = paths["/api/{tenantId}/passes/google"]["post"]  # Google signs the body
    assert google["security"] == [{}]
    protocols = [op for path, ops in paths.items() for op in ops.values()
                 if "/passes/apple/v1/" in path or path.endswith("/passes/google")]
    assert all(op["security"] == [{"apiKeyHeader": []}] for op in ops
               if op is not barcode and op not in protocols)
    ids = [op["operationId"] for op in ops]
    assert len(ids) == len(set(ids))
    listing = paths["/api/{tenantId}/passes"]["get"]
    assert listing["responses"]["404"]["content"][PROBLEM]
    assert {"pageIndex", "pageSize", "tenantId"} <= {p["name"] for p in listing["parameters"]}
    assert "WalletcrewPass" in doc["components"]["schemas"]
    assert "errors" in doc["components"]["schemas"]["walletcrewError"]["properties"]
    # The PassKit web service under the dialect's paths, with ApplePass, not a key.
    passkit = "/api/{tenantId}/passes/apple/v1"
    register = paths[passkit + "/devices/{deviceLibraryIdentifier}/registrations/"
                     "{passTypeIdentifier}/{serialNumber}"]
    assert set(register) == {"post", "delete"}
    assert register["post"]["security"] == [{"applePass": []}]
    assert {"200", "201", "400", "401"} <= set(register["post"]["responses"])
    latest = paths[passkit + "/passes/{passTypeIdentifier}/{serialNumber}"]["get"]
    assert "application/vnd.apple.pkpass" in latest["responses"]["200"]["content"]
    assert "304" in latest["responses"]
    assert paths[passkit + "/devices/{deviceLibraryIdentifier}/registrations/"
                 "{passTypeIdentifier}"]["get"]["security"] == [{}]
    assert paths[passkit + "/log"]["post"]["security"] == [{}]
    assert doc["components"]["securitySchemes"]["applePass"]["name"] == "Authorization"
