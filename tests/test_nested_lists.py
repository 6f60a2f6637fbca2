"""Connections nested under a list (a pass's scans, a customer's or a template's passes) cost
a fixed number of SQL statements per level, whatever the page size, and each parent still
gets its own page: newest first, its own totalCount, cursors and `last` honoured."""

from typing import Any

from tests.fragments import CREATE_TEMPLATE, UPSERT_CUSTOMER
from tests.test_dataloaders import statements

CREATE_PASSES = """
mutation Bulk($input: CreatePassesInput!) { createPasses(input: $input) { passes { id code } } }
"""
VALIDATE = "mutation V($input: ValidatePassInput!) { validatePass(input: $input) { valid } }"
PASS_SCANS = """
query Q($n: Int, $after: String) {
  passes(first: $n) { nodes { code scans(first: 2, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id deviceId } } } }
}
"""
PASS_SCANS_LAST = """
query Q($n: Int) { passes(first: $n) { nodes { code
  scans(last: 1) { pageInfo { hasPreviousPage } nodes { deviceId } } } } }
"""
CUSTOMER_PASSES = """
query Q($n: Int) { customers(first: $n) { nodes { email
  passes(first: 2) { totalCount pageInfo { hasNextPage } nodes { name } } } } }
"""
TEMPLATE_PASSES = """
query Q($n: Int, $status: PassStatus) { templates(first: $n) { nodes { name
  passes(first: 2, status: $status) { totalCount nodes { name } } } } }
"""


async def measured(api: Any, query: str, variables: dict[str, Any]) -> tuple[dict, int]:
    await api.gql(query, variables)  # warm-up: API-key authentication is cached for 1 s
    with statements(api) as seen:
        data = await api.gql(query, variables)
    # Authentication and quota reads (cached for a second) are not the lists' statements.
    return data, len([s for s in seen if "api_keys" not in s and "usage_counters" not in s])


async def test_scans_of_a_list_of_passes_cost_constant_statements(api):
    made = await api.gql(CREATE_PASSES, {"input": {"passes": [
        {"type": "MULTI", "name": f"p{i}"} for i in range(100)]}})
    codes = [p["code"] for p in made["createPasses"]["passes"]]
    # Pass i gets i % 4 scans, from devices d0, d1, … in that order.
    for i, code in enumerate(codes):
        for k in range(i % 4):
            await api.gql(VALIDATE, {"input": {"code": code, "deviceId": f"d{k}"}})
    scans_of = {c: i % 4 for i, c in enumerate(codes)}
    counts = {}
    for n in (10, 100):
        data, counts[n] = await measured(api, PASS_SCANS, {"n": n})
        nodes = data["passes"]["nodes"]
        assert len(nodes) == n
        for node in nodes:
            have = scans_of[node["code"]]
            conn = node["scans"]
            assert conn["totalCount"] == have
            newest = [f"d{k}" for k in reversed(range(have))][:2]
            assert [s["deviceId"] for s in conn["nodes"]] == newest, node
            assert conn["pageInfo"]["hasNextPage"] is (have > 2)
    assert counts[10] == counts[100], counts
    assert counts[100] == 3, counts  # passes, their scans, the scans' counts

    data, _ = await measured(api, PASS_SCANS_LAST, {"n": 8})
    for node in data["passes"]["nodes"]:
        have = scans_of[node["code"]]
        assert [s["deviceId"] for s in node["scans"]["nodes"]] == (["d0"] if have else [])
        assert node["scans"]["pageInfo"]["hasPreviousPage"] is (have > 1)

    # A cursor continues one pass's scans where its first page ended.
    three = next(c for c, have in scans_of.items() if have == 3)
    first_page = next(n for n in (await api.gql(PASS_SCANS, {"n": 100}))
                      ["passes"]["nodes"] if n["code"] == three)["scans"]
    rest = await api.gql(PASS_SCANS, {"n": 100,
                                      "after": first_page["pageInfo"]["endCursor"]})
    again = next(n for n in rest["passes"]["nodes"] if n["code"] == three)["scans"]
    assert [s["deviceId"] for s in again["nodes"]] == ["d0"]
    assert again["pageInfo"]["hasNextPage"] is False


async def test_passes_of_lists_of_customers_and_templates_cost_constant_statements(api):
    cus_ids, tpl_ids = [], []
    for i in range(100):
        cus = await api.gql(UPSERT_CUSTOMER, {"input": {"email": f"c{i}@example.com"}})
        cus_ids.append(cus["upsertCustomer"]["customer"]["id"])
        tpl = await api.gql(CREATE_TEMPLATE, {"input": {"name": f"T{i}"}})
        tpl_ids.append(tpl["createTemplate"]["template"]["id"])
    # Parent i owns i % 3 passes, named after it and their order of creation (one call
    # each: ids order by creation time, and a call's passes share one millisecond).
    for k in range(2):
        items = [{"name": f"{i}.{k}", "customerId": cus_ids[i], "templateId": tpl_ids[i]}
                 for i in range(100) if k < i % 3]
        made = await api.gql(CREATE_PASSES, {"input": {"passes": items}})
        assert len(made["createPasses"]["passes"]) == len(items)

    counts = {}
    for n in (10, 100):
        data, counts[n] = await measured(api, CUSTOMER_PASSES, {"n": n})
        nodes = data["customers"]["nodes"]
        assert len(nodes) == n
        for node in nodes:
            i = int(node["email"][1:].split("@")[0])
            assert node["passes"]["totalCount"] == i % 3
            assert [p["name"] for p in node["passes"]["nodes"]] == \
                [f"{i}.{k}" for k in reversed(range(i % 3))]
            assert node["passes"]["pageInfo"]["hasNextPage"] is False
    assert counts[10] == counts[100] == 3, counts

    counts = {}
    for n in (10, 100):
        data, counts[n] = await measured(api, TEMPLATE_PASSES, {"n": n})
        for node in data["templates"]["nodes"]:
            i = int(node["name"][1:])
            assert node["passes"]["totalCount"] == i % 3
            assert len(node["passes"]["nodes"]) == i % 3
    assert counts[10] == counts[100] == 3, counts

    # A status filter is part of the nested connection: no template has a deleted pass.
    data = await api.gql(TEMPLATE_PASSES, {"n": 100, "status": "DELETED"})
    assert all(n["passes"]["totalCount"] == 0 for n in data["templates"]["nodes"])


async def test_bad_page_arguments_of_a_nested_list_are_a_coded_error(api):
    await api.gql(CREATE_PASSES, {"input": {"passes": [{"name": "a"}, {"name": "b"}]}})
    err = await api.error("{ passes(first: 1) { nodes { scans(first: 500) { totalCount } } } }")
    assert err["extensions"]["code"] == "BAD_USER_INPUT", err
    assert "first must be between 0 and 100" in err["message"], err
    err = await api.error('{ passes { nodes { scans(after: "nope") { totalCount } } } }')
    assert err["extensions"]["code"] == "BAD_USER_INPUT", err
