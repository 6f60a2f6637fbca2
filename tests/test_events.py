"""Domain events: every change writes its event in its own transaction (the outbox), read back
through GraphQL ``events``; a change that rolls back leaves none."""

import asyncio
import base64
from typing import Any

from tests.conftest import Api, make_api

EVENTS = """
query($filter: EventFilter, $first: Int) {
  events(filter: $filter, first: $first) {
    totalCount nodes { id type occurredAt orderingKey data }
  }
}
"""
CREATE = "mutation($i: CreatePassInput!) { createPass(input: $i) { pass { id code } } }"
CREATE_MANY = "mutation($i: CreatePassesInput!) { createPasses(input: $i) { passes { id } } }"
VALIDATE = """
mutation($i: ValidatePassInput!) { validatePass(input: $i) { valid reason pass { usagesCount } } }
"""


def raw(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


async def events(api: Api, **filter: Any) -> list[dict[str, Any]]:
    """The tenant's events, oldest first."""
    data = await api.gql(EVENTS, {"filter": filter or None, "first": 100})
    return list(reversed(data["events"]["nodes"]))


async def create_pass(api: Api, **fields: Any) -> dict[str, Any]:
    return (await api.gql(CREATE, {"i": {"type": "MULTI", **fields}}))["createPass"]["pass"]


async def test_pass_life_cycle_events_in_order(api: Api):
    p = await create_pass(api, name="Ada", maxUsages=3, metadata={"seat": "A1"})
    pid = raw(p["id"])
    await api.gql("mutation($i: UpdatePassInput!) { updatePass(input: $i) { pass { id } } }",
                  {"i": {"id": p["id"], "name": "Ada L."}})
    for action in ("suspendPass", "resumePass", "unlinkPass", "deletePass"):
        await api.gql(f"mutation($id: ID!) {{ {action}(input: {{id: $id}}) {{ pass {{ id }} }} }}",
                      {"id": p["id"]})
    got = await events(api, passId=p["id"])
    assert [e["type"] for e in got] == [
        "pass.created", "pass.updated", "pass.suspended", "pass.resumed", "pass.unlinked",
        "pass.deleted"]
    assert all(e["orderingKey"] == pid for e in got)
    assert len({e["id"] for e in got}) == 6 and all(e["id"].startswith("evt_") for e in got)
    created, updated, suspended = got[0]["data"], got[1]["data"], got[2]["data"]
    assert created["id"] == pid and created["code"] == p["code"] and created["name"] == "Ada"
    assert created["status"] == "active" and created["max_usages"] == 3
    assert created["metadata"] == {"seat": "A1"} and created["remaining_usages"] == 3
    assert created["created_at"].endswith("Z")
    assert updated["name"] == "Ada L." and suspended["state"] == "suspended"
    assert got[-1]["data"]["status"] == "deleted"
    # Another tenant sees none of them.
    other = await api.other_tenant()
    assert await events(other) == []


async def test_scans_accepted_and_rejected_with_reason(api: Api):
    p = await create_pass(api, maxUsages=1)
    for _ in range(2):
        await api.gql(VALIDATE, {"i": {"code": p["code"], "deviceId": "gate-1"}})
    await api.gql(VALIDATE, {"i": {"code": "NOSUCHCODE"}})
    await api.gql(VALIDATE, {"i": {"code": p["code"], "dryRun": True}})  # records nothing
    scanned = await events(api, types=["pass.scanned"])
    assert len(scanned) == 3
    ok, used, missing = (e["data"] for e in scanned)
    assert ok["result"] == "accepted" and ok["reason"] is None and ok["device_id"] == "gate-1"
    assert ok["pass"]["usages_count"] == 1 and ok["pass"]["status"] == "used_up"
    assert ok["usages_after"] == 1 and ok["id"].startswith("scn_")
    assert used["result"] == "rejected" and used["reason"] == "used_up"
    assert missing["reason"] == "not_found" and missing["pass"] is None
    assert scanned[0]["orderingKey"] == raw(p["id"])
    # Wallet Crew and wildcard names select the same events.
    assert len(await events(api, types=["Pass:Scanned"])) == 3
    assert len(await events(api, types=["pass.*"])) == 4  # + pass.created


async def test_templates_customers_webhooks_and_qr_events(client, api: Api):
    tpl = (await api.gql("mutation { createTemplate(input: {name: \"Gym\"}) "
                         "{ template { id } } }"))["createTemplate"]["template"]
    for doc in ("updateTemplate(input: {id: $id, name: \"Gym+\"}) { template { id } }",
                "publishTemplate(input: {id: $id}) { template { id } }",
                "deleteTemplate(input: {id: $id}) { template { id } }"):
        await api.gql(f"mutation($id: ID!) {{ {doc} }}", {"id": tpl["id"]})
    cus = (await api.gql("mutation { upsertCustomer(input: {email: \"a@b.example\"}) "
                         "{ customer { id } } }"))["upsertCustomer"]["customer"]
    await api.gql("mutation { upsertCustomer(input: {email: \"a@b.example\", name: \"A\"}) "
                  "{ customer { id } } }")
    await api.gql("mutation($id: ID!) { deleteCustomer(input: {id: $id}) { customer { id } } }",
                  {"id": cus["id"]})
    hook = (await api.gql("mutation { createWebhook(input: {url: \"https://h.example/x\", "
                          "events: [\"*\"]}) { webhook { id } } }"))["createWebhook"]["webhook"]
    await api.gql("mutation($id: ID!) { deleteWebhook(input: {id: $id}) { webhook { id } } }",
                  {"id": hook["id"]})
    team = await make_api(client, plan="team")
    qr = (await team.gql("mutation { createQrCode(input: {name: \"Menu\", destinationUrl: "
                         "\"https://example.com/m\"}) { qrCode { slug } } }"))
    slug = qr["createQrCode"]["qrCode"]["slug"]
    resp = await client.get(f"/q/{slug}", allow_redirects=False)
    assert resp.status in (301, 302, 307, 308)

    got = await events(api)
    assert [e["type"] for e in got] == [
        "template.created", "template.updated", "template.published", "template.deleted",
        "customer.created", "customer.updated", "customer.deleted",
        "webhook.created", "webhook.deleted"]
    assert got[1]["data"]["name"] == "Gym+" and got[2]["data"]["published_at"].endswith("Z")
    assert got[5]["data"]["name"] == "A" and got[4]["data"]["email"] == "a@b.example"
    assert got[7]["data"]["url"] == "https://h.example/x"
    assert "secret_ciphertext" not in got[7]["data"] and "tenant_id" not in got[7]["data"]
    (visit,) = await events(team, types=["qr.scanned"])
    assert visit["data"]["slug"] == slug and visit["data"]["scan_count"] == 1
    assert "visitor_hash" not in visit["data"]["visit"]


async def test_bulk_create_is_one_event_per_pass_and_none_when_it_fails(api: Api):
    made = await api.gql(CREATE_MANY, {"i": {"passes": [{"name": f"p{i}"} for i in range(5)]}})
    ids = {raw(p["id"]) for p in made["createPasses"]["passes"]}
    got = await events(api, types=["pass.created"])
    assert {e["data"]["id"] for e in got} == ids and len(got) == 5
    error = await api.error(CREATE_MANY, {"i": {"passes": [
        {"name": "ok"}, {"name": "bad", "templateId": "tpl_missing"}]}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(await events(api, types=["pass.created"])) == 5


async def test_a_rolled_back_validation_leaves_no_event(api: Api):
    """The same client scan id sent many times at once: one use consumed and one event; the
    losers' statements fail on the unique scan id and roll back, event included."""
    p = await create_pass(api)
    answers = await asyncio.gather(*(
        api.gql(VALIDATE, {"i": {"code": p["code"], "scanId": "once"}}) for _ in range(8)))
    assert all(a["validatePass"]["valid"] for a in answers)
    scanned = await events(api, types=["pass.scanned"])
    assert len(scanned) == 1 and scanned[0]["data"]["client_scan_id"] == "once"
    count = await api.gql("query($id: ID!) { node(id: $id) { ... on Pass { usagesCount } } }",
                          {"id": p["id"]})
    assert count["node"]["usagesCount"] == 1


async def test_reading_events_needs_webhooks_read(api: Api):
    key = await api.new_key("scans:read")
    error = await api.error(EVENTS, {"first": 1}, key=key)
    assert error["extensions"]["code"] == "FORBIDDEN"
    # passes:read alone reads the passes' own history, nothing else.
    p = await create_pass(api, name="Seen")
    await api.gql("mutation { createWebhook(input: {url: \"https://example.com/h\", "
                  "events: [\"*\"]}) { secret } }")
    readable = await api.new_key("passes:read")
    seen = (await api.gql(EVENTS, {"first": 10}, key=readable))["events"]["nodes"]
    assert [(e["type"], e["orderingKey"]) for e in seen] == [("pass.created", raw(p["id"]))]
    everything = (await api.gql(EVENTS, {"first": 10}))["events"]["nodes"]
    assert {e["type"] for e in everything} == {"pass.created", "webhook.created"}
    error = await api.error(EVENTS, {"first": 500})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
