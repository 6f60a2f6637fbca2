"""PassQR's older, unversioned routes as its clients send them (specs/vendors.md, S2):
``POST``/``GET /api/validate`` and ``POST /api/passes/bulk``, in their documented shapes."""

import re

from tests.conftest import Api

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


async def test_bulk_then_validate_by_post_and_get(api: Api) -> None:
    tpl = (await api.rest("POST", "/api/v1/templates", {"name": "Gala", "type": "ticket"}))
    assert tpl.status == 201
    made = await api.rest("POST", "/api/passes/bulk", {
        "template_id": tpl.body["data"]["id"],
        "passes": [{"holder_name": "Jane", "holder_email": "jane@example.com", "max_uses": 2},
                   {"holder_name": "John", "holder_email": "john@example.com", "max_uses": 1}]})
    assert made.status == 201, made.body
    assert isinstance(made.body, list) and len(made.body) == 2
    jane, john = made.body
    first = await api.rest("POST", "/api/validate", {"code": jane.lower()})
    assert first.status == 200
    body = first.body
    assert set(body) == {"valid", "status", "message", "pass", "timestamp"}
    assert (body["valid"], body["status"], body["message"]) == (True, "valid", "Pass is valid")
    assert ISO_Z.match(body["timestamp"])
    assert body["pass"] == {"code": jane, "holderName": "Jane",
                            "holderEmail": "jane@example.com", "templateName": "Gala",
                            "templateType": "ticket", "usesCount": 1, "maxUses": 2,
                            "scansRemaining": 1}
    once = await api.rest("GET", "/api/validate", params={"code": john})
    assert once.status == 200 and once.body["valid"] is True
    again = await api.rest("GET", "/api/validate", params={"code": john})
    assert (again.body["valid"], again.body["status"]) == (False, "used")
    assert again.body["pass"]["scansRemaining"] == 0
    missing = await api.rest("POST", "/api/validate", {"code": "NOPE"})
    assert missing.status == 200
    assert (missing.body["status"], missing.body["pass"]) == ("not_found", None)


async def test_legacy_refusals(api: Api) -> None:
    too_many = await api.rest("POST", "/api/passes/bulk",
                              {"passes": [{"holder_name": str(i)} for i in range(101)]})
    assert too_many.status == 400 and too_many.body["field"] == "passes"
    no_code = await api.rest("GET", "/api/validate")
    assert no_code.status == 400 and no_code.body["field"] == "code"
    unauthenticated = await api.client.post("/api/validate", json={"code": "X"})
    assert unauthenticated.status == 401
