"""What /api/v1/openapi.json says matches what the routes answer (issue 9): per-dialect
documents, anyOf on shared paths, redirects without a body, 405 with Allow."""

from openapi_spec_validator import validate

from resolvers import auth


async def test_one_document_per_dialect_and_anyof_where_paths_are_shared(client):
    whole = await (await client.get("/api/v1/openapi.json")).json()
    validate(whole)
    shared = whole["paths"]["/api/v1/passes"]["post"]
    assert "anyOf" in shared["responses"]["400"]["content"]["application/json"]["schema"]
    native = await (await client.get("/api/v1/openapi.json?dialect=native")).json()
    validate(native)
    assert native["paths"]["/api/v1/passes"]["post"]["operationId"].startswith("native_")
    assert "x-dialects" not in native["paths"]["/api/v1/passes"]["post"]
    assert not any(p.startswith(("/v1/", "/api/{tenantId}")) for p in native["paths"])
    missing = await client.get("/api/v1/openapi.json?dialect=nope")
    assert missing.status == 404 and "native" in (await missing.json())["message"]


async def test_statuses_the_routes_really_answer(client):
    wc = await (await client.get("/api/v1/openapi.json?dialect=walletcrew")).json()
    install = wc["paths"]["/api/{tenantId}/passes/{passId}/install"]["get"]["responses"]
    assert "content" not in install["302"] and install["302"]["headers"]["Location"]
    assert "501" not in install  # every route of the dialect is served now
    native = await (await client.get("/api/v1/openapi.json?dialect=native")).json()
    assert {"200", "201"} <= set(native["paths"]["/api/v1/customers"]["post"]["responses"])
    assert "501" not in native["paths"]["/api/v1/customers"]["post"]["responses"]


async def test_a_405_names_the_allowed_methods(api):
    r = await api.rest("TRACE", "/api/v1/passes")
    assert r.status == 405 and set(r.headers["Allow"].split(",")) >= {"GET", "POST"}, r.headers


async def test_passengine_times_before_the_year_1000_are_rfc3339(api):
    minted = await auth.create_key(api.db, api.tenant_id, name="pe", scopes="all",
                                   dialect="passengine")
    r = await api.rest("POST", "/api/v1/passes", {"type": "single",
                                                  "validUntil": "0121-03-11T09:37:55Z"},
                       key=minted.key)
    assert r.status == 201, r.body
    assert r.body["validUntil"] == "0121-03-11T09:37:55.000Z"  # was "121-03-11T…"
