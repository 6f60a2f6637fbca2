"""PassQR's public clients against the native dialect, request for request.

``dasecure/passqr-mcp-server`` (``src/passqr-client.ts``, ``src/tools/*.ts``) checks every id
with zod's ``uuid()`` before it sends it, and sends ``content-type: application/json``,
``authorization: Bearer …`` and its user agent on every call, bodies as ``JSON.stringify``
writes them. ``dasecure/passqr-studio`` (``worker/index.js``) patches templates with the
object it was given and builds ``/p/{code}`` from a pass's code. The native dialect writes the
ids of passes, templates, scans and customers as UUIDs and takes either form.
"""

import re
from typing import Any

import orjson

from resolvers.ids import id_from_uuid
from tests.conftest import Api, RestAnswer

B = "/api/v1"
# zod 3.23's uuid(): any 8-4-4-4-12 hex string, either case.
ZOD_UUID = re.compile(r"^[0-9a-fA-F]{8}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{4}\b-[0-9a-fA-F]{4}\b"
                      r"-[0-9a-fA-F]{12}$", re.IGNORECASE)


async def mcp(api: Api, method: str, path: str, body: Any = None) -> RestAnswer:
    """One request as ``PassQRClient.request`` sends it."""
    headers = {"content-type": "application/json", "authorization": f"Bearer {api.key}",
               "user-agent": "passqr-mcp-server/0.1.0"}
    resp = await api.client.request(method, path, headers=headers,
                                    data=None if body is None else orjson.dumps(body))
    text = await resp.text()
    return RestAnswer(resp.status, orjson.loads(text) if text else None, resp.headers)


async def test_the_mcp_servers_tools_with_uuids(api: Api) -> None:
    # list_templates → create_pass(template_id from it) → get/update/revoke by the pass's id.
    made = await mcp(api, "POST", f"{B}/templates",
                     {"name": "Members", "type": "loyalty", "color": "#112233"})
    assert made.status == 201, made.body
    listed = await mcp(api, "GET", f"{B}/templates?page=1&limit=20")
    assert listed.status == 200
    template = listed.body["data"][0]
    assert ZOD_UUID.match(template["id"]) and template["type"] == "loyalty"

    created = await mcp(api, "POST", f"{B}/passes", {
        "template_id": template["id"], "holder_name": "Jane Smith",
        "holder_email": "jane@example.com", "data": {"tier": "gold"}, "max_uses": 1,
        "expires_at": "2099-12-31T23:59:59.000Z"})
    assert created.status == 201, created.body
    p = created.body["data"]
    assert ZOD_UUID.match(p["id"]) and p["template_id"] == template["id"]

    page = await mcp(api, "GET", f"{B}/passes?page=1&limit=20&template_id={template['id']}"
                                 "&status=active")
    assert page.status == 200 and [x["id"] for x in page.body["data"]] == [p["id"]]
    assert page.body["meta"] == {"page": 1, "limit": 20, "total": 1}

    got = await mcp(api, "GET", f"{B}/passes/{p['id']}")
    assert got.status == 200 and got.body["data"]["code"] == p["code"]
    updated = await mcp(api, "PATCH", f"{B}/passes/{p['id']}",
                        {"holder_name": "Jane Doe", "data": {"tier": "platinum"}})
    assert updated.status == 200, updated.body
    assert (updated.body["data"]["holder_name"], updated.body["data"]["data"]) == \
        ("Jane Doe", {"tier": "platinum"})

    checked = await mcp(api, "POST", f"{B}/validate", {"code": p["code"]})
    assert checked.status == 200
    result = checked.body["data"]
    assert result["result"] == "valid" and result["pass"]["id"] == p["id"]
    assert result["template"] == {"id": template["id"], "name": "Members", "type": "loyalty",
                                  "color": "#112233"}
    assert ZOD_UUID.match(result["scan_id"])

    revoked = await mcp(api, "DELETE", f"{B}/passes/{p['id']}")
    assert revoked.status == 200 and revoked.body["data"]["status"] == "revoked"
    assert set(revoked.body) == {"data", "message"}


async def test_either_form_of_an_id_names_the_same_object(api: Api) -> None:
    tpl = (await mcp(api, "POST", f"{B}/templates", {"name": "Gala", "type": "ticket"})
           ).body["data"]
    customer = (await mcp(api, "POST", f"{B}/customers", {"email": "ada@example.com"})
                ).body["data"]
    own_tpl, own_customer = id_from_uuid("template", tpl["id"]), \
        id_from_uuid("customer", customer["id"])
    assert own_tpl and own_tpl.startswith("tpl_") and own_customer.startswith("cus_")

    # Bodies: the passgate form of an id is answered in the UUID form.
    a = (await mcp(api, "POST", f"{B}/passes", {"template_id": own_tpl,
                                                "customer_id": own_customer})).body["data"]
    b = (await mcp(api, "POST", f"{B}/passes", {"template_id": tpl["id"].upper(),
                                                "customer_id": customer["id"]})).body["data"]
    for p in (a, b):
        assert (p["template_id"], p["customer_id"]) == (tpl["id"], customer["id"])
    own_a = id_from_uuid("pass", a["id"])

    # Paths: passes, templates and customers, both forms, UUIDs in either case.
    for ref in (a["id"], a["id"].upper(), own_a):
        got = await mcp(api, "GET", f"{B}/passes/{ref}")
        assert got.status == 200 and got.body["data"]["id"] == a["id"], (ref, got.body)
    for ref in (tpl["id"], own_tpl):
        got = await mcp(api, "GET", f"{B}/templates/{ref}")
        assert got.status == 200 and got.body["data"]["id"] == tpl["id"]
    for ref in (customer["id"], own_customer):
        got = await mcp(api, "GET", f"{B}/customers/{ref}")
        assert got.status == 200 and got.body["data"]["id"] == customer["id"]
    suspended = await mcp(api, "POST", f"{B}/passes/{a['id']}/suspend")
    assert suspended.status == 200 and suspended.body["data"]["status"] == "suspended"
    await mcp(api, "POST", f"{B}/passes/{own_a}/resume")

    # Filters: template_id, customer_id and a scan's pass_id, both forms.
    for flt in ({"template_id": tpl["id"]}, {"template_id": own_tpl},
                {"customer_id": customer["id"]}, {"customer_id": own_customer}):
        listed = await api.rest("GET", f"{B}/passes", params=flt)
        assert sorted(x["id"] for x in listed.body["data"]) == sorted([a["id"], b["id"]]), flt
    await mcp(api, "POST", f"{B}/validate", {"code": a["code"]})
    await mcp(api, "POST", f"{B}/validate", {"code": b["code"]})
    for ref in (a["id"], own_a):
        scans = await api.rest("GET", f"{B}/scans", params={"pass_id": ref})
        assert [s["pass_id"] for s in scans.body["data"]] == [a["id"]]
        assert ZOD_UUID.match(scans.body["data"][0]["id"])
        mine = await api.rest("GET", f"{B}/passes/{ref}/scans")
        assert mine.body["meta"]["total"] == 1

    # A UUID no object has is a 404 in the native shape; the graph keeps its own ids.
    missing = await mcp(api, "GET", f"{B}/passes/00000000-0000-4000-8000-000000000000")
    assert missing.status == 404 and missing.body["error"] == "NOT_FOUND"
    missing = await mcp(api, "GET", f"{B}/templates/00000000-0000-4000-8000-000000000000")
    assert missing.status == 404 and missing.body["error"] == "NOT_FOUND"
    graph = await api.gql("query($id: ID!) { pass(id: $id) { id code } }", {"id": own_a})
    assert graph["pass"]["code"] == a["code"]


async def test_a_moved_pass_answers_to_its_passqr_uuid_first(api: Api) -> None:
    """A pass imported with its PassQR id keeps it: that UUID names it in every path, though
    the pass is presented with its passgate id (in UUID form) and ``external_id``."""
    old = "7b1e3c2a-9d4f-4a51-8f1e-2b6c0d9e4f11"
    made = await api.rest("POST", f"{B}/passes", {"code": "PASS-ABC12345", "external_id": old})
    assert made.status == 201, made.body
    ours = made.body["data"]["id"]
    assert ours != old and made.body["data"]["external_id"] == old
    for ref in (old, ours):
        got = await mcp(api, "PATCH", f"{B}/passes/{ref}", {"holder_name": f"via {ref}"})
        assert got.status == 200 and got.body["data"]["id"] == ours


async def test_template_fields_array_and_settings_object(api: Api) -> None:
    fields = [{"key": "seat", "label": "Seat"}, {"key": "gate", "label": "Gate"}]
    settings = {"allow_sharing": False, "theme": {"accent": "#ff0000"}}
    made = await mcp(api, "POST", f"{B}/templates", {
        "name": "Concert", "type": "ticket", "description": "Summer", "color": "#000000",
        "logo_url": "https://example.com/logo.png", "fields": fields, "settings": settings})
    assert made.status == 201, made.body
    tpl = made.body["data"]
    assert (tpl["type"], tpl["fields"], tpl["settings"]) == ("ticket", fields, settings)
    # passqr-studio's PATCH /templates/{id} with the updates it was given.
    patched = await mcp(api, "PATCH", f"{B}/templates/{tpl['id']}",
                        {"fields": fields[:1], "settings": {"theme": "dark"}})
    assert patched.status == 200, patched.body
    assert (patched.body["data"]["fields"], patched.body["data"]["settings"]) == \
        (fields[:1], {"theme": "dark"})
    got = await mcp(api, "GET", f"{B}/templates/{tpl['id']}")
    assert got.body["data"] == patched.body["data"]
    # A pass of a template whose fields are a list still makes its wallet pass.
    p = (await mcp(api, "POST", f"{B}/passes", {"template_id": tpl["id"]})).body["data"]
    page = await api.client.get(f"/p/{p['code']}")
    assert page.status == 200 and p["code"] in await page.text()
    bad = await mcp(api, "POST", f"{B}/templates", {"name": "X", "settings": [1]})
    assert bad.status == 400 and bad.body["field"] == "settings"
    bad = await mcp(api, "POST", f"{B}/templates", {"name": "X", "fields": "seat"})
    assert bad.status == 400 and bad.body["field"] == "fields"
    bad = await mcp(api, "POST", f"{B}/templates", {"name": "X", "type": "ticket",
                                                    "kind": "coupon"})
    assert bad.status == 400 and bad.body["field"] == "type"


async def test_public_page_from_the_code_alone(api: Api) -> None:
    """PassQR's clients build ``/p/{code}`` themselves: a code passgate minted (80 random
    bits) opens the page; a short code brought from elsewhere still needs its token, and a
    wrong token is refused either way."""
    minted = (await mcp(api, "POST", f"{B}/passes", {"holder_name": "Ada"})).body["data"]
    page = await api.client.get(f"/p/{minted['code']}")
    assert page.status == 200 and "Ada" in await page.text()
    assert (await api.client.get(f"/p/{minted['code'].lower()}")).status == 200
    assert (await api.client.get(f"/p/{minted['code']}?token=AAAAAAAAAAAAAAAAAAAAAA")
            ).status == 404
    brought = (await mcp(api, "POST", f"{B}/passes", {"code": "VIP001", "holder_name": "Bo"})
               ).body["data"]
    assert (await api.client.get("/p/VIP001")).status == 404
    with_token = brought["public_url"].removeprefix("http://passes.test")
    page = await api.client.get(with_token)
    assert page.status == 200 and "Bo" in await page.text()
