"""Existing codes and vendor ids: createPass/createPasses keep a given code and the pass's id
at its former vendor; codes are unique per tenant (not across tenants); each dialect's create
route takes them in the vendor's spelling and its pass routes take the vendor's id."""

import asyncio
from typing import Any

from strawberry import relay

from resolvers import auth
from resolvers.ids import public_token
from tests.conftest import SECRET, Api
from tests.fragments import VALIDATE
from tests.test_rest_accessgrid import Signed, credential
from tests.test_rest_walletcrew import Wc, template

CREATE = """
mutation($input: CreatePassInput!) {
  createPass(input: $input) {
    pass { id code externalId state status usagesCount maxUsages publicUrl }
  }
}
"""
CREATE_MANY = """
mutation($input: CreatePassesInput!) {
  createPasses(input: $input) {
    count passes { id code externalId usagesCount state }
    skipped { index code externalId passId }
  }
}
"""
BY_EXTERNAL = "query($e: String!) { pass(externalId: $e) { id code externalId } }"


async def create(api: Api, **fields: Any) -> dict[str, Any]:
    return (await api.gql(CREATE, {"input": fields}))["createPass"]["pass"]


async def test_a_given_code_is_kept_and_validates(api: Api) -> None:
    p = await create(api, code="vip-001", externalId="ext-1", type="MULTI", maxUsages=5,
                     usagesCount=2)
    assert (p["code"], p["externalId"], p["usagesCount"]) == ("VIP-001", "ext-1", 2)
    checked = (await api.gql(VALIDATE, {"input": {"code": "vip-001"}}))["validatePass"]
    assert checked["valid"] is True and checked["remainingUsages"] == 2
    found = (await api.gql(BY_EXTERNAL, {"e": "ext-1"}))["pass"]
    assert found["id"] == p["id"]


async def test_codes_are_unique_per_tenant_not_globally(api: Api) -> None:
    other = await api.other_tenant()
    mine = await create(api, code="VIP001")
    theirs = await create(other, code="VIP001", externalId="ext-1")
    await create(api, externalId="ext-1")  # external ids are per tenant too
    assert mine["id"] != theirs["id"]
    # Each tenant's gate uses its own pass; the other tenant's stays untouched.
    await api.gql(VALIDATE, {"input": {"code": "VIP001"}})
    got = await other.gql("query { pass(code: \"VIP001\") { id usagesCount } }")
    assert got["pass"] == {"id": theirs["id"], "usagesCount": 0}
    mine_now = await api.gql("query { pass(code: \"VIP001\") { usagesCount } }")
    assert mine_now["pass"]["usagesCount"] == 1
    # Each public page shows its own tenant's pass (the token names the tenant).
    for p in (mine, theirs):
        resp = await api.client.get(p["publicUrl"].removeprefix("http://passes.test"))
        assert resp.status == 200
    assert mine["publicUrl"] != theirs["publicUrl"]
    # A given code's token is bound to its tenant: the old tenant-less token opens nothing.
    bare = public_token(SECRET.encode(), "VIP001")
    assert (await api.client.get(f"/p/VIP001?token={bare}")).status == 404


async def test_taken_empty_long_and_unsafe_codes_are_refused(api: Api) -> None:
    await create(api, code="TAKEN-1", externalId="v-1")
    cases = [
        ({"code": "taken-1"}, "CONFLICT", "code"),
        ({"externalId": "v-1"}, "CONFLICT", "externalId"),
        ({"code": "  "}, "BAD_USER_INPUT", "code"),
        ({"code": "A" * 65}, "BAD_USER_INPUT", "code"),
        ({"code": "VIP 001"}, "BAD_USER_INPUT", "code"),
        ({"code": "VIP/001"}, "BAD_USER_INPUT", "code"),
        ({"code": "VIPé"}, "BAD_USER_INPUT", "code"),
        ({"externalId": "pass_0123"}, "BAD_USER_INPUT", "externalId"),
        ({"externalId": "a b"}, "BAD_USER_INPUT", "externalId"),
        ({"type": "MULTI", "maxUsages": 2, "usagesCount": 3}, "BAD_USER_INPUT", "usagesCount"),
        ({"usagesCount": -1}, "BAD_USER_INPUT", "usagesCount"),
    ]
    for fields, code, field in cases:
        error = await api.error(CREATE, {"input": fields})
        assert error["extensions"]["code"] == code, (fields, error)
        assert error["extensions"].get("field") == field, (fields, error)
        assert field in error["message"] or "code" in error["message"], error
    count = await api.gql("query { passes { totalCount } }")
    assert count["passes"]["totalCount"] == 1


async def test_bulk_names_the_item_and_is_all_or_nothing(api: Api) -> None:
    await create(api, code="OLD-1")
    error = await api.error(CREATE_MANY, {"input": {"passes": [
        {"code": "NEW-1"}, {"code": "OLD-1"}]}})
    assert error["extensions"]["code"] == "CONFLICT"
    assert error["extensions"]["field"] == "passes[1].code" and "OLD-1" in error["message"]
    error = await api.error(CREATE_MANY, {"input": {"passes": [
        {"code": "TWICE"}, {"name": "x"}, {"code": "twice"}]}})
    assert error["extensions"]["field"] == "passes[2].code"
    assert (await api.gql("query { passes { totalCount } }"))["passes"]["totalCount"] == 1


async def test_skip_existing_makes_a_batch_rerunnable(api: Api) -> None:
    batch = [{"code": f"R-{i}", "externalId": f"r{i}", "usagesCount": i % 2, "type": "MULTI",
              "state": "SUSPENDED" if i == 2 else "ACTIVE"} for i in range(4)]
    first = (await api.gql(CREATE_MANY, {"input": {"passes": batch,
                                                   "skipExisting": True}}))["createPasses"]
    assert first["count"] == 4 and first["skipped"] == []
    assert [p["state"] for p in first["passes"]] == ["ACTIVE", "ACTIVE", "SUSPENDED", "ACTIVE"]
    again = (await api.gql(CREATE_MANY, {"input": {"passes": [*batch, {"code": "R-9"}],
                                                   "skipExisting": True}}))["createPasses"]
    assert again["count"] == 1 and again["passes"][0]["code"] == "R-9"
    assert [s["index"] for s in again["skipped"]] == [0, 1, 2, 3]
    assert {s["passId"] for s in again["skipped"]} == {p["id"] for p in first["passes"]}
    assert (await api.gql("query { passes { totalCount } }"))["passes"]["totalCount"] == 5


async def test_concurrent_creates_of_one_code_keep_one(api: Api) -> None:
    results = await asyncio.gather(*(api.post(CREATE, {"input": {"code": "RACE"}})
                                     for _ in range(8)))
    ok = [b for _, b in results if "errors" not in b]
    refused = [b["errors"][0]["extensions"]["code"] for _, b in results if "errors" in b]
    assert len(ok) == 1 and refused == ["CONFLICT"] * 7


# --- each dialect's create route and its pass routes -----------------------------------


async def test_native_create_takes_code_and_external_id(api: Api) -> None:
    r = await api.rest("POST", "/api/v1/passes", {"code": "pqr-abc12345", "external_id":
                                                  "7b1e3c2a-9d4f-4a51-8f1e-2b6c0d9e4f11"})
    assert r.status == 201, r.body
    p = r.body["data"]
    assert p["code"] == "PQR-ABC12345"
    assert p["external_id"] == "7b1e3c2a-9d4f-4a51-8f1e-2b6c0d9e4f11"
    got = await api.rest("GET", f"/api/v1/passes/{p['external_id']}")
    assert got.status == 200 and got.body["data"]["id"] == p["id"]
    by_code = await api.rest("GET", "/api/v1/passes/PQR-ABC12345")
    assert by_code.status == 200 and by_code.body["data"]["id"] == p["id"]
    suspended = await api.rest("POST", f"/api/v1/passes/{p['external_id']}/suspend")
    assert suspended.status == 200 and suspended.body["data"]["status"] == "suspended"
    taken = await api.rest("POST", "/api/v1/passes", {"code": "PQR-ABC12345"})
    assert taken.status == 409 and taken.body["error"] == "CONFLICT"
    assert taken.body["field"] == "code"
    bad = await api.rest("POST", "/api/v1/passes", {"code": "no spaces"})
    assert bad.status == 400 and bad.body["field"] == "code"
    bulk = await api.rest("POST", "/api/v1/passes/bulk", {"passes": [
        {"code": "B-1", "external_id": "b1"}, {"code": "PQR-ABC12345"}]})
    assert bulk.status == 409 and bulk.body["field"] == "passes[1].code"


async def test_passengine_keeps_its_id_and_code(api: Api) -> None:
    key = (await auth.create_key(api.db, api.tenant_id, name="pe", scopes="all",
                                 dialect="passengine")).key
    r = await api.rest("POST", "/api/v1/passes", {"type": "single", "name": "Moved",
                                                  "id": "clx1abc2def3", "code": "K7P2M9Q4R8T1"},
                       key=key)
    assert r.status == 201, r.body
    assert (r.body["id"], r.body["code"]) == ("clx1abc2def3", "K7P2M9Q4R8T1")
    got = await api.rest("GET", "/api/v1/passes/clx1abc2def3", key=key)
    assert got.status == 200 and got.body["name"] == "Moved"
    listed = await api.rest("GET", "/api/v1/passes", key=key)
    assert [p["id"] for p in listed.body] == ["clx1abc2def3"]
    scanned = await api.rest("POST", "/api/v1/scan", {"code": "k7p2m9q4r8t1"}, key=key)
    assert scanned.status == 200 and scanned.body["valid"] is True
    assert scanned.body["pass"]["id"] == "clx1abc2def3"
    revoked = await api.rest("DELETE", "/api/v1/passes/clx1abc2def3", key=key)
    assert revoked.status == 200 and revoked.body["status"] == "revoked"
    missing = await api.rest("GET", "/api/v1/passes/clx-not-ours", key=key)
    assert missing.status == 404 and set(missing.body) == {"error"}


async def test_walletcrew_keeps_its_id_and_secret(api: Api) -> None:
    wc = Wc(api)
    await template(api, "Loyalty")
    created = await wc("POST", "/passes", {"id": "wc-pass-0001", "secret": "S3CR3T42",
                                           "identifiers": {"member": "42"}},
                       params={"passType": "Loyalty"})
    assert created.status == 201, created.body
    assert created.body == {"passId": "wc-pass-0001"}
    got = await wc("GET", "/passes/wc-pass-0001")
    assert got.status == 200
    assert (got.body["id"], got.body["secret"]) == ("wc-pass-0001", "S3CR3T42")
    patched = await wc("PATCH", "/passes", {"metadata": {"tier": "gold"}},
                       params={"id": "wc-pass-0001"})
    assert patched.status == 204, patched.body
    patched = await wc("PATCH", "/passes/wc-pass-0001", {"metadata": {"seen": "1"}})
    assert patched.status == 204, patched.body
    got = await wc("GET", "/passes/wc-pass-0001")
    assert got.body["metadata"] == {"tier": "gold", "seen": "1"}
    listed = await wc("GET", "/passes")
    assert [p["id"] for p in listed.body] == ["wc-pass-0001"]
    assert (await wc("DELETE", "/passes/wc-pass-0001")).status == 204
    assert (await wc("GET", "/passes/nobody-here")).status == 404


async def test_accessgrid_keeps_the_card_id(api: Api) -> None:
    account_id, secret = await credential(api)
    signed = Signed(api, account_id, secret)
    tpl = (await api.gql('mutation { createTemplate(input: {name: "Doors"}) '
                         '{ template { id } } }'))["createTemplate"]["template"]["id"]
    template_id = relay.GlobalID.from_id(tpl).node_id
    status, card = await signed("POST", "/v1/key-cards", {
        "card_template_id": template_id, "full_name": "Ada", "id": "0xc0ffee01"})
    assert status in (200, 201), card
    assert card["id"] == "0xc0ffee01"
    status, got = await signed("GET", "/v1/key-cards/0xc0ffee01")
    assert status == 200 and got["full_name"] == "Ada"
    status, suspended = await signed("POST", "/v1/key-cards/0xc0ffee01/suspend")
    assert status == 200 and suspended["state"] == "suspended"
    status, missing = await signed("GET", "/v1/key-cards/0xdeadbeef")
    assert status == 404 and "message" in missing


async def test_the_hot_path_stays_one_indexed_lookup(api: Api, backend: str) -> None:
    """Validation finds the pass by (code, tenant) through the unique index on both."""
    await create(api, code="IDX-1")
    await api.gql(CREATE_MANY, {"input": {"passes": [{"externalId": f"i{i}"}
                                                     for i in range(300)]}})
    async with api.db.engine.connect() as conn:
        if backend == "sqlite":
            plan = (await conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN UPDATE passes SET usages_count = usages_count + 1 "
                "WHERE code = 'IDX-1' AND tenant_id = ? AND state = 'active'",
                (api.tenant_id,))).all()
            text = " ".join(str(row[-1]) for row in plan)
            assert "USING INDEX" in text and "code=? AND tenant_id=?" in text, text
        else:
            await conn.exec_driver_sql("ANALYZE passes")
            await conn.exec_driver_sql("SET enable_seqscan = off")  # small tables: force it
            plan = (await conn.exec_driver_sql(
                "EXPLAIN UPDATE passes SET usages_count = usages_count + 1 "
                f"WHERE code = 'IDX-1' AND tenant_id = '{api.tenant_id}' "
                "AND state = 'active'")).all()
            text = " ".join(row[0] for row in plan)
            assert "Index Scan using uq_passes_tenant_code" in text, text
