"""Tenant isolation: tenant B's key never sees, changes or learns of tenant A's objects."""

import base64
import secrets
from typing import Any

import pytest

from resolvers.ids import new_id, new_pass_code
from tests.fragments import CREATE_PASS, CREATE_TEMPLATE, UPSERT_CUSTOMER, VALIDATE

SNAPSHOT = """
query($id: ID!) { node(id: $id) {
  ... on Pass { id code name state usagesCount updatedAt template { id } customer { id } }
  ... on Template { id templateName: name updatedAt }
  ... on Customer { id externalId email name updatedAt }
} }
"""
SUSPEND = "mutation($id: ID!) { suspendPass(input: {id: $id}) { pass { id } } }"
LIST_IDS = """
{ passes { totalCount nodes { id } }
  templates { totalCount nodes { id } }
  customers { totalCount nodes { id } }
  scans { totalCount nodes { id pass { id } } } }
"""


def raw(global_id: str) -> str:
    """``pass_…`` from the Relay global id ``base64("Pass:pass_…")``."""
    return base64.b64decode(global_id).decode().split(":", 1)[1]


def gid(type_name: str, raw_id: str) -> str:
    return base64.b64encode(f"{type_name}:{raw_id}".encode()).decode()


class World:
    """Tenant A's objects, and tenant B's key."""

    def __init__(self, a: Any, b: Any) -> None:
        self.a, self.b = a, b
        self.ids: dict[str, str] = {}
        self.values: dict[str, str] = {}

    def get(self, target: str, form: str) -> str:
        """A's object ``target`` as a global id, a raw id, or the plain value (code, email)."""
        if target in self.values:
            return self.values[target]
        return self.ids[target] if form == "gid" else raw(self.ids[target])


@pytest.fixture
async def world(api: Any) -> World:
    w = World(api, await api.other_tenant())
    tpl = (await api.gql(CREATE_TEMPLATE, {"input": {"name": "A gala"}}))["createTemplate"]
    unused = (await api.gql(CREATE_TEMPLATE, {"input": {"name": "A spare"}}))["createTemplate"]
    cus = (await api.gql(UPSERT_CUSTOMER, {"input": {
        "externalId": "a-ext-1", "email": "ada@a.example", "name": "Ada"}}))["upsertCustomer"]
    main = (await api.gql(CREATE_PASS, {"input": {
        "templateId": tpl["template"]["id"], "customerId": cus["customer"]["id"],
        "holderName": "Ada Lovelace", "type": "MULTI", "maxUsages": 5}}))["createPass"]["pass"]
    suspended = (await api.gql(CREATE_PASS, {"input": {}}))["createPass"]["pass"]
    await api.gql(SUSPEND, {"id": suspended["id"]})
    scanned = (await api.gql(CREATE_PASS, {"input": {"type": "MULTI"}}))["createPass"]["pass"]
    scan = (await api.gql(VALIDATE, {"input": {"code": scanned["code"], "scanId": "gate-1"}}))
    scan = scan["validatePass"]
    w.ids.update(
        pass_=main["id"], suspended=suspended["id"], scanned=scanned["id"],
        scan=scan["scan"]["id"], template=tpl["template"]["id"],
        unused_template=unused["template"]["id"], customer=cus["customer"]["id"],
    )
    w.values.update(code=main["code"], code_lower=main["code"].lower(),
                    external_id="a-ext-1", email="ada@a.example", email_upper="ADA@A.EXAMPLE")
    return w


def lookalike(value: str) -> str:
    """A value of the same shape that names nothing at all."""
    if value.startswith(("pass_", "tpl_", "cus_", "scn_")):
        kind = {"pass": "pass", "tpl": "template", "cus": "customer", "scn": "scan"}
        return new_id(kind[value.split("_")[0]])
    if len(value) == 16 and value.isalnum():  # a pass code, in the case it was given
        code = new_pass_code()
        return code if value == value.upper() else code.lower()
    try:
        type_name, raw_id = base64.b64decode(value, validate=True).decode().split(":", 1)
    except ValueError:
        pass
    else:
        return gid(type_name, lookalike(raw_id))
    if "@" in value:
        return f"nobody-{secrets.token_hex(3)}@a.example"
    return f"{value}-{secrets.token_hex(3)}"


def scrub(error: dict[str, Any], value: str) -> dict[str, Any]:
    """The error with the looked-up value (and its raw form) blanked out."""
    message = error["message"]
    for v in (value, _raw_or_none(value)):
        if v:
            message = message.replace(v, "<V>")
    return {"message": message, "extensions": error.get("extensions")}


def _raw_or_none(value: str) -> str | None:
    try:
        return raw(value)
    except (ValueError, IndexError):
        return None


async def assert_not_found_like_nothing(w: World, doc: str, value: str) -> None:
    """B gets NOT_FOUND, no data, and exactly the error a value naming nothing would get."""
    status, body = await w.b.post(doc, {"v": value})
    assert status == 200, body
    assert [e["extensions"]["code"] for e in body.get("errors", [])] == ["NOT_FOUND"], body
    assert not any((body.get("data") or {}).values()), body
    fake = lookalike(value)
    assert fake != value
    fake_error = await w.b.error(doc, {"v": fake})
    assert scrub(body["errors"][0], value) == scrub(fake_error, fake)


QUERIES = {
    "node": "query($v: ID!) { node(id: $v) { id } }",
    "pass_id": "query($v: ID!) { pass(id: $v) { id code } }",
    "pass_code": "query($v: String!) { pass(code: $v) { id code } }",
    "template": "query($v: ID!) { template(id: $v) { id name } }",
    "customer_id": "query($v: ID!) { customer(id: $v) { id email } }",
    "customer_ext": "query($v: String!) { customer(externalId: $v) { id email } }",
    "customer_email": "query($v: String!) { customer(email: $v) { id email } }",
}
QUERY_CASES = [
    *[("node", t, f) for t in ("pass_", "template", "customer", "scan") for f in ("gid", "raw")],
    *[("pass_id", "pass_", f) for f in ("gid", "raw")],
    ("pass_code", "code", "value"),
    ("pass_code", "code_lower", "value"),
    *[("template", "template", f) for f in ("gid", "raw")],
    *[("customer_id", "customer", f) for f in ("gid", "raw")],
    ("customer_ext", "external_id", "value"),
    ("customer_email", "email", "value"),
    ("customer_email", "email_upper", "value"),
]


@pytest.mark.parametrize(("query", "target", "form"), QUERY_CASES)
async def test_queries_never_reach_another_tenant(world, query, target, form):
    await assert_not_found_like_nothing(world, QUERIES[query], world.get(target, form))


async def test_owner_still_reaches_its_objects(world):
    """The control for the refusals above: the same lookups work with A's key."""
    w = world
    for query, target, form in QUERY_CASES:
        _, body = await w.a.post(QUERIES[query], {"v": w.get(target, form)})
        assert "errors" not in body and any(body["data"].values()), (query, target, body)


MUTATIONS = {
    "updatePass": ("pass_", 'updatePass(input: {id: $v, name: "hacked", maxUsages: 9})'
                            " { pass { id } }"),
    "suspendPass": ("pass_", "suspendPass(input: {id: $v}) { pass { id } }"),
    "resumePass": ("suspended", "resumePass(input: {id: $v}) { pass { id } }"),
    "unlinkPass": ("pass_", "unlinkPass(input: {id: $v}) { pass { id } }"),
    "deletePass": ("pass_", "deletePass(input: {id: $v}) { pass { id } }"),
    "updateTemplate": ("template", 'updateTemplate(input: {id: $v, name: "hacked"})'
                                   " { template { id } }"),
    "deleteTemplate": ("unused_template", "deleteTemplate(input: {id: $v}) { template { id } }"),
    "deleteUsedTemplate": ("template", "deleteTemplate(input: {id: $v}) { template { id } }"),
    "updateCustomer": ("customer", 'updateCustomer(input: {id: $v, name: "hacked",'
                                   ' email: "evil@b.example"}) { customer { id } }'),
    "deleteCustomer": ("customer", "deleteCustomer(input: {id: $v}) { customer { id } }"),
}


@pytest.mark.parametrize("form", ["gid", "raw"])
@pytest.mark.parametrize("mutation", list(MUTATIONS))
async def test_mutations_never_touch_another_tenant(world, mutation, form):
    w = world
    target, body = MUTATIONS[mutation]
    before = await w.a.gql(SNAPSHOT, {"id": w.ids[target]})
    assert before["node"] is not None
    await assert_not_found_like_nothing(w, f"mutation($v: ID!) {{ {body} }}", w.get(target, form))
    assert await w.a.gql(SNAPSHOT, {"id": w.ids[target]}) == before
    if target == "customer":  # deleting the customer would also have unlinked A's pass
        snap = await w.a.gql(SNAPSHOT, {"id": w.ids["pass_"]})
        assert snap["node"]["customer"] == {"id": w.ids["customer"]}


@pytest.mark.parametrize("dry_run", [False, True])
async def test_validate_another_tenants_code(world, dry_run):
    w = world
    code = w.values["code"]
    for presented in (code, code.lower()):
        result = (await w.b.gql(VALIDATE, {"input": {"code": presented, "dryRun": dry_run}}))
        assert result["validatePass"]["valid"] is False
        assert result["validatePass"]["reason"] == "NOT_FOUND"
        assert result["validatePass"]["pass"] is None
        assert result["validatePass"]["remainingUsages"] is None
    snap = await w.a.gql(SNAPSHOT, {"id": w.ids["pass_"]})
    assert snap["node"]["usagesCount"] == 0
    a_scans = await w.a.gql("{ scans { nodes { pass { id } } } }")
    assert {"pass": {"id": w.ids["pass_"]}} not in a_scans["scans"]["nodes"]
    # A client scan id A already used is no replay of A's answer for B.
    replay = await w.b.gql(VALIDATE, {"input": {"code": code, "scanId": "gate-1"}})
    assert replay["validatePass"]["reason"] == "NOT_FOUND"
    assert replay["validatePass"]["scan"]["id"] != w.ids["scan"]
    # ...and A's pass still has all its uses for A's own gate.
    own = await w.a.gql(VALIDATE, {"input": {"code": code}})
    assert own["validatePass"]["valid"] is True
    assert own["validatePass"]["remainingUsages"] == 4


async def test_lists_hold_only_own_objects(world):
    w = world
    b_tpl = (await w.b.gql(CREATE_TEMPLATE, {"input": {"name": "B"}}))["createTemplate"]
    b_cus = (await w.b.gql(UPSERT_CUSTOMER, {"input": {"externalId": "a-ext-1"}}))
    b_pass = (await w.b.gql(CREATE_PASS, {"input": {
        "templateId": b_tpl["template"]["id"]}}))["createPass"]["pass"]
    b_scan = (await w.b.gql(VALIDATE, {"input": {"code": b_pass["code"]}}))["validatePass"]
    await w.b.gql(VALIDATE, {"input": {"code": w.values["code"]}})  # A's code: B's own scan

    lists = await w.b.gql(LIST_IDS)
    assert lists["passes"] == {"totalCount": 1, "nodes": [{"id": b_pass["id"]}]}
    assert lists["templates"] == {"totalCount": 1, "nodes": [{"id": b_tpl["template"]["id"]}]}
    assert lists["customers"] == {
        "totalCount": 1, "nodes": [{"id": b_cus["upsertCustomer"]["customer"]["id"]}]}
    assert lists["scans"]["totalCount"] == 2
    scan_ids = {s["id"] for s in lists["scans"]["nodes"]}
    assert w.ids["scan"] not in scan_ids and b_scan["scan"]["id"] in scan_ids
    assert [s["pass"] for s in lists["scans"]["nodes"]].count(None) == 1  # A's pass not linked

    a_lists = await w.a.gql(LIST_IDS)
    a_ids = {n["id"] for key in ("passes", "templates", "customers", "scans")
             for n in a_lists[key]["nodes"]}
    assert not a_ids & {b_pass["id"], b_tpl["template"]["id"], b_scan["scan"]["id"],
                        b_cus["upsertCustomer"]["customer"]["id"]}
    assert b_cus["upsertCustomer"]["created"] is True  # same externalId, separate tenant


@pytest.mark.parametrize("form", ["gid", "raw"])
@pytest.mark.parametrize(("doc", "variable", "target"), [
    ("query($v: ID) { passes(filter: {templateId: $v}) { totalCount nodes { id } } }",
     "passes", "template"),
    ("query($v: ID) { passes(filter: {customerId: $v}) { totalCount nodes { id } } }",
     "passes", "customer"),
    ("query($v: ID) { scans(filter: {passId: $v}) { totalCount nodes { id } } }",
     "scans", "scanned"),
])
async def test_filters_by_another_tenants_ids_find_nothing(world, doc, variable, target, form):
    w = world
    found = await w.b.gql(doc, {"v": w.get(target, form)})
    assert found[variable] == {"totalCount": 0, "nodes": []}
    control = await w.a.gql(doc, {"v": w.get(target, form)})
    assert control[variable]["totalCount"] == 1


@pytest.mark.parametrize("search", ["code", "holder"])
async def test_search_by_another_tenants_code_or_holder_finds_nothing(world, search):
    w = world
    term = w.values["code"] if search == "code" else "Lovelace"
    doc = "query($s: String) { passes(filter: {search: $s}) { totalCount } }"
    assert (await w.b.gql(doc, {"s": term}))["passes"]["totalCount"] == 0
    assert (await w.a.gql(doc, {"s": term}))["passes"]["totalCount"] == 1


@pytest.mark.parametrize("form", ["gid", "raw"])
@pytest.mark.parametrize(("field", "target"), [
    ("templateId", "template"), ("customerId", "customer")])
async def test_create_pass_with_another_tenants_reference(world, field, target, form):
    w = world
    ref = w.get(target, form)
    error = await w.b.error(CREATE_PASS, {"input": {field: ref}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    fake = lookalike(ref)
    assert scrub(error, ref) == scrub(await w.b.error(CREATE_PASS, {"input": {field: fake}}), fake)

    bulk = await w.b.error(
        "mutation($i: CreatePassesInput!) { createPasses(input: $i) { count } }",
        {"i": {"passes": [{"name": "ok"}, {field: ref}]}},
    )
    assert bulk["extensions"] == {"code": "BAD_USER_INPUT", "field": f"passes[1].{field}"}

    b_pass = (await w.b.gql(CREATE_PASS, {"input": {"name": "mine"}}))["createPass"]["pass"]
    update = await w.b.error(
        "mutation($i: UpdatePassInput!) { updatePass(input: $i) { pass { id } } }",
        {"i": {"id": b_pass["id"], field: ref}},
    )
    assert update["extensions"] == {"code": "BAD_USER_INPUT", "field": field}

    listed = await w.b.gql("{ passes { totalCount nodes { id template { id } customer { id } } } }")
    assert listed["passes"] == {"totalCount": 1, "nodes": [
        {"id": b_pass["id"], "template": None, "customer": None}]}
    a_side = f"query($v: ID) {{ passes(filter: {{{field}: $v}}) {{ totalCount }} }}"
    assert (await w.a.gql(a_side, {"v": w.ids[target]}))["passes"]["totalCount"] == 1
