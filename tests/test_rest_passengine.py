"""The PassEngine REST dialect (seed 000) over real HTTP, with ``2pk_`` keys: bare camelCase
objects, bare arrays, ``{"error": message}`` refusals, ``/scan`` and one 30-a-minute bucket
per key across the dialect's routes. The key's dialect picks the answer on a shared path."""

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from gateway.app import create_app
from resolvers import auth
from resolvers.ids import public_token
from tests.conftest import SECRET, Api, RestAnswer, make_api

B = "/api/v1"
HOUR = 3600  # a long rate window: a burst never straddles two windows
SEED_KEYS = {"id", "code", "name", "type", "status", "maxUsages", "usagesCount", "validFrom",
             "validUntil", "publicUrl", "createdAt"}
JS_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")  # Date.toISOString()
SEED_BODY = {
    "type": "single",
    "name": "VIP Guest",
    "validUntil": "2025-12-31T23:59:59Z",
    "customFields": [
        {"key": "Full Name", "value": "John Doe", "isPublic": True}
    ],
}


@pytest.fixture
async def client(aiohttp_client, settings):
    settings.rate_limit_window = HOUR
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def pe(api: Api) -> str:
    """A PassEngine key (``2pk_…``) of the api fixture's tenant."""
    minted = await auth.create_key(api.db, api.tenant_id, name="pe", scopes="all",
                                   dialect="passengine")
    assert minted.key.startswith("2pk_")
    return minted.key


def when(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat().replace("+00:00", "Z")


async def rest(api: Api, key: str, method: str, path: str, json: Any = None,
               **kw: Any) -> RestAnswer:
    r = await api.rest(method, path, json, key=key, **kw)
    assert r.status < 500, (method, path, r.status, r.body)
    return r


async def ok(api: Api, key: str, method: str, path: str, json: Any = None, status: int = 200,
             **kw: Any) -> Any:
    r = await rest(api, key, method, path, json, **kw)
    assert r.status == status, (method, path, r.status, r.body)
    assert "application/json" in r.headers["Content-Type"]
    return r.body


async def refused(api: Api, key: str, method: str, path: str, json: Any = None, *,
                  status: int, **kw: Any) -> str:
    """PassEngine's refusal: ``{"error": "message"}`` and nothing else."""
    r = await rest(api, key, method, path, json, **kw)
    assert r.status == status, (method, path, r.status, r.body)
    assert isinstance(r.body, dict) and set(r.body) == {"error"}, r.body
    assert isinstance(r.body["error"], str) and r.body["error"], r.body
    return r.body["error"]


async def create(api: Api, key: str, **fields: Any) -> dict[str, Any]:
    body = await ok(api, key, "POST", f"{B}/passes", {"type": "single", **fields}, status=201)
    assert isinstance(body, dict) and "data" not in body, body
    return body


async def scan(api: Api, key: str, code: str) -> RestAnswer:
    return await rest(api, key, "POST", f"{B}/scan", {"code": code})


# ---------------------------------------------------------------- seed 000, exactly


async def test_seed_curl_example(api, pe):
    r = await api.client.post(f"{B}/passes", data=orjson.dumps(SEED_BODY), headers={
        "Authorization": f"Bearer {pe}", "Content-Type": "application/json"})
    assert r.status == 201
    assert r.content_type == "application/json"
    p = await r.json()
    assert SEED_KEYS <= set(p), p
    assert "data" not in p  # a bare object, not an envelope
    assert p["validUntil"] == "2025-12-31T23:59:59.000Z"
    assert p["name"] == "VIP Guest" and p["type"] == "single"
    assert p["maxUsages"] is None and p["usagesCount"] == 0 and p["validFrom"] is None
    past = datetime.now(UTC) > datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert p["status"] == ("expired" if past else "active")
    assert p["id"].startswith("pass_")
    assert re.fullmatch(r"[A-Za-z0-9]+", p["code"])
    assert JS_TIME.fullmatch(p["createdAt"])
    assert f"/p/{p['code']}?token=" in p["publicUrl"]
    token = public_token(SECRET.encode(), p["code"])
    assert p["publicUrl"] == f"http://passes.test/p/{p['code']}?token={token}"
    assert p["customFields"] == SEED_BODY["customFields"]
    assert r.headers["X-RateLimit-Limit"] == "30"
    assert r.headers["X-RateLimit-Remaining"] == "29"
    again = await ok(api, pe, "GET", f"{B}/passes/{p['id']}")
    assert again == p


async def test_javascript_example_without_valid_until(api, pe):
    p = await ok(api, pe, "POST", f"{B}/passes", {
        "type": "single", "name": "VIP Guest",
        "customFields": [{"key": "Full Name", "value": "John Doe", "isPublic": True}]},
        status=201)
    assert p["status"] == "active" and p["validUntil"] is None
    assert p["publicUrl"].startswith("http://passes.test/p/")


@pytest.mark.parametrize("body", [
    {"name": "VIP Guest"},
    {},
    {"type": None},
])
async def test_missing_type_is_400(api, pe, body):
    message = await refused(api, pe, "POST", f"{B}/passes", body, status=400)
    assert "type" in message
    assert await ok(api, pe, "GET", f"{B}/passes") == []


@pytest.mark.parametrize(("body", "word"), [
    ({"type": "double"}, "type"),
    ({"type": "single", "maxUsages": "3"}, "maxUsages"),
    ({"type": "multi", "maxUsages": 0}, "maxUsages"),
    ({"type": "single", "validUntil": "soon"}, "validUntil"),
    ({"type": "single", "validFrom": 1}, "validFrom"),
    ({"type": "single", "name": 5}, "name"),
    ({"type": "single", "customFields": {"key": "a"}}, "customFields"),
    ({"type": "single", "customFields": [{"key": "a", "isPublic": "yes"}]}, "customFields"),
    ({"type": "single", "holder_name": "snake"}, "holder_name"),
    ({"type": "single", "validFrom": "2030-01-02T00:00:00Z",
      "validUntil": "2030-01-01T00:00:00Z"}, "valid"),
    ({"type": "single", "maxUsages": 3}, "maxUsages"),
])
async def test_bad_input_is_400_with_error_only(api, pe, body, word):
    message = await refused(api, pe, "POST", f"{B}/passes", body, status=400)
    assert word in message
    assert await ok(api, pe, "GET", f"{B}/passes") == []


async def test_bad_json_is_400(api, pe):
    headers = {"Content-Type": "application/json"}
    for raw in (b"{", b"[1, 2]", b'"single"'):
        await refused(api, pe, "POST", f"{B}/passes", data=raw, headers=headers, status=400)


async def test_multi_pass_and_internal_fields(api, pe):
    p = await create(api, pe, type="multi", maxUsages=3, note="internal",
                     validFrom="2020-01-01T00:00:00Z", validUntil=when(timedelta(days=3)))
    assert (p["type"], p["maxUsages"], p["usagesCount"]) == ("multi", 3, 0)
    assert p["validFrom"] == "2020-01-01T00:00:00.000Z"
    assert JS_TIME.fullmatch(p["validUntil"])
    assert p["note"] == "internal"
    unlimited = await create(api, pe, type="multi")
    assert unlimited["maxUsages"] is None


# ---------------------------------------------------------------- list


async def test_list_is_a_bare_array_with_search_status_limit_page(api, pe):
    gala = await create(api, pe, name="Gala dinner")
    other = await create(api, pe, name="Workshop")
    third = await create(api, pe, name="Gala lunch")
    revoked = await create(api, pe, name="Old")
    await ok(api, pe, "DELETE", f"{B}/passes/{revoked['id']}")
    everything = await ok(api, pe, "GET", f"{B}/passes")
    assert isinstance(everything, list)
    assert {p["id"] for p in everything} == {gala["id"], other["id"], third["id"]}
    for p in everything:
        assert SEED_KEYS <= set(p) and "client" in p
    by_name = await ok(api, pe, "GET", f"{B}/passes", params={"search": "Gala"})
    assert {p["id"] for p in by_name} == {gala["id"], third["id"]}
    by_code = await ok(api, pe, "GET", f"{B}/passes", params={"search": other["code"]})
    assert [p["id"] for p in by_code] == [other["id"]]
    gone = await ok(api, pe, "GET", f"{B}/passes", params={"status": "revoked"})
    assert [(p["id"], p["status"]) for p in gone] == [(revoked["id"], "revoked")]
    active = await ok(api, pe, "GET", f"{B}/passes", params={"status": "active"})
    assert {p["id"] for p in active} == {gala["id"], other["id"], third["id"]}
    newest_first = sorted((p["id"] for p in (gala, other, third)), reverse=True)
    pages = [[p["id"] for p in await ok(api, pe, "GET", f"{B}/passes",
                                        params={"limit": 2, "page": n})] for n in (1, 2, 3)]
    assert pages == [newest_first[:2], newest_first[2:], []]


async def test_list_status_used_and_expired(api, pe):
    used = await create(api, pe)
    assert (await scan(api, pe, used["code"])).status == 200
    expired = await create(api, pe, validUntil=when(-timedelta(minutes=1)))
    got = await ok(api, pe, "GET", f"{B}/passes", params={"status": "used"})
    assert [(p["id"], p["status"]) for p in got] == [(used["id"], "used")]
    got = await ok(api, pe, "GET", f"{B}/passes", params={"status": "expired"})
    assert [(p["id"], p["status"]) for p in got] == [(expired["id"], "expired")]


async def test_list_default_limit_is_25(api, pe):
    await api.gql("mutation($i: CreatePassesInput!) { createPasses(input: $i) { count } }",
                  {"i": {"passes": [{}] * 30}})
    assert len(await ok(api, pe, "GET", f"{B}/passes")) == 25
    assert len(await ok(api, pe, "GET", f"{B}/passes", params={"page": 2})) == 5
    assert len(await ok(api, pe, "GET", f"{B}/passes", params={"limit": 100})) == 30


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 101}, {"limit": "many"}, {"page": 0}, {"status": "bogus"},
    {"page": 10**20},
])
async def test_list_query_checks(api, pe, params):
    message = await refused(api, pe, "GET", f"{B}/passes", params=params, status=400)
    assert next(iter(params)) in message


async def test_list_items_carry_the_client(api, pe):
    customer = await api.gql(
        "mutation($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { customer { id } } }",
        {"i": {"name": "John Doe", "email": "john@example.com"}})
    cid = customer["upsertCustomer"]["customer"]["id"]
    native = await api.rest("POST", f"{B}/passes", {"customer_id": cid, "name": "Linked"})
    assert native.status == 201, native.body
    await create(api, pe, name="Loose")
    got = {p["name"]: p["client"] for p in await ok(api, pe, "GET", f"{B}/passes")}
    assert got == {"Linked": {"name": "John Doe", "email": "john@example.com"}, "Loose": None}


# ---------------------------------------------------------------- one pass


async def test_get_patch_delete(api, pe):
    p = await create(api, pe, name="Before", note="n1")
    path = f"{B}/passes/{p['id']}"
    assert await ok(api, pe, "GET", path) == p
    patched = await ok(api, pe, "PATCH", path, {
        "name": "After", "note": "n2", "validUntil": "2031-06-01T12:00:00Z",
        "customFields": [{"key": "Seat", "value": "A1"}]})
    assert (patched["id"], patched["code"]) == (p["id"], p["code"])
    assert (patched["name"], patched["note"]) == ("After", "n2")
    assert patched["validUntil"] == "2031-06-01T12:00:00.000Z"
    assert patched["customFields"] == [{"key": "Seat", "value": "A1", "isPublic": False}]
    assert await ok(api, pe, "GET", path) == patched
    await refused(api, pe, "PATCH", path, {}, status=400)
    await refused(api, pe, "PATCH", path, {"name": "x", "holder_name": "y"}, status=400)
    deleted = await ok(api, pe, "DELETE", path)
    assert deleted["id"] == p["id"] and deleted["status"] == "revoked"
    assert SEED_KEYS <= set(deleted)
    assert (await ok(api, pe, "GET", path))["status"] == "revoked"
    r = await scan(api, pe, p["code"])
    assert r.status == 200 and (r.body["valid"], r.body["reason"]) == (False, "revoked")


async def test_suspend_and_resume(api, pe):
    p = await create(api, pe)
    s = await ok(api, pe, "POST", f"{B}/passes/{p['id']}/suspend")
    assert s["status"] == "suspended"
    assert (await scan(api, pe, p["code"])).body["reason"] == "revoked"
    r = await ok(api, pe, "POST", f"{B}/passes/{p['id']}/resume")
    assert r["status"] == "active"
    assert (await scan(api, pe, p["code"])).body["reason"] == "ok"


@pytest.mark.parametrize("ref", ["clx1abcdefghijklmnop", "pass_00000000000000000000000000"])
async def test_missing_pass_is_404(api, pe, ref):
    for method, body in (("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)):
        await refused(api, pe, method, f"{B}/passes/{ref}", body, status=404)


async def test_another_tenants_pass_is_404(api, pe):
    other = await api.other_tenant()
    theirs = await other.rest("POST", f"{B}/passes", {"name": "Theirs"})
    assert theirs.status == 201
    pid, code = theirs.body["data"]["id"], theirs.body["data"]["code"]
    for method, body in (("GET", None), ("PATCH", {"name": "Mine"}), ("DELETE", None)):
        await refused(api, pe, method, f"{B}/passes/{pid}", body, status=404)
    await refused(api, pe, "POST", f"{B}/scan", {"code": code}, status=404)
    still = await other.rest("GET", f"{B}/passes/{pid}")
    assert (still.body["data"]["name"], still.body["data"]["status"]) == ("Theirs", "active")
    assert still.body["data"]["uses_count"] == 0


# ---------------------------------------------------------------- scan


async def test_scan_single_then_used(api, pe):
    p = await create(api, pe, name="Door")
    first = await scan(api, pe, p["code"])
    assert first.status == 200
    assert set(first.body) == {"valid", "reason", "pass"}
    assert (first.body["valid"], first.body["reason"]) == (True, "ok")
    assert first.body["pass"]["id"] == p["id"] and first.body["pass"]["usagesCount"] == 1
    assert first.body["pass"]["status"] == "used"
    assert SEED_KEYS <= set(first.body["pass"])
    second = await scan(api, pe, p["code"])
    assert second.status == 200
    assert (second.body["valid"], second.body["reason"]) == (False, "used")
    assert second.body["pass"]["usagesCount"] == 1


async def test_scan_multi_expired_not_yet_valid_and_case(api, pe):
    multi = await create(api, pe, type="multi", maxUsages=2)
    reasons = [(await scan(api, pe, multi["code"].lower())).body["reason"] for _ in range(3)]
    assert reasons == ["ok", "ok", "used"]
    expired = await create(api, pe, validUntil=when(-timedelta(hours=1)))
    r = await scan(api, pe, expired["code"])
    assert (r.status, r.body["valid"], r.body["reason"]) == (200, False, "expired")
    later = await create(api, pe, validFrom=when(timedelta(days=1)))
    r = await scan(api, pe, later["code"])
    assert (r.status, r.body["valid"], r.body["reason"]) == (200, False, "not_yet_valid")
    assert r.body["pass"]["usagesCount"] == 0


async def test_scan_unknown_code_is_404(api, pe):
    message = await refused(api, pe, "POST", f"{B}/scan", {"code": "NOSUCHCODE00"}, status=404)
    assert "not found" in message
    await refused(api, pe, "POST", f"{B}/scan", {}, status=400)
    await refused(api, pe, "POST", f"{B}/scan", {"code": 42}, status=400)
    await refused(api, pe, "POST", f"{B}/scan", {"code": "X", "dry_run": True}, status=400)


# ---------------------------------------------------------------- the key's dialect decides


async def test_same_path_answers_in_the_keys_dialect(api, pe):
    native = await api.rest("POST", f"{B}/passes", {"type": "single", "name": "VIP Guest"})
    assert native.status == 201
    assert set(native.body) == {"data"}
    assert native.body["data"]["max_uses"] == 1 and "maxUsages" not in native.body["data"]
    engine = await ok(api, pe, "POST", f"{B}/passes", {"type": "single", "name": "VIP Guest"},
                      status=201)
    assert "data" not in engine and "usagesCount" in engine and "uses_count" not in engine
    listed = await api.rest("GET", f"{B}/passes")
    assert set(listed.body) == {"data", "meta"} and listed.body["meta"]["total"] == 2
    assert len(await ok(api, pe, "GET", f"{B}/passes")) == 2
    # each dialect reads its own fields
    r = await api.rest("POST", f"{B}/passes", {"maxUsages": 2})
    assert r.status == 400 and r.body["error"] == "BAD_USER_INPUT", r.body
    assert "unknown field in the request body: maxUsages" in r.body["message"]
    message = await refused(api, pe, "POST", f"{B}/passes", {"type": "multi", "max_uses": 2},
                            status=400)
    assert "max_uses" in message
    # errors in each dialect's shape
    r = await api.rest("POST", f"{B}/validate", {"code": engine["code"]})
    assert r.status == 200 and r.body["data"]["result"] == "valid"


async def test_scope_refusal_in_engine_shape(api):
    reader = await auth.create_key(api.db, api.tenant_id, name="ro", scopes="passes:read",
                                   dialect="passengine")
    message = await refused(api, reader.key, "POST", f"{B}/passes", {"type": "single"},
                            status=403)
    assert "passes:write" in message
    assert await ok(api, reader.key, "GET", f"{B}/passes") == []


async def test_free_plan_is_403_in_engine_shape(client):
    free = await make_api(client, plan="free")
    key = (await auth.create_key(free.db, free.tenant_id, name="pe", scopes="all",
                                 dialect="passengine")).key
    message = await refused(free, key, "GET", f"{B}/passes", status=403)
    assert "free" in message


# ---------------------------------------------------------------- auth


async def test_bad_key_is_401_in_passengine_shape(api):
    message = await refused(api, "2pk_not_a_real_key", "GET", f"{B}/passes", status=401)
    assert "key" in message


async def test_bad_key_is_401(api, pe):
    for key in ("2pk_not_a_real_key", pe + "x", pe[:-1]):
        r = await rest(api, key, "POST", f"{B}/passes", SEED_BODY)
        assert r.status == 401, r.body
        assert isinstance(r.body, dict) and isinstance(r.body.get("error"), str), r.body
    resp = await api.client.post(f"{B}/passes", json=SEED_BODY)
    assert resp.status == 401 and "error" in await resp.json()
    assert await ok(api, pe, "GET", f"{B}/passes") == []


# ---------------------------------------------------------------- 30 a minute per key


async def test_thirty_a_minute_across_passes_and_scan(api, pe):
    p = await create(api, pe, type="multi")  # 1
    calls: list[tuple[str, str, Any]] = []
    for i in range(29):  # 2..30
        calls.append([("GET", f"{B}/passes", None),
                      ("POST", f"{B}/scan", {"code": p["code"]}),
                      ("POST", f"{B}/passes", {"type": "single", "name": f"n{i}"}),
                      ("GET", f"{B}/passes/{p['id']}", None)][i % 4])
    remaining = []
    for method, path, body in calls:
        r = await rest(api, pe, method, path, body)
        assert r.status in (200, 201), r.body
        assert r.headers["X-RateLimit-Limit"] == "30"
        remaining.append(int(r.headers["X-RateLimit-Remaining"]))
    assert remaining == list(range(28, -1, -1))
    r = await rest(api, pe, "POST", f"{B}/scan", {"code": p["code"]})  # 31
    assert r.status == 429
    assert set(r.body) == {"error"} and "rate limit" in r.body["error"]
    assert 1 <= int(r.headers["Retry-After"]) <= HOUR
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert int(r.headers["X-RateLimit-Reset"]) >= int(time.time())
    for method, path in (("GET", f"{B}/passes"), ("DELETE", f"{B}/passes/{p['id']}")):
        assert (await rest(api, pe, method, path)).status == 429
    # the refused scan used nothing; another key of the tenant has its own budget
    native = await api.rest("GET", f"{B}/passes/{p['id']}")
    scans = sum(1 for _, path, _ in calls if path.endswith("/scan"))
    assert native.status == 200 and native.body["data"]["uses_count"] == scans == 7
    assert native.body["data"]["status"] == "active"


async def test_thirty_one_at_once_admit_exactly_thirty(api, pe):
    p = await create(api, pe, type="multi")
    requests = [rest(api, pe, "POST", f"{B}/scan", {"code": p["code"]}) if i % 2 else
                rest(api, pe, "GET", f"{B}/passes") for i in range(30)]
    answers = await asyncio.gather(*requests)
    statuses = [a.status for a in answers]
    assert statuses.count(429) == 1 and statuses.count(200) == 29, statuses
    refusal = next(a for a in answers if a.status == 429)
    assert set(refusal.body) == {"error"} and "Retry-After" in refusal.headers
    native = await api.rest("GET", f"{B}/passes/{p['id']}")
    scans_admitted = sum(1 for i, a in enumerate(answers) if i % 2 and a.status == 200)
    assert native.body["data"]["uses_count"] == scans_admitted
