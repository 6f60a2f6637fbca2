"""The Wallet Crew's customer routes as the vendor has them: ``POST /customer`` (a free-form
account), ``POST /customer/authenticate?provider=`` answering a token as a JSON string, and
``GET /customer`` with that token (``Authorization: Bearer``), over real HTTP."""

import time
from typing import Any

import jwt
import orjson
from sqlalchemy import text

from tests.conftest import Api, RestAnswer
from tests.test_rest_walletcrew import PROBLEM, Wc, problem

ROTATE = "mutation { rotateCustomerTokenSecret }"


async def as_customer(api: Api, method: str, path: str, token: str | None, json: Any = None,
                      tenant: str | None = None) -> RestAnswer:
    """What a customer's browser sends: the token, no API key."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    resp = await api.client.request(method, f"/api/{tenant or api.tenant_id}{path}",
                                    json=json, headers=headers)
    raw = await resp.read()
    body = orjson.loads(raw) if raw and "json" in resp.content_type else raw
    return RestAnswer(resp.status, body, resp.headers)


async def token_for(wc: Wc, provider: str, **body: str) -> str:
    answer = await wc("POST", "/customer/authenticate", body, params={"provider": provider})
    assert answer.status == 200, answer.body
    assert isinstance(answer.body, str)  # the vendor answers the token itself
    return answer.body


async def test_account_token_and_profile(api: Api) -> None:
    wc = Wc(api)
    made = await wc("POST", "/customer", {"id": "C-1", "identifiers": {"loyaltyId": "L1"},
                                          "metadata": {"tier": "gold"}, "firstName": "Ada"})
    assert made.status == 200, made.body
    assert made.body["id"] == "C-1" and made.body["identifiers"] == {"loyaltyId": "L1"}
    assert made.body["metadata"] == {"tier": "gold", "firstName": "Ada"}
    token = await token_for(wc, "id", id="C-1")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert claims["sub"] == "C-1" and claims["tid"] == api.tenant_id
    assert claims["exp"] - claims["iat"] == 3600 and claims["exp"] > time.time()

    profile = await as_customer(api, "GET", "/customer", token)
    assert profile.status == 200 and profile.body == made.body
    # the customer changes their own account; identifiers merge, other fields stay
    changed = await as_customer(api, "POST", "/customer", token,
                                {"metadata": {"tier": "platinum"}, "identifiers": {"x": "1"}})
    assert changed.status == 200, changed.body
    assert changed.body["metadata"] == {"tier": "platinum", "firstName": "Ada"}
    assert changed.body["identifiers"] == {"loyaltyId": "L1", "x": "1"}
    assert (await wc("GET", "/customers/C-1")).body == changed.body
    # and only their own
    other = await as_customer(api, "POST", "/customer", token, {"id": "C-2", "a": "b"})
    assert "id" in problem(other, 412)["errors"]
    # a token is not an API key anywhere else
    assert (await as_customer(api, "GET", "/passes", token)).status == 401
    graph = await api.client.post("/graphql", json={"query": "{ viewer { tenantName } }"},
                                  headers={"Authorization": f"Bearer {token}"})
    assert graph.status == 401
    # an API key's update of an existing account merges too
    again = await wc("POST", "/customer", {"id": "C-1", "city": "Lyon"})
    assert again.body["metadata"] == {"tier": "platinum", "firstName": "Ada", "city": "Lyon"}


async def test_authenticate_by_email_and_refusals(api: Api) -> None:
    wc = Wc(api)
    await api.gql('mutation { upsertCustomer(input: {email: "ada@example.com", '
                  'externalId: "C-9"}) { created } }')
    token = await token_for(wc, "email", email="ada@example.com")
    assert (await as_customer(api, "GET", "/customer", token)).body["id"] == "C-9"
    missing = await wc("POST", "/customer/authenticate", {"id": "C-9"})
    assert "provider" in problem(missing, 400)["errors"]
    assert "provider" in problem(await wc("POST", "/customer/authenticate", {"id": "C-9"},
                                          params={"provider": "google"}), 400)["errors"]
    problem(await wc("POST", "/customer/authenticate", {}, params={"provider": "id"}), 400)
    unknown = await wc("POST", "/customer/authenticate", {"id": "nobody"},
                       params={"provider": "id"})
    assert problem(unknown, 422)["errors"] == {"id": ["no customer with that id"]}
    # the trade needs the tenant's key: a customer token cannot mint tokens
    refused = await as_customer(api, "POST", "/customer/authenticate?provider=id", token,
                                {"id": "C-9"})
    assert refused.status == 401
    reader = await api.new_key("customers:read")
    problem(await wc("POST", "/customer/authenticate", {"id": "C-9"},
                     params={"provider": "id"}, key=reader), 403)


async def test_account_refusals(api: Api) -> None:
    wc = Wc(api)
    assert "id" in problem(await wc("POST", "/customer", {"a": "b"}), 412)["errors"]
    assert "flow" in problem(await wc("POST", "/customer", {"id": "C-1"},
                                      params={"flow": "preregistration"}), 412)["errors"]
    assert "metadata" in problem(await wc("POST", "/customer", {"id": "C-1",
                                                                 "metadata": "x"}), 412)["errors"]
    assert problem(await wc("GET", "/customer"), 401)["detail"].startswith(
        "this route needs a customer token")
    bare = await as_customer(api, "GET", "/customer", None)
    assert bare.status == 401 and bare.headers["Content-Type"].startswith(PROBLEM)
    assert (await as_customer(api, "POST", "/customer", None, {"id": "C-1"})).status == 401


async def test_forged_expired_rotated_and_foreign_tokens(api: Api) -> None:
    wc = Wc(api)
    await wc("POST", "/customer", {"id": "C-1"})
    token = await token_for(wc, "id", id="C-1")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "exp": int(time.time()) + 10**6}, "a-guessed-secret-" * 3,
                        algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    bad_signature = token.rsplit(".", 1)[0] + ".AAAA"
    for bad in (forged, unsigned, bad_signature, "eyJhbGciOiJIUzI1NiJ9.e30.x"):
        answer = await as_customer(api, "GET", "/customer", bad)
        assert problem(answer, 401)["detail"] == "invalid or expired customer token"
    # the secret is sealed at rest: the stored value is not what signs
    async with api.db.read() as conn:
        sealed = await conn.scalar(text("SELECT customer_token_secret FROM tenants "
                                        "WHERE id = :t"), {"t": api.tenant_id})
    assert sealed.startswith("gAAAA")
    try:
        jwt.decode(token, sealed, algorithms=["HS256"], audience="customer")
        raise AssertionError("the sealed value verified a token")
    except jwt.InvalidSignatureError:
        pass
    # another tenant's path: as absent
    other = await api.other_tenant()
    assert (await as_customer(api, "GET", "/customer", token, tenant=other.tenant_id)
            ).status == 404
    # rotating the secret ends every token; a new one works
    assert (await api.gql(ROTATE))["rotateCustomerTokenSecret"] is True
    assert (await as_customer(api, "GET", "/customer", token)).status == 401
    fresh = await token_for(wc, "id", id="C-1")
    assert (await as_customer(api, "GET", "/customer", fresh)).status == 200
    # a deleted customer's token stops working
    await api.gql('mutation($id: ID!) { deleteCustomer(input: {id: $id}) { customer { id } } }',
                  {"id": claims["cid"]})
    assert (await as_customer(api, "GET", "/customer", fresh)).status == 401
