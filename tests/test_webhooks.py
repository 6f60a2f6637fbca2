"""Webhooks: registration CRUD, the secret shown once and sealed at rest, input checks, the plan
quota (exact under concurrent creates), isolation, scopes and the signed test delivery."""

import asyncio
import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError
from strawberry import relay

from resolvers import auth, secretbox
from resolvers import webhooks as webhook_data
from resolvers.delivery import post_signed
from resolvers.errors import BadInput, PlanLimit
from resolvers.models import webhooks
from resolvers.outbound import Outbound
from tests.conftest import SECRET, make_api
from tests.servers import free_port

FIELDS = "id name url events authMethod enabled description verifiedAt createdAt updatedAt"
CREATE = f"""
mutation($input: CreateWebhookInput!) {{
  createWebhook(input: $input) {{ secret webhook {{ {FIELDS} }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateWebhookInput!) {{
  updateWebhook(input: $input) {{ webhook {{ {FIELDS} }} }}
}}
"""
DELETE = f"mutation($id: ID!) {{ deleteWebhook(input: {{id: $id}}) {{ webhook {{ {FIELDS} }} }} }}"
VERIFY = f"""
mutation($id: ID!) {{ verifyWebhook(input: {{id: $id}}) {{ verified webhook {{ {FIELDS} }} }} }}
"""
GET = f"query($id: ID!) {{ webhook(id: $id) {{ {FIELDS} }} }}"
NODE = "query($id: ID!) { node(id: $id) { ... on Webhook { id url } } }"
LIST = """
query($first: Int, $after: String) {
  webhooks(first: $first, after: $after) {
    totalCount edges { cursor node { id url } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
COUNT = "{ webhooks { totalCount } }"
URL = "https://hooks.example/passgate"


async def create(api, key: str | None = None, **fields: Any) -> dict[str, Any]:
    variables = {"input": {"url": URL, "events": ["Pass:Created"], **fields}}
    return (await api.gql(CREATE, variables, key))["createWebhook"]


async def stored_row(db_url: str, webhook_id: str) -> Any:
    """The row as stored, read with SQLAlchemy apart from the server's own engine."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(select(webhooks).where(webhooks.c.id == webhook_id))).one()
    finally:
        await engine.dispose()


def raw(global_id: str) -> str:
    return relay.GlobalID.from_id(global_id).node_id


# ---------------------------------------------------------------- CRUD


async def test_create_read_update_delete(api):
    made = await create(api, name="  CRM  ", description="Sync to CRM", authMethod="MTLS",
                        events=["Pass:Created", "Pass:*", "ag.card.issued", "Pass:Created"])
    hook = made["webhook"]
    assert hook["name"] == "CRM" and hook["url"] == URL and hook["description"] == "Sync to CRM"
    assert hook["events"] == ["Pass:Created", "Pass:*", "ag.card.issued"]  # duplicate dropped
    assert (hook["authMethod"], hook["enabled"], hook["verifiedAt"]) == ("MTLS", True, None)
    assert raw(hook["id"]).startswith("whk_")
    assert (await api.gql(GET, {"id": hook["id"]}))["webhook"] == hook
    assert (await api.gql(GET, {"id": raw(hook["id"])}))["webhook"] == hook
    assert (await api.gql(NODE, {"id": hook["id"]}))["node"] == {"id": hook["id"], "url": URL}

    minimal = (await create(api))["webhook"]
    assert (minimal["name"], minimal["description"], minimal["authMethod"]) == (
        None, None, "BEARER_TOKEN")

    changed = (await api.gql(UPDATE, {"input": {
        "id": hook["id"], "url": "https://hooks.example/v2", "events": ["*"], "enabled": False,
    }}))["updateWebhook"]["webhook"]
    assert (changed["url"], changed["events"], changed["enabled"]) == (
        "https://hooks.example/v2", ["*"], False)
    untouched = ("name", "description", "authMethod", "createdAt")
    assert {k: changed[k] for k in untouched} == {k: hook[k] for k in untouched}
    assert changed["updatedAt"] >= hook["updatedAt"]
    cleared = await api.gql(UPDATE, {"input": {"id": hook["id"], "description": None}})
    assert cleared["updateWebhook"]["webhook"]["description"] is None
    assert cleared["updateWebhook"]["webhook"]["name"] == "CRM"

    gone = (await api.gql(DELETE, {"id": hook["id"]}))["deleteWebhook"]["webhook"]
    assert gone["id"] == hook["id"]
    error = await api.error(GET, {"id": hook["id"]})
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert (await api.error(DELETE, {"id": hook["id"]}))["extensions"]["code"] == "NOT_FOUND"
    assert (await api.gql(COUNT))["webhooks"]["totalCount"] == 1


async def test_list_newest_first_in_pages(api):
    made = [(await create(api, name=f"hook {i}"))["webhook"]["id"] for i in range(3)]
    first = (await api.gql(LIST, {"first": 2}))["webhooks"]
    assert first["totalCount"] == 3
    assert [e["node"]["id"] for e in first["edges"]] == made[::-1][:2]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    rest = (await api.gql(LIST, {"first": 2, "after": first["pageInfo"]["endCursor"]}))
    assert [e["node"]["id"] for e in rest["webhooks"]["edges"]] == made[:1]
    assert not rest["webhooks"]["pageInfo"]["hasNextPage"]


# ---------------------------------------------------------------- the secret


async def test_secret_is_shown_once_and_sealed_at_rest(api, db_url):
    made = await create(api)
    secret = made["secret"]
    # A Standard Webhooks secret for a native key: whsec_ and base64 of 32 bytes.
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert secret != (await create(api))["secret"]
    error = await api.error(f"{{ webhook(id: \"{made['webhook']['id']}\") {{ secret }} }}")
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    for doc, variables in ((GET, {"id": made["webhook"]["id"]}), (LIST, {}),
                           (UPDATE, {"input": {"id": made["webhook"]["id"], "name": "x"}})):
        assert secret not in json.dumps(await api.gql(doc, variables))

    row = await stored_row(db_url, raw(made["webhook"]["id"]))
    assert row.tenant_id == api.tenant_id
    assert secret not in row.secret_ciphertext
    assert secretbox.unseal(SECRET.encode(), "webhook", row.secret_ciphertext) == secret
    assert secretbox.unseal(b"another server secret", "webhook", row.secret_ciphertext) is None


# ---------------------------------------------------------------- input checks

EVENTS_HELP = ("is not an event name: use Category:Action (Pass:Created, Pass:*, *) or dotted "
               "lower-case (pass.created, ag.card.issued)")


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"url": "ftp://hooks.example/x"}, "url", "url must be an absolute https URL"),
    ({"url": "hooks.example/x"}, "url", "url must be an absolute https URL"),
    ({"url": "https://"}, "url", "url must be an absolute https URL"),
    ({"url": "https://hooks.example:99999/x"}, "url", "url is not a valid URL"),
    ({"url": "https://hooks.example/" + "x" * 2000}, "url",
     "url is longer than 2000 characters"),
    ({"url": "  "}, "url", "url must not be empty"),
    ({"events": []}, "events", "events must list at least one event"),
    ({"events": ["pass"]}, "events", f"events[0] 'pass' {EVENTS_HELP}"),
    ({"events": ["Pass:Created", "pass:created"]}, "events",
     f"events[1] 'pass:created' {EVENTS_HELP}"),
    ({"events": ["Pass:Created", ""]}, "events", f"events[1] '' {EVENTS_HELP}"),
    ({"events": ["Pass.Created"]}, "events", f"events[0] 'Pass.Created' {EVENTS_HELP}"),
    ({"events": ["Pass:Created"] * 51}, "events", "events lists more than 50 events"),
    ({"name": "x" * 201}, "name", "name is longer than 200 characters"),
    ({"description": "x" * 2001}, "description", "description is longer than 2000 characters"),
])
async def test_create_rejects_bad_input(api, fields, field, message):
    error = await api.error(CREATE, {"input": {"url": URL, "events": ["Pass:Created"],
                                               **fields}})
    assert error["message"] == message
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert (await api.gql(COUNT))["webhooks"]["totalCount"] == 0


@pytest.mark.parametrize("events", [
    ["Pass:Created", "Pass:Updated", "Pass:Installed", "Pass:Uninstalled", "Pass:Validated",
     "Redirect:Redirected", "Customer:*", "*"],
    ["ag.card.issued", "pass.created", "pass.*", "ag.access_pass.updated"],
])
async def test_event_names_of_both_vendors_are_accepted(api, events):
    assert (await create(api, events=events))["webhook"]["events"] == events


async def test_plain_http_reaches_local_receivers_where_the_operator_allows(api):
    """The suite runs with PASSGATE_WEBHOOK_ALLOW_PRIVATE=true; test_outbound.py without."""
    for url in ("http://localhost:8080/hook", "http://127.0.0.1/hook"):
        assert (await create(api, url=url))["webhook"]["url"] == url


@pytest.mark.parametrize(("fields", "field"), [
    ({"url": None}, "url"), ({"url": "ftp://hooks.example"}, "url"),
    ({"events": None}, "events"), ({"events": ["nope"]}, "events"), ({"enabled": None}, "enabled"),
])
async def test_update_rejects_bad_input(api, fields, field):
    hook = (await create(api))["webhook"]
    error = await api.error(UPDATE, {"input": {"id": hook["id"], **fields}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert (await api.gql(GET, {"id": hook["id"]}))["webhook"] == hook


async def test_unknown_auth_method_is_refused(api):
    error = await api.error(CREATE, {"input": {"url": URL, "events": ["*"],
                                               "authMethod": "BASIC"}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"  # not a WebhookAuthMethod value
    with pytest.raises(BadInput) as refused:  # the rule itself, for doors that pass strings
        await webhook_data.create_webhook(api.db, api.tenant_id, "pro", SECRET.encode(),
                                          url=URL, events=["*"], auth_method="basic")
    assert refused.value.field == "authMethod"
    assert refused.value.message == "authMethod must be one of bearer_token, mtls, none"


# ---------------------------------------------------------------- plan quota


async def test_free_plan_has_no_webhooks(client):
    api = await make_api(client, plan="free")
    with pytest.raises(PlanLimit) as refused:
        await webhook_data.create_webhook(api.db, api.tenant_id, "free", SECRET.encode(),
                                          url=URL, events=["*"])
    assert refused.value.message == ("webhooks: the free plan allows 0 webhooks; webhooks "
                                     "require the starter plan or above")
    status, body = await api.post(CREATE, {"input": {"url": URL, "events": ["*"]}})
    assert status == 403 and body["errors"][0]["extensions"]["code"] == "PLAN_LIMIT"


async def test_starter_plan_keeps_two_webhooks(client):
    api = await make_api(client, plan="starter")
    first = (await create(api))["webhook"]
    await create(api)
    error = await api.error(CREATE, {"input": {"url": URL, "events": ["*"]}})
    assert error["extensions"]["code"] == "PLAN_LIMIT"
    assert error["message"] == ("webhooks: the starter plan allows 2 webhooks; this tenant has "
                                "2: delete one or change plan")
    await api.gql(DELETE, {"id": first["id"]})
    assert (await create(api))["webhook"]["id"]
    other = await make_api(client, plan="starter")  # the quota is per tenant
    assert (await create(other))["webhook"]["id"]


async def test_concurrent_creates_never_pass_the_plan_cap(client):
    api = await make_api(client, plan="starter")
    results = await asyncio.gather(*(
        api.post(CREATE, {"input": {"url": URL, "events": ["*"], "name": f"h{i}"}})
        for i in range(10)
    ))
    codes = [b["errors"][0]["extensions"]["code"] if "errors" in b else "OK" for _, b in results]
    assert codes.count("OK") == 2 and codes.count("PLAN_LIMIT") == 8
    assert (await api.gql(COUNT))["webhooks"]["totalCount"] == 2


# ---------------------------------------------------------------- isolation and scopes


async def test_tenants_never_see_each_others_webhooks(api):
    hook = (await create(api))["webhook"]
    other = await api.other_tenant()
    assert (await other.gql(COUNT))["webhooks"]["totalCount"] == 0
    for doc, variables in ((GET, {"id": hook["id"]}), (NODE, {"id": hook["id"]}),
                           (UPDATE, {"input": {"id": hook["id"], "name": "mine"}}),
                           (DELETE, {"id": hook["id"]}), (VERIFY, {"id": hook["id"]})):
        error = await other.error(doc, variables)
        assert error["extensions"]["code"] == "NOT_FOUND", doc
    assert (await api.gql(GET, {"id": hook["id"]}))["webhook"] == hook


async def test_scopes(api):
    hook = (await create(api))["webhook"]
    reader = await api.new_key("webhooks:read")
    assert (await api.gql(COUNT, key=reader))["webhooks"]["totalCount"] == 1
    assert (await api.gql(NODE, {"id": hook["id"]}, key=reader))["node"]["id"] == hook["id"]
    for doc, variables in ((CREATE, {"input": {"url": URL, "events": ["*"]}}),
                           (UPDATE, {"input": {"id": hook["id"], "name": "x"}}),
                           (DELETE, {"id": hook["id"]}), (VERIFY, {"id": hook["id"]})):
        error = await api.error(doc, variables, key=reader)
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "webhooks:write" in error["message"]
    stranger = await api.new_key("passes:read templates:*")
    for doc, variables in ((COUNT, {}), (GET, {"id": hook["id"]}), (NODE, {"id": hook["id"]})):
        error = await api.error(doc, variables, key=stranger)
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "webhooks:read" in error["message"]
    writer = await api.new_key("webhooks:*")
    assert (await create(api, key=writer))["secret"]


# ---------------------------------------------------------------- verify


async def receiver(aiohttp_server, status: int = 200, delay: float = 0.0
                   ) -> tuple[str, list[tuple[dict[str, str], bytes]]]:
    """A local endpoint that records each request (headers, raw body) and answers ``status``."""
    seen: list[tuple[dict[str, str], bytes]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append((dict(request.headers), await request.read()))
        await asyncio.sleep(delay)
        return web.Response(status=status, text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    return f"http://127.0.0.1:{server.port}/hook", seen


async def test_verify_sends_a_standard_webhooks_test_delivery(api, aiohttp_server):
    """A native webhook's test delivery is a Standard Webhooks message: the
    ``standardwebhooks`` verifier a receiver uses for every event accepts it."""
    url, seen = await receiver(aiohttp_server)
    made = await create(api, url=url)
    hook, secret = made["webhook"], made["secret"]
    assert secret.startswith("whsec_")
    answer = (await api.gql(VERIFY, {"id": hook["id"]}))["verifyWebhook"]
    assert answer["verified"] is True
    assert answer["webhook"]["verifiedAt"] is not None
    assert answer["webhook"]["updatedAt"] == hook["updatedAt"]
    assert (await api.gql(GET, {"id": hook["id"]}))["webhook"] == answer["webhook"]

    [(headers, body)] = seen
    event = StandardWebhook(secret).verify(body, headers)
    assert set(event) == {"type", "timestamp", "data"}
    assert event["type"] == "webhook.verify" and event["timestamp"].endswith("Z")
    assert event["data"] == {"webhook_id": raw(hook["id"])}
    assert headers["webhook-id"].startswith("evt_")
    assert headers["Content-Type"] == "application/json"
    assert "X-NEOSTORE-SIGNATURE" not in headers  # the old hex HMAC is gone
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(secret).verify(body.replace(b"verify", b"verifY"), headers)


async def test_verify_sends_the_walletcrew_test_delivery_to_its_webhooks(api, aiohttp_server):
    url, seen = await receiver(aiohttp_server)
    key = (await auth.create_key(api.db, api.tenant_id, name="wc", scopes="all",
                                 dialect="walletcrew")).key
    made = await create(api, key=key, url=url)
    secret = made["secret"]
    answer = (await api.gql(VERIFY, {"id": made["webhook"]["id"]}, key))["verifyWebhook"]
    assert answer["verified"] is True

    [(headers, body)] = seen
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-NEOSTORE-SIGNATURE"] == expected
    assert headers["Content-Type"] == "application/json"
    event = json.loads(body)
    assert set(event) == {"id", "event", "tenantId", "date", "data"}
    assert (event["event"], event["tenantId"], event["data"]) == (
        "Webhook:Verify", api.tenant_id, {})
    assert event["date"].endswith("Z") and event["id"]


async def test_verify_fails_on_an_error_answer(api, aiohttp_server):
    url, seen = await receiver(aiohttp_server, status=500)
    hook = (await create(api, url=url))["webhook"]
    answer = (await api.gql(VERIFY, {"id": hook["id"]}))["verifyWebhook"]
    assert answer["verified"] is False and answer["webhook"]["verifiedAt"] is None
    assert len(seen) == 1


async def test_verify_fails_when_nothing_listens(api):
    hook = (await create(api, url=f"http://127.0.0.1:{free_port()}/hook"))["webhook"]
    answer = (await api.gql(VERIFY, {"id": hook["id"]}))["verifyWebhook"]
    assert answer["verified"] is False and answer["webhook"]["verifiedAt"] is None


async def test_verify_keeps_an_earlier_verification(api, aiohttp_server):
    url, _ = await receiver(aiohttp_server)
    hook = (await create(api, url=url))["webhook"]
    verified_at = (await api.gql(VERIFY, {"id": hook["id"]}))["verifyWebhook"]["webhook"][
        "verifiedAt"]
    await api.gql(UPDATE, {"input": {"id": hook["id"],
                                      "url": f"http://127.0.0.1:{free_port()}/hook"}})
    answer = (await api.gql(VERIFY, {"id": hook["id"]}))["verifyWebhook"]
    assert answer["verified"] is False and answer["webhook"]["verifiedAt"] == verified_at


async def test_a_slow_receiver_times_out(aiohttp_server):
    url, seen = await receiver(aiohttp_server, delay=2.0)
    client = Outbound(allow_private=True)
    attempt = await post_signed(client, url, b"{}", "s" * 64, limit_seconds=0.2)
    await client.close()
    assert not attempt.ok and attempt.status is None and "Timeout" in (attempt.error or "")
    assert len(seen) == 1
