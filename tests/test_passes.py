"""Passes through GraphQL: creation, input checks, updates, life cycle, access, filters, pages."""

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from resolvers.ids import public_token
from tests.fragments import CREATE_PASS, CREATE_TEMPLATE, PASS_FIELDS, UPSERT_CUSTOMER, VALIDATE

UPDATE_PASS = f"""
mutation Update($input: UpdatePassInput!) {{
  updatePass(input: $input) {{ pass {{ {PASS_FIELDS} }} }}
}}
"""
GET_PASS = f"query Get($id: ID, $code: String) {{ pass(id: $id, code: $code) {{ {PASS_FIELDS} }} }}"
CREATE_PASSES = """
mutation Bulk($input: CreatePassesInput!) { createPasses(input: $input) { count passes { code } } }
"""
LIST = """
query List($filter: PassFilter, $first: Int, $after: String, $last: Int, $before: String) {
  passes(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id code } }
  }
}
"""
VALIDATE_PRIVATE = """
mutation Validate($input: ValidatePassInput!) {
  validatePass(input: $input) { valid pass { code note customFields { key value isPublic } } }
}
"""
ACTIONS = ("suspendPass", "resumePass", "unlinkPass", "deletePass")
FIELDS = [
    {"key": "seat", "value": "A1", "isPublic": True},
    {"key": "cost", "value": "12.50", "isPublic": False},
]


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


async def create(api: Any, **fields: Any) -> dict[str, Any]:
    return (await api.gql(CREATE_PASS, {"input": fields}))["createPass"]["pass"]


async def get(api: Any, key: str | None = None, **args: Any) -> dict[str, Any]:
    return (await api.gql(GET_PASS, args, key=key))["pass"]


async def update(api: Any, **fields: Any) -> dict[str, Any]:
    return (await api.gql(UPDATE_PASS, {"input": fields}))["updatePass"]["pass"]


async def act(api: Any, action: str, pass_id: str) -> dict[str, Any]:
    doc = f"mutation($id: ID!) {{ {action}(input: {{id: $id}}) {{ pass {{ state status }} }} }}"
    return (await api.gql(doc, {"id": pass_id}))[action]["pass"]


async def act_error(api: Any, action: str, pass_id: str) -> dict[str, Any]:
    doc = f"mutation($id: ID!) {{ {action}(input: {{id: $id}}) {{ pass {{ state }} }} }}"
    return await api.error(doc, {"id": pass_id})


async def listing(api: Any, **args: Any) -> dict[str, Any]:
    return (await api.gql(LIST, args))["passes"]


async def codes(api: Any, **filter: Any) -> set[str]:
    page = await listing(api, filter=filter, first=100)
    return {e["node"]["code"] for e in page["edges"]}


async def total(api: Any) -> int:
    return (await listing(api, first=0))["totalCount"]


# ---------------------------------------------------------------- create


async def test_create_pass_defaults_and_public_url(api):
    p = await create(api, name="Gala", holderName="Ada")
    assert re.fullmatch(r"[A-Z0-9]{16}", p["code"])
    assert (p["status"], p["state"], p["type"]) == ("ACTIVE", "ACTIVE", "SINGLE")
    assert (p["maxUsages"], p["usagesCount"], p["remainingUsages"]) == (1, 0, 1)
    assert (p["name"], p["holderName"]) == ("Gala", "Ada")
    token = public_token(b"test-secret-key", p["code"])
    assert p["publicUrl"] == f"http://passes.test/p/{p['code']}?token={token}"


async def test_codes_are_unique(api):
    data = await api.gql(CREATE_PASSES, {"input": {"passes": [{}] * 50}})
    got = [p["code"] for p in data["createPasses"]["passes"]]
    assert len(set(got)) == 50
    assert all(re.fullmatch(r"[A-Z0-9]{16}", c) for c in got)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"type": "MULTI"}, ("MULTI", None, None)),
    ({"type": "MULTI", "maxUsages": 4}, ("MULTI", 4, 4)),
    ({"maxUsages": 5}, ("MULTI", 5, 5)),
    ({"maxUsages": 1}, ("SINGLE", 1, 1)),
    ({"type": "SINGLE"}, ("SINGLE", 1, 1)),
])
async def test_create_pass_type_and_usages(api, fields, expected):
    p = await create(api, **fields)
    assert (p["type"], p["maxUsages"], p["remainingUsages"]) == expected
    assert p["status"] == "ACTIVE"


async def test_create_pass_json_and_custom_fields_round_trip(api):
    metadata = {"tier": "gold", "venue": {"hall": "A", "row": 3}, "tags": ["x", "y"],
                "vip": True, "price": 12.5, "none": None}
    attributes = {"colour": "red", "n": 1}
    fields = [{"key": "seat", "value": "A1", "isPublic": True}, {"key": "gate", "value": "4"}]
    p = await create(api, metadata=metadata, attributes=attributes, customFields=fields)
    again = await get(api, id=p["id"])
    expected = [{"key": "seat", "value": "A1", "isPublic": True},
                {"key": "gate", "value": "4", "isPublic": False}]
    for got in (p, again):
        assert got["metadata"] == metadata
        assert got["attributes"] == attributes
        assert got["customFields"] == expected


@pytest.mark.parametrize(("fields", "field"), [
    ({"validFrom": "2030-01-02T00:00:00Z", "validUntil": "2030-01-01T00:00:00Z"}, "validUntil"),
    ({"maxUsages": 0}, "maxUsages"),
    ({"type": "SINGLE", "maxUsages": 3}, "maxUsages"),
    ({"customFields": [{"key": "", "value": "x"}]}, "customFields[0].key"),
    ({"customFields": [{"key": "a"}, {"key": "a"}]}, "customFields[1].key"),
    ({"metadata": ["tier", "gold"]}, "metadata"),
    ({"metadata": "gold"}, "metadata"),
    ({"name": "x" * 201}, "name"),
    ({"holderEmail": "not-an-email"}, "holderEmail"),
    ({"templateId": "tpl_00000000000000000000000000"}, "templateId"),
    ({"customerId": "cus_00000000000000000000000000"}, "customerId"),
], ids=["window", "max0", "single3", "emptykey", "dupkey", "metalist", "metastr", "longname",
        "email", "template", "customer"])
async def test_create_pass_bad_input(api, fields, field):
    await create(api)
    err = await api.error(CREATE_PASS, {"input": fields})
    assert err["extensions"]["code"] == "BAD_USER_INPUT", err
    assert err["extensions"]["field"] == field, err
    assert await total(api) == 1


# ---------------------------------------------------------------- update


async def test_update_pass_is_partial_and_null_clears(api):
    p = await create(api, name="A", note="front row", holderName="Ada",
                     metadata={"tier": "gold"}, customFields=FIELDS)
    u = await update(api, id=p["id"], name="B")
    assert u["name"] == "B"
    assert (u["note"], u["holderName"], u["metadata"]) == ("front row", "Ada", {"tier": "gold"})
    assert u["customFields"] == FIELDS
    assert (u["code"], u["type"], u["maxUsages"]) == (p["code"], "SINGLE", 1)
    u = await update(api, id=p["id"], note=None)
    assert u["note"] is None and u["name"] == "B" and u["holderName"] == "Ada"
    again = await get(api, id=p["id"])
    assert (again["name"], again["note"], again["holderName"]) == ("B", None, "Ada")


async def test_update_deleted_pass_conflicts(api):
    p = await create(api, name="A")
    await act(api, "deletePass", p["id"])
    err = await api.error(UPDATE_PASS, {"input": {"id": p["id"], "name": "B"}})
    assert err["extensions"]["code"] == "CONFLICT"
    assert (await get(api, id=p["id"]))["name"] == "A"


# ---------------------------------------------------------------- life cycle


async def test_life_cycle(api):
    pid = (await create(api))["id"]
    assert await act(api, "suspendPass", pid) == {"state": "SUSPENDED", "status": "SUSPENDED"}
    assert await act(api, "resumePass", pid) == {"state": "ACTIVE", "status": "ACTIVE"}
    assert await act(api, "unlinkPass", pid) == {"state": "UNLINKED", "status": "UNLINKED"}
    err = await act_error(api, "resumePass", pid)
    assert err["extensions"]["code"] == "CONFLICT"
    assert (await get(api, id=pid))["state"] == "UNLINKED"
    assert await act(api, "deletePass", pid) == {"state": "DELETED", "status": "DELETED"}
    assert await act(api, "deletePass", pid) == {"state": "DELETED", "status": "DELETED"}
    for action in ("suspendPass", "resumePass", "unlinkPass"):
        err = await act_error(api, action, pid)
        assert err["extensions"]["code"] == "CONFLICT", (action, err)
    assert (await get(api, id=pid))["state"] == "DELETED"


async def test_derived_statuses(api):
    expired = await create(api, validFrom=ago(2), validUntil=ago(1))
    assert (expired["status"], expired["state"]) == ("EXPIRED", "ACTIVE")
    early = await create(api, validFrom=ago(-1))
    assert (early["status"], early["state"]) == ("NOT_YET_VALID", "ACTIVE")
    single = await create(api)
    result = await api.gql(VALIDATE, {"input": {"code": single["code"]}})
    assert result["validatePass"]["valid"] is True
    used = await get(api, id=single["id"])
    assert (used["status"], used["state"]) == ("USED_UP", "ACTIVE")
    assert (used["usagesCount"], used["remainingUsages"]) == (1, 0)


async def test_dates_before_the_year_1000_keep_their_order(api):
    """Written by the bulk path's own conversion (resolvers/bulk.py): year 999 must be stored
    as 0999 on SQLite, or text order puts it after 2026 and the status filters lie."""
    doc = ("mutation($input: CreatePassesInput!) { createPasses(input: $input) "
           "{ passes { code validFrom validUntil status } } }")
    made = (await api.gql(doc, {"input": {"passes": [
        {"validFrom": "0121-03-11T09:37:55Z", "validUntil": "0999-01-01T00:00:00Z"},
        {"validFrom": "0121-03-11T09:37:55Z"},
    ]}}))["createPasses"]["passes"]
    old, current = made
    assert old["validFrom"].startswith("0121-03-11T09:37:55")
    assert (old["status"], current["status"]) == ("EXPIRED", "ACTIVE")
    assert await codes(api, status="EXPIRED") == {old["code"]}
    assert current["code"] in await codes(api, status="ACTIVE")
    again = await get(api, code=old["code"])
    assert again["validUntil"].startswith("0999-01-01T00:00:00")


# ---------------------------------------------------------------- access to private data


async def test_note_and_private_fields_need_passes_read(api):
    p = await create(api, note="owes 5 EUR", customFields=FIELDS)
    scanner = await api.new_key("scans:write")
    seen = (await api.gql(VALIDATE_PRIVATE, {"input": {"code": p["code"]}}, key=scanner))
    assert seen["validatePass"]["valid"] is True
    assert seen["validatePass"]["pass"]["note"] is None
    assert seen["validatePass"]["pass"]["customFields"] == [FIELDS[0]]
    err = await api.error(GET_PASS, {"id": p["id"]}, key=scanner)
    assert err["extensions"]["code"] == "FORBIDDEN"
    full = await get(api, id=p["id"])
    assert (full["note"], full["customFields"]) == ("owes 5 EUR", FIELDS)
    seen = await api.gql(VALIDATE_PRIVATE, {"input": {"code": p["code"], "dryRun": True}})
    assert seen["validatePass"]["pass"]["note"] == "owes 5 EUR"
    assert seen["validatePass"]["pass"]["customFields"] == FIELDS


async def test_pass_by_code_and_argument_checks(api):
    p = await create(api)
    assert (await get(api, code=p["code"].lower()))["id"] == p["id"]
    assert (await get(api, code=f" {p['code']} "))["id"] == p["id"]
    for args in ({"id": p["id"], "code": p["code"]}, {}):
        err = await api.error(GET_PASS, args)
        assert err["extensions"]["code"] == "BAD_USER_INPUT", err


# ---------------------------------------------------------------- filters


async def test_filter_by_status(api):
    active = await create(api)
    suspended = await create(api)
    await act(api, "suspendPass", suspended["id"])
    expired = await create(api, validUntil=ago(1))
    used = await create(api)
    await api.gql(VALIDATE, {"input": {"code": used["code"]}})
    deleted = await create(api)
    await act(api, "deletePass", deleted["id"])
    everything = {p["code"] for p in (active, suspended, expired, used)}
    assert await codes(api) == everything
    assert await codes(api, status="ACTIVE") == {active["code"]}
    assert await codes(api, status="SUSPENDED") == {suspended["code"]}
    assert await codes(api, status="EXPIRED") == {expired["code"]}
    assert await codes(api, status="USED_UP") == {used["code"]}
    assert await codes(api, status="DELETED") == {deleted["code"]}
    assert await codes(api, status="UNLINKED") == set()


async def test_filter_by_template_and_customer(api):
    tpl = (await api.gql(CREATE_TEMPLATE, {"input": {"name": "Gala"}}))["createTemplate"]
    other_tpl = (await api.gql(CREATE_TEMPLATE, {"input": {"name": "Ball"}}))["createTemplate"]
    cus = (await api.gql(UPSERT_CUSTOMER, {"input": {"email": "ada@example.com"}}))
    cus_id = cus["upsertCustomer"]["customer"]["id"]
    tpl_id, other_id = tpl["template"]["id"], other_tpl["template"]["id"]
    a = await create(api, templateId=tpl_id, customerId=cus_id)
    b = await create(api, templateId=tpl_id)
    c = await create(api, templateId=other_id, customerId=cus_id)
    await create(api)
    assert await codes(api, templateId=tpl_id) == {a["code"], b["code"]}
    assert await codes(api, templateId=other_id) == {c["code"]}
    assert await codes(api, customerId=cus_id) == {a["code"], c["code"]}
    assert await codes(api, templateId=tpl_id, customerId=cus_id) == {a["code"]}


async def test_filter_by_metadata_containment(api):
    gold = await create(api, metadata={"tier": "gold", "venue": {"hall": "A", "row": 3},
                                       "vip": True, "seats": 2})
    silver = await create(api, metadata={"tier": "silver", "venue": {"hall": "B"},
                                         "vip": False, "seats": 2})
    plain = await create(api, metadata={"tier": "gold", "venue": {"hall": "B"}, "vip": False})
    await create(api)
    g, s, p = gold["code"], silver["code"], plain["code"]
    cases = [
        ({"tier": "gold"}, {g, p}),
        ({"venue": {"hall": "A"}}, {g}),
        ({"venue": {"hall": "B"}}, {s, p}),
        ({"venue": {"row": 3}}, {g}),
        ({"seats": 2}, {g, s}),
        ({"vip": True}, {g}),
        ({"vip": False}, {s, p}),
        ({"tier": "gold", "vip": False}, {p}),
        ({"tier": "bronze"}, set()),
        ({"seats": 3}, set()),
        ({"seats": "2"}, set()),
        ({"venue": {"hall": "C"}}, set()),
        ({"missing": "x"}, set()),
    ]
    for wanted, expected in cases:
        assert await codes(api, metadata=wanted) == expected, wanted


async def test_filter_by_metadata_tells_numbers_from_booleans(api):
    flag = await create(api, metadata={"vip": True, "n": 1})
    assert await codes(api, metadata={"vip": True}) == {flag["code"]}
    assert await codes(api, metadata={"n": 1}) == {flag["code"]}
    assert await codes(api, metadata={"vip": 1}) == set()
    assert await codes(api, metadata={"n": True}) == set()


async def test_filter_by_search(api):
    gala = await create(api, name="Summer Gala", holderName="Grace Hopper",
                        holderEmail="grace@navy.example")
    ball = await create(api, name="Winter Ball", holderName="Alan Turing",
                        holderEmail="alan@bletchley.example")
    assert await codes(api, search="gala") == {gala["code"]}
    assert await codes(api, search="HOPPER") == {gala["code"]}
    assert await codes(api, search="bletchley") == {ball["code"]}
    assert await codes(api, search=ball["code"]) == {ball["code"]}
    assert await codes(api, search=ball["code"].lower()) == {ball["code"]}
    assert await codes(api, search=ball["code"][:8]) == set()
    assert await codes(api, search="nobody") == set()


# ---------------------------------------------------------------- pagination


async def test_pagination(api):
    made = []
    for i in range(7):
        made.append((await create(api, name=f"p{i}"))["code"])
        await asyncio.sleep(0.002)  # ids sort by millisecond
    newest_first = made[::-1]

    def page_codes(page: dict[str, Any]) -> list[str]:
        return [e["node"]["code"] for e in page["edges"]]

    page = await listing(api, first=3)
    assert page_codes(page) == newest_first[:3]
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["hasPreviousPage"] is False
    seen, pages = page_codes(page), 1
    while page["pageInfo"]["hasNextPage"]:
        page = await listing(api, first=3, after=page["pageInfo"]["endCursor"])
        assert page["totalCount"] == 7
        assert page["pageInfo"]["hasPreviousPage"] is True
        seen += page_codes(page)
        pages += 1
    assert seen == newest_first
    assert pages == 3

    tail = await listing(api, last=2)
    assert page_codes(tail) == newest_first[-2:]
    assert tail["pageInfo"]["hasPreviousPage"] is True
    assert tail["totalCount"] == 7
    before = await listing(api, last=2, before=tail["pageInfo"]["startCursor"])
    assert page_codes(before) == newest_first[-4:-2]
    assert before["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(("args", "field"), [
    ({"first": 101}, "first"),
    ({"last": 101}, "last"),
    ({"first": -1}, "first"),
    ({"first": 2, "after": "garbage"}, "after"),
    ({"last": 2, "before": "bm90IGEgY3Vyc29y"}, "before"),
])
async def test_pagination_bad_arguments(api, args, field):
    await create(api)
    err = await api.error(LIST, args)
    assert err["extensions"]["code"] == "BAD_USER_INPUT", err
    assert err["extensions"]["field"] == field, err
