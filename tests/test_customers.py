"""Customers: upsert by externalId or email, lookups, updates, delete, search, passes."""

import asyncio
import base64

import pytest

from tests.fragments import CREATE_PASS

CUSTOMER_FIELDS = "id externalId email name phone attributes createdAt updatedAt"
UPSERT = f"""
mutation($input: UpsertCustomerInput!) {{
  upsertCustomer(input: $input) {{ created customer {{ {CUSTOMER_FIELDS} }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateCustomerInput!) {{
  updateCustomer(input: $input) {{ customer {{ {CUSTOMER_FIELDS} }} }}
}}
"""
DELETE = "mutation($id: ID!) { deleteCustomer(input: {id: $id}) { customer { id email } } }"
FIND = f"""
query($id: ID, $externalId: String, $email: String) {{
  customer(id: $id, externalId: $externalId, email: $email) {{ {CUSTOMER_FIELDS} }}
}}
"""
COUNT = "{ customers { totalCount } }"
PASS = "query($id: ID!) { pass(id: $id) { id state customer { id } } }"
SEARCH = "query($q: String) { customers(search: $q) { totalCount nodes { id } } }"
CUSTOMER_PASSES = """
query($id: ID!, $first: Int, $after: String) { customer(id: $id) {
  passes(first: $first, after: $after) {
    totalCount nodes { id customer { id } } pageInfo { hasNextPage endCursor }
  }
} }
"""


async def upsert(api, **fields):
    return (await api.gql(UPSERT, {"input": fields}))["upsertCustomer"]


def raw(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


async def test_upsert_by_external_id_creates_then_updates_the_same_row(api):
    first = await upsert(api, externalId="crm-1", email="ada@example.com", name="Ada",
                         attributes={"tier": "gold"})
    assert first["created"] is True
    assert raw(first["customer"]["id"]).startswith("cus_")
    again = await upsert(api, externalId="crm-1", name="Ada Lovelace", phone="+441234")
    assert again["created"] is False
    c = again["customer"]
    assert c["id"] == first["customer"]["id"]
    assert (c["name"], c["phone"]) == ("Ada Lovelace", "+441234")
    assert (c["email"], c["attributes"]) == ("ada@example.com", {"tier": "gold"})  # kept
    assert c["createdAt"] == first["customer"]["createdAt"]
    assert (await api.gql(COUNT))["customers"]["totalCount"] == 1


async def test_upsert_by_email_is_case_insensitive(api):
    first = await upsert(api, email="ada@example.com", name="Ada")
    again = await upsert(api, email="  Ada@Example.com ", phone="+44")
    assert (first["created"], again["created"]) == (True, False)
    assert again["customer"]["id"] == first["customer"]["id"]
    assert again["customer"]["email"] == "ada@example.com"
    assert (again["customer"]["name"], again["customer"]["phone"]) == ("Ada", "+44")
    assert (await api.gql(COUNT))["customers"]["totalCount"] == 1


async def test_upsert_external_id_wins_over_email(api):
    by_email = await upsert(api, email="ada@example.com")
    by_ext = await upsert(api, externalId="crm-2", email="bob@example.com")
    moved = await upsert(api, externalId="crm-2", email="BOB2@example.com")
    assert by_ext["created"] is True and moved["created"] is False
    assert moved["customer"]["id"] == by_ext["customer"]["id"] != by_email["customer"]["id"]
    assert moved["customer"]["email"] == "bob2@example.com"


@pytest.mark.parametrize("fields", [
    {}, {"name": "Ada"}, {"externalId": "   ", "email": ""}, {"externalId": None, "email": None},
])
async def test_upsert_needs_external_id_or_email(api, fields):
    error = await api.error(UPSERT, {"input": fields})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "give externalId or email to match the customer"
    assert (await api.gql(COUNT))["customers"]["totalCount"] == 0


@pytest.mark.parametrize("email", ["not-an-email", "ada@", "ada@example", "a da@example.com"])
async def test_upsert_rejects_invalid_email(api, email):
    error = await api.error(UPSERT, {"input": {"externalId": "crm-1", "email": email}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "email"}
    assert error["message"] == "email is not a valid email address"
    assert (await api.gql(COUNT))["customers"]["totalCount"] == 0


async def test_upsert_with_an_email_another_customer_has_is_a_conflict(api):
    ada = await upsert(api, externalId="crm-1", email="ada@example.com")
    error = await api.error(UPSERT, {"input": {"externalId": "crm-2", "email": "ADA@example.com"}})
    assert error["extensions"]["code"] == "CONFLICT"
    assert (await api.gql(COUNT))["customers"]["totalCount"] == 1
    found = await api.gql(FIND, {"email": "ada@example.com"})
    assert found["customer"]["id"] == ada["customer"]["id"]


async def test_lookups_by_id_external_id_and_email(api):
    made = (await upsert(api, externalId="crm-1", email="ada@example.com", name="Ada"))
    want = made["customer"]
    for variables in ({"id": want["id"]}, {"id": raw(want["id"])}, {"externalId": "crm-1"},
                      {"email": "ada@example.com"}, {"email": "ADA@Example.COM"}):
        assert (await api.gql(FIND, variables))["customer"] == want, variables
    node = await api.gql("query($id: ID!) { node(id: $id) { id ... on Customer { email } } }",
                         {"id": want["id"]})
    assert node["node"] == {"id": want["id"], "email": "ada@example.com"}
    for variables in ({"externalId": "crm-9"}, {"email": "bob@example.com"}):
        assert (await api.error(FIND, variables))["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("variables", [
    {},
    {"id": "X", "externalId": "crm-1"},
    {"externalId": "crm-1", "email": "ada@example.com"},
    {"id": "X", "email": "ada@example.com"},
    {"id": "X", "externalId": "crm-1", "email": "ada@example.com"},
])
async def test_lookup_needs_exactly_one_key(api, variables):
    made = await upsert(api, externalId="crm-1", email="ada@example.com")
    variables = {k: made["customer"]["id"] if v == "X" else v for k, v in variables.items()}
    _, body = await api.post(FIND, variables)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert body["data"] == {"customer": None}


async def test_update_customer_is_partial(api):
    made = (await upsert(api, externalId="crm-1", email="ada@example.com", name="Ada",
                         phone="+44", attributes={"a": 1}))["customer"]
    updated = await api.gql(UPDATE, {"input": {"id": made["id"], "email": "Ada.L@Example.com",
                                               "attributes": {"b": 2}}})
    c = updated["updateCustomer"]["customer"]
    assert (c["email"], c["attributes"]) == ("ada.l@example.com", {"b": 2})
    assert (c["externalId"], c["name"], c["phone"]) == ("crm-1", "Ada", "+44")
    assert (await api.gql(FIND, {"email": "ada.l@example.com"}))["customer"] == c
    bad = await api.error(UPDATE, {"input": {"id": made["id"], "email": "nope"}})
    assert bad["extensions"] == {"code": "BAD_USER_INPUT", "field": "email"}


@pytest.mark.parametrize(("field", "taken"), [
    ("email", "bob@example.com"), ("email", "Bob@Example.com"), ("externalId", "crm-bob"),
])
async def test_update_to_another_customers_identifier_is_a_conflict(api, field, taken):
    ada = (await upsert(api, externalId="crm-ada", email="ada@example.com"))["customer"]
    await upsert(api, externalId="crm-bob", email="bob@example.com")
    error = await api.error(UPDATE, {"input": {"id": ada["id"], field: taken, "name": "X"}})
    assert error["extensions"]["code"] == "CONFLICT"
    assert (await api.gql(FIND, {"id": ada["id"]}))["customer"] == ada


async def test_update_and_delete_unknown_customer_is_not_found(api):
    made = (await upsert(api, externalId="crm-1"))["customer"]
    await api.gql(DELETE, {"id": made["id"]})
    for doc, variables in ((UPDATE, {"input": {"id": made["id"], "name": "X"}}),
                           (DELETE, {"id": made["id"]})):
        assert (await api.error(doc, variables))["extensions"]["code"] == "NOT_FOUND"


async def test_delete_customer_keeps_passes_but_unlinks_them(api):
    ada = (await upsert(api, externalId="crm-1", email="ada@example.com"))["customer"]
    bob = (await upsert(api, externalId="crm-2"))["customer"]
    made = [(await api.gql(CREATE_PASS, {"input": {"customerId": cid}}))["createPass"]["pass"]
            for cid in (ada["id"], ada["id"], bob["id"])]
    deleted = await api.gql(DELETE, {"id": ada["id"]})
    assert deleted["deleteCustomer"]["customer"] == {"id": ada["id"], "email": "ada@example.com"}

    assert (await api.error(FIND, {"id": ada["id"]}))["extensions"]["code"] == "NOT_FOUND"
    for p in made[:2]:
        assert (await api.gql(PASS, {"id": p["id"]}))["pass"] == {
            "id": p["id"], "state": "ACTIVE", "customer": None}
    assert (await api.gql(PASS, {"id": made[2]["id"]}))["pass"]["customer"] == {"id": bob["id"]}
    assert (await api.gql("{ passes { totalCount } }"))["passes"]["totalCount"] == 3
    by_ada = "query($c: ID) { passes(filter: {customerId: $c}) { totalCount } }"
    assert (await api.gql(by_ada, {"c": ada["id"]}))["passes"]["totalCount"] == 0
    # The identifiers are free again: a new profile, not the old one revived.
    fresh = await upsert(api, externalId="crm-1", email="ada@example.com")
    assert fresh["created"] is True and fresh["customer"]["id"] != ada["id"]


async def test_search_customers(api):
    ada = (await upsert(api, externalId="crm-1", email="ada@analytical.example",
                        name="Ada Lovelace"))["customer"]["id"]
    bob = (await upsert(api, externalId="crm-2", email="bob@example.com",
                        name="Bob Ross"))["customer"]["id"]
    cases = {"lovelace": [ada], "ANALYTICAL": [ada], "example": [bob, ada], "crm-2": [bob],
             "crm": [], "zed": [], "": [bob, ada]}
    for term, want in cases.items():
        found = (await api.gql(SEARCH, {"q": term}))["customers"]
        assert sorted(n["id"] for n in found["nodes"]) == sorted(want), term
        assert found["totalCount"] == len(want), term


async def test_customer_passes_connection(api):
    ada = (await upsert(api, externalId="crm-1"))["customer"]["id"]
    bob = (await upsert(api, externalId="crm-2"))["customer"]["id"]
    mine = [(await api.gql(CREATE_PASS, {"input": {"customerId": ada}}))["createPass"]["pass"]
            for _ in range(3)]
    await api.gql(CREATE_PASS, {"input": {"customerId": bob}})
    await api.gql(CREATE_PASS, {"input": {}})
    await api.gql("mutation($id: ID!) { deletePass(input: {id: $id}) { pass { id } } }",
                  {"id": mine[0]["id"]})

    first = (await api.gql(CUSTOMER_PASSES, {"id": ada, "first": 1}))["customer"]["passes"]
    assert first["totalCount"] == 2  # the deleted pass is not listed
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await api.gql(CUSTOMER_PASSES, {"id": ada, "after": first["pageInfo"]["endCursor"]}))
    rest = rest["customer"]["passes"]
    assert rest["pageInfo"]["hasNextPage"] is False
    listed = first["nodes"] + rest["nodes"]
    assert sorted(n["id"] for n in listed) == sorted(p["id"] for p in mine[1:])
    assert all(n["customer"] == {"id": ada} for n in listed)


async def test_concurrent_upserts_of_one_external_id_make_one_customer(api):
    results = await asyncio.gather(*(
        api.post(UPSERT, {"input": {"externalId": "crm-race", "name": f"n{i}"}})
        for i in range(20)
    ))
    assert all(status == 200 and "errors" not in body for status, body in results), [
        body.get("errors") for _, body in results if "errors" in body]
    payloads = [body["data"]["upsertCustomer"] for _, body in results]
    assert len({p["customer"]["id"] for p in payloads}) == 1
    assert sum(p["created"] for p in payloads) == 1
    assert (await api.gql(COUNT))["customers"]["totalCount"] == 1
    found = await api.gql(FIND, {"externalId": "crm-race"})
    assert found["customer"]["id"] == payloads[0]["customer"]["id"]
