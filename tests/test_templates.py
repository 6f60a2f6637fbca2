"""Templates: create, partial update, input checks, delete rules, listing, pass defaults."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.fragments import CREATE_PASS

TEMPLATE_FIELDS = """
  id name kind description backgroundColor foregroundColor labelColor logoUrl iconUrl
  barcodeFormat fieldLayout defaultType defaultMaxUsages defaultValidFrom defaultValidUntil
  defaultValidDays applePassTypeId appleTeamId googleIssuerId createdAt updatedAt
"""
CREATE = f"""
mutation($input: CreateTemplateInput!) {{
  createTemplate(input: $input) {{ template {{ {TEMPLATE_FIELDS} }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateTemplateInput!) {{
  updateTemplate(input: $input) {{ template {{ {TEMPLATE_FIELDS} }} }}
}}
"""
DELETE = "mutation($id: ID!) { deleteTemplate(input: {id: $id}) { template { id name } } }"
GET = f"query($id: ID!) {{ template(id: $id) {{ {TEMPLATE_FIELDS} }} }}"
COUNT = "{ templates { totalCount } }"
PAGE = """
query($first: Int, $after: String) {
  templates(first: $first, after: $after) {
    totalCount edges { cursor node { id createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
DELETE_PASS = "mutation($id: ID!) { deletePass(input: {id: $id}) { pass { state } } }"


async def create(api, **fields):
    data = await api.gql(CREATE, {"input": {"name": "Gala", **fields}})
    return data["createTemplate"]["template"]


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_create_defaults_and_read_back(api):
    tpl = await create(api, name="  Gala  ")
    assert tpl["name"] == "Gala"
    assert (tpl["kind"], tpl["barcodeFormat"], tpl["defaultType"]) == ("GENERIC", "QR", "SINGLE")
    assert tpl["defaultMaxUsages"] is None and tpl["defaultValidDays"] is None
    assert tpl["fieldLayout"] == {} and tpl["backgroundColor"] is None
    assert (await api.gql(GET, {"id": tpl["id"]}))["template"] == tpl


async def test_create_with_every_field(api):
    fields = {
        "kind": "EVENT_TICKET", "description": "Annual gala", "backgroundColor": "#1A2B3C",
        "foregroundColor": "#ffffff", "labelColor": "#000000",
        "logoUrl": "https://cdn.example/logo.png", "iconUrl": "http://cdn.example/icon.png",
        "barcodeFormat": "PDF417", "fieldLayout": {"primary": [{"key": "seat"}]},
        "defaultType": "MULTI", "defaultMaxUsages": 3, "defaultValidDays": 30,
        "applePassTypeId": "pass.example.gala", "appleTeamId": "TEAM123",
        "googleIssuerId": "3388000000012345",
    }
    tpl = await create(api, **fields)
    assert {k: tpl[k] for k in fields} == fields
    assert (await api.gql(GET, {"id": tpl["id"]}))["template"] == tpl


async def test_update_changes_only_the_fields_sent(api):
    tpl = await create(api, kind="MEMBERSHIP", description="Gold", backgroundColor="#112233",
                       defaultType="MULTI", defaultMaxUsages=10, defaultValidDays=365)
    updated = (await api.gql(UPDATE, {"input": {"id": tpl["id"], "name": "Platinum",
                                                 "barcodeFormat": "AZTEC"}}))["updateTemplate"]
    after = updated["template"]
    assert after["name"] == "Platinum" and after["barcodeFormat"] == "AZTEC"
    untouched = {k: v for k, v in tpl.items() if k not in ("name", "barcodeFormat", "updatedAt")}
    assert {k: after[k] for k in untouched} == untouched
    assert parse(after["updatedAt"]) >= parse(tpl["updatedAt"])
    assert (await api.gql(GET, {"id": tpl["id"]}))["template"] == after

    cleared = await api.gql(UPDATE, {"input": {"id": tpl["id"], "description": None}})
    assert cleared["updateTemplate"]["template"]["description"] is None
    assert cleared["updateTemplate"]["template"]["backgroundColor"] == "#112233"


FROM = "2030-01-01T00:00:00+00:00"
BAD_INPUTS = [
    ({"backgroundColor": "red"}, "backgroundColor",
     "backgroundColor must be a colour like #1A2B3C"),
    ({"labelColor": "#12345"}, "labelColor", "labelColor must be a colour like #1A2B3C"),
    ({"logoUrl": "ftp://cdn.example/logo.png"}, "logoUrl", "logoUrl must be an http(s) URL"),
    ({"iconUrl": "javascript:alert(1)"}, "iconUrl", "iconUrl must be an http(s) URL"),
    ({"defaultType": "SINGLE", "defaultMaxUsages": 5}, "defaultMaxUsages",
     "defaultMaxUsages must be 1 (or empty) when defaultType is SINGLE"),
    ({"defaultValidFrom": FROM, "defaultValidUntil": "2029-12-31T00:00:00+00:00"},
     "defaultValidUntil", "defaultValidUntil must be later than defaultValidFrom"),
    ({"defaultValidFrom": FROM, "defaultValidUntil": FROM},
     "defaultValidUntil", "defaultValidUntil must be later than defaultValidFrom"),
    ({"name": ""}, "name", "name must not be empty"),
    ({"name": "   "}, "name", "name must not be empty"),
    ({"name": "x" * 201}, "name", "name is longer than 200 characters"),
    ({"defaultType": "MULTI", "defaultMaxUsages": 0}, "defaultMaxUsages",
     "defaultMaxUsages must be at least 1"),
    ({"defaultValidDays": 0}, "defaultValidDays", "defaultValidDays must be at least 1"),
]


@pytest.mark.parametrize(("fields", "field", "message"), [
    *BAD_INPUTS,
    ({"defaultMaxUsages": 5}, "defaultMaxUsages",  # SINGLE is the default type
     "defaultMaxUsages must be 1 (or empty) when defaultType is SINGLE"),
])
async def test_create_rejects_bad_input(api, fields, field, message):
    error = await api.error(CREATE, {"input": {"name": "Gala", **fields}})
    assert error["message"] == message
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert (await api.gql(COUNT))["templates"]["totalCount"] == 0


async def test_name_of_200_characters_is_accepted(api):
    assert (await create(api, name="x" * 200))["name"] == "x" * 200


@pytest.mark.parametrize(("fields", "field", "message"), [
    *BAD_INPUTS,
    ({"name": None}, "name", "name is required"),
    ({"defaultType": "SINGLE"}, "defaultMaxUsages",  # the stored 4 now clashes
     "defaultMaxUsages must be 1 (or empty) when defaultType is SINGLE"),
    ({"defaultValidFrom": "2031-01-01T00:00:00+00:00"}, "defaultValidUntil",  # stored until
     "defaultValidUntil must be later than defaultValidFrom"),
])
async def test_update_rejects_bad_input_and_changes_nothing(api, fields, field, message):
    tpl = await create(api, defaultType="MULTI", defaultMaxUsages=4,
                       defaultValidFrom=FROM, defaultValidUntil="2030-06-01T00:00:00+00:00")
    error = await api.error(UPDATE, {"input": {"id": tpl["id"], **fields}})
    assert error["message"] == message
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert (await api.gql(GET, {"id": tpl["id"]}))["template"] == tpl


async def test_delete_unused_template(api):
    tpl = await create(api, name="Spare")
    deleted = await api.gql(DELETE, {"id": tpl["id"]})
    assert deleted["deleteTemplate"]["template"] == {"id": tpl["id"], "name": "Spare"}
    assert (await api.error(GET, {"id": tpl["id"]}))["extensions"]["code"] == "NOT_FOUND"
    assert (await api.error(DELETE, {"id": tpl["id"]}))["extensions"]["code"] == "NOT_FOUND"
    assert (await api.gql(COUNT))["templates"]["totalCount"] == 0


async def test_delete_refused_while_a_pass_uses_it_even_soft_deleted(api):
    tpl = await create(api)
    made = await api.gql(CREATE_PASS, {"input": {"templateId": tpl["id"]}})
    pass_id = made["createPass"]["pass"]["id"]
    for _ in ("live pass", "soft-deleted pass"):
        error = await api.error(DELETE, {"id": tpl["id"]})
        assert error["extensions"]["code"] == "CONFLICT"
        assert error["message"] == "template is used by passes; move or delete them first"
        assert (await api.gql(GET, {"id": tpl["id"]}))["template"] == tpl
        await api.gql(DELETE_PASS, {"id": pass_id})  # second round: it is soft-deleted
    assert (await api.gql(COUNT))["templates"]["totalCount"] == 1


async def test_delete_allowed_once_the_pass_moved_to_another_template(api):
    old, new = await create(api, name="Old"), await create(api, name="New")
    made = await api.gql(CREATE_PASS, {"input": {"templateId": old["id"]}})
    await api.gql(
        "mutation($i: UpdatePassInput!) { updatePass(input: $i) { pass { id } } }",
        {"i": {"id": made["createPass"]["pass"]["id"], "templateId": new["id"]}},
    )
    assert (await api.gql(DELETE, {"id": old["id"]}))["deleteTemplate"]["template"]["id"]


async def test_templates_connection_pages_and_counts(api):
    made = [(await create(api, name=f"T{i}"))["id"] for i in range(5)]
    seen, after, pages = [], None, 0
    while True:
        page = (await api.gql(PAGE, {"first": 2, "after": after}))["templates"]
        pages += 1
        assert page["totalCount"] == 5
        assert len(page["edges"]) == (2 if pages < 3 else 1)
        assert page["pageInfo"]["hasNextPage"] is (pages < 3)
        assert page["pageInfo"]["hasPreviousPage"] is (pages > 1)
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        seen += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(n["id"] for n in seen) == sorted(made)
    created = [parse(n["createdAt"]) for n in seen]
    assert created == sorted(created, reverse=True)  # newest first
    other = await api.other_tenant()
    assert (await other.gql(COUNT))["templates"]["totalCount"] == 0


async def new_pass(api, **fields):
    return (await api.gql(CREATE_PASS, {"input": fields}))["createPass"]["pass"]


async def test_pass_takes_template_defaults(api):
    tpl = await create(api, defaultType="MULTI", defaultMaxUsages=3, defaultValidDays=10,
                       defaultValidFrom="2020-01-01T00:00:00+00:00")
    before = datetime.now(UTC)
    p = await new_pass(api, templateId=tpl["id"])
    after = datetime.now(UTC)
    assert (p["type"], p["maxUsages"], p["remainingUsages"]) == ("MULTI", 3, 3)
    assert parse(p["validFrom"]) == datetime(2020, 1, 1, tzinfo=UTC)
    until = parse(p["validUntil"])
    assert before + timedelta(days=10) - timedelta(seconds=1) <= until
    assert until <= after + timedelta(days=10) + timedelta(seconds=1)
    assert p["template"] == {"id": tpl["id"], "name": "Gala"}


async def test_pass_takes_template_valid_until(api):
    tpl = await create(api, defaultType="MULTI", defaultValidUntil="2031-05-01T12:00:00+00:00")
    p = await new_pass(api, templateId=tpl["id"])
    assert (p["type"], p["maxUsages"]) == ("MULTI", None)
    assert parse(p["validUntil"]) == datetime(2031, 5, 1, 12, tzinfo=UTC)
    assert p["validFrom"] is None
    single = await new_pass(api, templateId=(await create(api))["id"])
    assert (single["type"], single["maxUsages"]) == ("SINGLE", 1)


async def test_pass_values_win_over_template_defaults(api):
    tpl = await create(api, defaultType="MULTI", defaultMaxUsages=3, defaultValidDays=10,
                       defaultValidFrom="2020-01-01T00:00:00+00:00")
    own_from, own_until = "2025-03-03T00:00:00+00:00", "2032-02-02T00:00:00+00:00"
    p = await new_pass(api, templateId=tpl["id"], maxUsages=7, validFrom=own_from,
                       validUntil=own_until)
    assert (p["type"], p["maxUsages"]) == ("MULTI", 7)
    assert (parse(p["validFrom"]), parse(p["validUntil"])) == (parse(own_from), parse(own_until))

    unlimited = await new_pass(api, templateId=tpl["id"], maxUsages=None, validFrom=None,
                               validUntil=None)
    assert (unlimited["type"], unlimited["maxUsages"]) == ("MULTI", None)
    assert (unlimited["validFrom"], unlimited["validUntil"]) == (None, None)


async def test_pass_own_single_type_wins_over_template_multi_defaults(api):
    """A pass asked for as SINGLE is single-use, whatever maxUsages its template suggests."""
    tpl = await create(api, defaultType="MULTI", defaultMaxUsages=3)
    p = await new_pass(api, templateId=tpl["id"], type="SINGLE")
    assert (p["type"], p["maxUsages"], p["remainingUsages"]) == ("SINGLE", 1, 1)
