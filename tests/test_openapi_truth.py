"""Defects schemathesis found (tests/test_openapi_schemathesis.py), each pinned through HTTP:
answers that broke their connection, 400s on requests the document allows, statuses and
shapes the document did not list."""

import base64
import hashlib
import hmac
import json
from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import Api, make_api
from tests.test_rest_accessgrid import signed_for


async def _pass(api: Api) -> dict[str, Any]:
    r = await api.rest("POST", "/api/v1/passes", {"name": "Ada"})
    assert r.status == 201, r.body
    return r.body["data"]


async def test_a_csv_export_with_a_refused_filter_answers_cleanly(api: Api) -> None:
    """The CSV header went out before the first page was read, so a refused filter cut the
    chunked answer off (a network error for the client) instead of answering."""
    for fmt in ("csv", "ndjson"):
        r = await api.rest("GET", "/api/v1/passes/export",
                           params={"format": fmt, "template_id": "\x96B"})
        assert r.status == 404, r.body
        assert r.body["error"] == "NOT_FOUND" and "template" in r.body["message"].lower()
    await _pass(api)
    ok = await api.rest("GET", "/api/v1/passes/export", params={"format": "csv"})
    assert ok.status == 200 and ok.body.startswith("id,code,") and ok.body.count("\n") == 2


async def test_an_ignored_field_name_with_a_control_character_is_answered(api: Api
                                                                          ) -> None:
    """AccessGrid ignores unknown fields and names them in a header; a control character in
    a name made aiohttp drop the connection instead of answering."""
    send = await signed_for(api)
    raw = json.dumps({"\u001f": None, "name": "Lobby", "odd name": 1}).encode()
    sig = hmac.new(send.secret.encode(), base64.b64encode(raw), hashlib.sha256).hexdigest()
    r = await api.client.post("/v1/console/card-templates", data=raw, headers={
        "X-ACCT-ID": send.account_id, "X-PAYLOAD-SIG": sig, "Content-Type": "application/json"})
    assert r.status == 200, await r.text()
    assert r.headers["X-Passgate-Ignored-Fields"] == "%1F, odd%20name"


async def test_an_id_that_no_object_can_have_is_a_404(client: TestClient) -> None:
    api = await make_api(client, "team")
    for method, path in (("GET", "/api/v1/passes/0"), ("DELETE", "/api/v1/customers/0"),
                         ("GET", "/api/v1/templates/x"), ("POST", "/api/v1/passes/0/suspend"),
                         ("GET", "/api/v1/qr/0")):
        r = await api.rest(method, path)
        assert r.status == 404 and r.body["error"] == "NOT_FOUND", (path, r.status, r.body)
    r = await api.rest("GET", "/api/v1/passes", params={"customer_id": "nope"})
    assert r.status == 404, r.body
    # GraphQL keeps its coded 400, and says why.
    error = await api.error('{ pass(id: "0") { id } }')
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "reason": "NOT_AN_ID",
                                   "field": "id"}, error


async def test_the_last_page_the_document_allows_is_answered(client: TestClient) -> None:
    api = await make_api(client, "team")
    """page=999999999&limit=1 was in the document's range and answered "after is not a
    cursor this API returned"."""
    doc = await (await api.client.get("/api/v1/openapi.json?dialect=native")).json()
    page = next(p for p in doc["paths"]["/api/v1/passes"]["get"]["parameters"]
                if p["name"] == "page")
    top = page["schema"]["maximum"]
    r = await api.rest("GET", "/api/v1/passes", params={"page": top, "limit": 100})
    assert r.status == 200 and r.body["data"] == [], r.body
    r = await api.rest("GET", "/api/v1/passes", params={"page": top + 1, "limit": 1})
    assert r.status == 400 and r.body["field"] == "page", r.body
    r = await api.rest("GET", "/api/v1/qr", params={"page": top})
    assert r.status == 200, r.body


async def test_a_qr_code_put_back_whole_is_accepted(client: TestClient) -> None:
    api = await make_api(client, "team")
    made = await api.rest("POST", "/api/v1/qr", {"name": "Menu",
                                                "destination_url": "https://example.com/m"})
    qr = made.body["data"]
    r = await api.rest("PUT", f"/api/v1/qr/{qr['id']}", {
        "name": "Menu 2", "destination_url": qr["destination_url"], "type": "url",
        "status": "paused", "style": None})
    assert r.status == 200, r.body
    assert r.body["data"]["name"] == "Menu 2" and r.body["data"]["status"] == "paused"


async def test_a_null_dry_run_is_refused_by_its_name(api: Api) -> None:
    """It reached the graph and came back as a GraphQL variable error."""
    r = await api.rest("POST", "/api/v1/validate", {"code": "X", "dry_run": None})
    assert r.status == 400 and r.body["field"] == "dry_run", r.body
    assert "Variable" not in r.body["message"]


async def test_a_405_names_the_methods_of_the_literal_path(api: Api) -> None:
    """``/passes/export`` also matches ``/passes/{id}``; its Allow listed that route's."""
    r = await api.rest("OPTIONS", "/api/v1/passes/export")
    assert r.status == 405 and r.headers["Allow"] == "GET", r.headers
    r = await api.rest("PUT", "/api/v1/passes/pass_x")
    assert r.status == 405 and r.headers["Allow"] == "DELETE,GET,PATCH", r.headers
    r = await api.client.request("OPTIONS", f"/api/{api.tenant_id}/passes/google",
                                 headers={"X-API-KEY": api.key})
    assert r.status == 405 and r.headers["Allow"] == "POST", r.headers


async def test_the_document_states_the_rules_the_routes_hold(api: Api) -> None:
    native = await (await api.client.get("/api/v1/openapi.json?dialect=native")).json()
    patch = native["paths"]["/api/v1/passes/{id}"]["patch"]
    body = patch["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    assert schema["minProperties"] == 1
    assert {"not": {"required": ["expires_at", "valid_until"]}} in schema["allOf"]
    assert "text/plain" in patch["responses"]["400"]["content"]
    qr = native["paths"]["/api/v1/qr"]["post"]["requestBody"]["content"]["application/json"]
    assert qr["schema"]["properties"]["name"]["pattern"] == r"\S"
    ag = await (await api.client.get("/api/v1/openapi.json?dialect=accessgrid")).json()
    card = ag["components"]["schemas"]["AccessGridCard"]["allOf"][0]
    assert "expired" in card["properties"]["state"]["enum"]
    lenient = ag["paths"]["/v1/console/card-templates"]["post"]["requestBody"]["content"]
    assert "additionalProperties" not in lenient["application/json"]["schema"]


async def test_writes_document_the_idempotency_key_they_honour(api: Api) -> None:
    native = await (await api.client.get("/api/v1/openapi.json?dialect=native")).json()
    post = native["paths"]["/api/v1/passes"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post)
    get = native["paths"]["/api/v1/passes"]["get"]["parameters"]
    assert not any(p["name"] == "Idempotency-Key" for p in get)
    headers = {"Idempotency-Key": "retry-1"}
    first = await api.rest("POST", "/api/v1/passes", {"name": "Ada"}, headers=headers)
    again = await api.rest("POST", "/api/v1/passes", {"name": "Ada"}, headers=headers)
    assert first.status == again.status == 201 and again.body == first.body
    assert again.headers["Idempotent-Replayed"] == "true"
