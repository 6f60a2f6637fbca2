async def test_quick(api):
    r = await api.rest("POST", "/api/v1/templates", {"name": "Gala", "type": "ticket"})
    print(r.status, r.body)
    tpl = r.body["data"]["id"]
    r = await api.rest("POST", "/api/v1/passes", {"template_id": tpl, "holder_name": "Jane Smith",
        "holder_email": "jane@example.com", "max_uses": 1, "expires_at": "2030-12-31T23:59:59Z"})
    print(r.status, r.body)
    code = r.body["data"]["code"]
    r = await api.rest("POST", "/api/v1/validate", {"code": code})
    print(r.status, r.body)
    r = await api.rest("POST", "/api/v1/validate", {"code": code})
    print(r.status, r.body)
    r = await api.rest("GET", "/api/v1/passes", params={"page": 1, "limit": 20})
    print(r.status, r.body)
    r = await api.rest("POST", "/api/v1/passes", {"template_id": tpl, "max_uses": "x", "bogus": 1})
    print(r.status, r.body)
    r = await api.rest("PATCH", f"/api/v1/passes/{code}", {"status": "suspended"})
    print(r.status, r.body)
    r = await api.rest("GET", "/api/v1/usage")
    print(r.status, r.body, dict(r.headers))
    r = await api.rest("GET", "/api/v1/nope")
    print(r.status, r.body)
