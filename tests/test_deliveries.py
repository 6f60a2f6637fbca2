"""Webhook deliveries to a real local receiver: every event type in each dialect's shape and
signature, retries on the (shrunk) Standard Webhooks schedule, ordering per pass, 410 and
days of failure disabling the endpoint, the attempt log in GraphQL and REST, redelivery."""

import asyncio
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks import Webhook

from gateway.app import create_app
from gateway.keys import STATE
from gateway.settings import Settings
from resolvers import auth
from tests.conftest import Api, make_api
from tests.receiver import Receiver, receiving

CREATE_HOOK = """
mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { id } }
}
"""
HOOK = """
query($id: ID!) { webhook(id: $id) { enabled disabledReason failingSince
  deliveries(first: 50) { nodes { id eventId eventType state attempts lastStatus lastError
    attemptLog { attempt status latencyMs error responseExcerpt attemptedAt } } } } }
"""
EVENTS = "{ events(first: 100) { nodes { id type orderingKey } } }"
VALIDATE = "mutation($c: String!) { validatePass(input: {code: $c}) { valid reason } }"


@pytest.fixture
def fast(worker_settings: Settings) -> Settings:
    """A worker in the app, polling often, on a schedule shrunk a thousandfold
    (5 ms, 300 ms, 1.8 s, …)."""
    return worker_settings.model_copy(update={
        "webhook_retry_scale": 0.001, "webhook_allow_private": True, "webhook_timeout": 5.0})


@pytest.fixture
async def hapi(aiohttp_client: Any, fast: Settings) -> Api:
    client = await aiohttp_client(create_app(fast))
    return await make_api(client)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


async def subscribe(api: Api, url: str, events: list[str], key: str | None = None,
                    **extra: Any) -> tuple[str, str]:
    made = (await api.gql(CREATE_HOOK, {"input": {"url": url, "events": events, **extra}},
                          key))["createWebhook"]
    return made["webhook"]["id"], made["secret"]


async def every_change(api: Api) -> None:
    """One change of each kind the graph offers a tenant."""
    p = (await api.gql("mutation { createPass(input: {type: MULTI, maxUsages: 1, name: \"A\", "
                       "attributes: {card_number: \"42\"}}) { pass { id code } } }")
         )["createPass"]["pass"]
    await api.gql("mutation($id: ID!) { updatePass(input: {id: $id, name: \"B\"}) "
                  "{ pass { id } } }", {"id": p["id"]})
    await api.gql(VALIDATE, {"c": p["code"]})
    await api.gql(VALIDATE, {"c": p["code"]})  # rejected: used_up
    for action in ("suspendPass", "resumePass", "unlinkPass", "deletePass"):
        await api.gql(f"mutation($id: ID!) {{ {action}(input: {{id: $id}}) {{ pass {{ id }} }} }}",
                      {"id": p["id"]})
    t = (await api.gql("mutation { createTemplate(input: {name: \"T\"}) { template { id } } }")
         )["createTemplate"]["template"]
    for doc in ("updateTemplate(input: {id: $id, name: \"U\"}) { template { id } }",
                "publishTemplate(input: {id: $id}) { template { id } }",
                "deleteTemplate(input: {id: $id}) { template { id } }"):
        await api.gql(f"mutation($id: ID!) {{ {doc} }}", {"id": t["id"]})
    c = (await api.gql("mutation { upsertCustomer(input: {email: \"c@d.example\"}) "
                       "{ customer { id } } }"))["upsertCustomer"]["customer"]
    await api.gql("mutation($id: ID!) { updateCustomer(input: {id: $id, name: \"C\"}) "
                  "{ customer { id } } }", {"id": c["id"]})
    await api.gql("mutation($id: ID!) { deleteCustomer(input: {id: $id}) { customer { id } } }",
                  {"id": c["id"]})


PASS_TYPES = ["pass.created", "pass.updated", "pass.scanned", "pass.scanned", "pass.suspended",
              "pass.resumed", "pass.unlinked", "pass.deleted"]
OTHER_TYPES = ["template.created", "template.updated", "template.published", "template.deleted",
               "customer.created", "customer.updated", "customer.deleted"]


async def test_native_deliveries_are_standard_webhooks(hapi: Api, receiver: Receiver):
    hook_id, secret = await subscribe(hapi, receiver.url, ["*"])
    assert secret.startswith("whsec_")
    await every_change(hapi)
    expected = ["webhook.created", *PASS_TYPES, *OTHER_TYPES]
    await receiver.until(lambda r: len(r.accepted()) == len(expected))
    verifier = Webhook(secret)
    bodies = [verifier.verify(r.body, r.headers) for r in receiver.accepted()]
    # Every event once; a pass's events in order (other objects' events interleave).
    assert sorted(b["type"] for b in bodies) == sorted(expected)
    assert [b["type"] for b in bodies if b["type"].startswith("pass.")] == PASS_TYPES
    ids = {e["id"]: e["type"] for e in (await hapi.gql(EVENTS))["events"]["nodes"]}
    for got, body in zip(receiver.accepted(), bodies, strict=True):
        assert ids[got.headers["webhook-id"]] == body["type"]  # webhook-id is the event id
        assert set(body) == {"type", "timestamp", "data"} and body["timestamp"].endswith("Z")
        assert got.headers["Content-Type"] == "application/json"
    by_type = [b["data"] for b in bodies if b["type"].startswith("pass.")]
    created, scanned, rejected = by_type[0], by_type[2], by_type[3]
    assert created["name"] == "A" and created["status"] == "active"
    assert scanned["result"] == "accepted" and scanned["pass"]["usages_count"] == 1
    assert rejected["result"] == "rejected" and rejected["reason"] == "used_up"
    # A tampered body does not verify.
    first = receiver.accepted()[0]
    with pytest.raises(Exception, match="signature"):
        verifier.verify(first.body.replace(b"\"type\"", b"\"typE\""), first.headers)
    # The attempt log: one 200 per delivery (recorded just after the receiver answers).
    for _ in range(100):
        nodes = (await hapi.gql(HOOK, {"id": hook_id}))["webhook"]["deliveries"]["nodes"]
        if {n["state"] for n in nodes} == {"DELIVERED"}:
            break
        await asyncio.sleep(0.02)
    assert len(nodes) == len(expected) and {n["state"] for n in nodes} == {"DELIVERED"}
    log = nodes[0]["attemptLog"]
    assert len(log) == 1 and log[0]["status"] == 200 and log[0]["responseExcerpt"] == "ok"
    assert log[0]["latencyMs"] > 0


async def test_walletcrew_deliveries(hapi: Api, receiver: Receiver):
    key = (await auth.create_key(hapi.db, hapi.tenant_id, name="wc", scopes="all",
                                 dialect="walletcrew")).key
    _, secret = await subscribe(hapi, receiver.url, ["Pass:*", "Customer:Created"], key=key)
    assert len(secret) == 64
    await every_change(hapi)
    await receiver.until(lambda r: len(r.accepted()) == len(PASS_TYPES) + 1)
    for got in receiver.accepted():
        sig = hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
        assert got.headers["X-NEOSTORE-SIGNATURE"] == sig
    bodies = [r.json for r in receiver.accepted()]
    assert [b["event"] for b in bodies if b["event"].startswith("Pass:")] == [
        "Pass:Created", "Pass:Updated", "Pass:Scanned", "Pass:Scanned", "Pass:Suspended",
        "Pass:Resumed", "Pass:Unlinked", "Pass:Deleted"]
    assert [b["event"] for b in bodies if not b["event"].startswith("Pass:")] == [
        "Customer:Created"]
    first = next(b for b in bodies if b["event"] == "Pass:Created")
    assert set(first) == {"id", "event", "tenantId", "date", "data"}
    assert first["tenantId"] == hapi.tenant_id and first["id"].startswith("evt_")
    assert first["data"]["secret"] and first["data"]["additionalData"] == {"card_number": "42"}


async def test_accessgrid_deliveries_are_cloudevents(hapi: Api, receiver: Receiver):
    key = (await auth.create_key(hapi.db, hapi.tenant_id, name="ag", scopes="all",
                                 dialect="accessgrid",
                                 server_secret=hapi.client.app[STATE].secret_key)).key
    _, private_key = await subscribe(
        hapi, receiver.url, ["ag.access_pass.issued", "ag.access_pass.suspended",
                             "ag.card_template.published"], key=key)
    await every_change(hapi)
    await receiver.until(lambda r: len(r.accepted()) == 3)
    bodies = sorted((r.json for r in receiver.accepted()), key=lambda b: b["type"])
    assert [b["type"] for b in bodies] == ["ag.access_pass.issued", "ag.access_pass.suspended",
                                           "ag.card_template.published"]
    for got in receiver.accepted():
        body = got.json
        assert got.headers["Authorization"] == f"Bearer {private_key}"
        assert got.headers["Content-Type"] == "application/cloudevents+json"
        assert got.headers["User-Agent"] == "AccessGrid-Webhooks/1.0"
        assert body["specversion"] == "1.0" and body["datacontenttype"] == "application/json"
        assert body["source"] == "accessgrid" and body["time"].endswith("Z")
    issued, suspended = bodies[0]["data"], bodies[1]["data"]
    assert issued["access_pass_id"].startswith("pass_") and issued["card_number"] == "42"
    assert issued["state"] == "active" and suspended["state"] == "suspended"
    assert bodies[2]["data"]["card_template_id"].startswith("tpl_")


async def test_receiver_down_then_back_loses_and_reorders_nothing(hapi: Api,
                                                                   receiver: Receiver):
    """503 with Retry-After for a while: every event arrives afterwards, each pass's events
    in order, each accepted once."""
    import time

    up_at = time.monotonic() + 1.0
    receiver.answer = lambda r: ((503, {"Retry-After": "0"}) if r.at < up_at else (200, {}))
    await subscribe(hapi, receiver.url, ["pass.*"])
    codes = []
    for i in range(3):
        p = (await hapi.gql(f"mutation {{ createPass(input: {{type: MULTI, name: \"p{i}\"}}) "
                            "{ pass { id code } } }"))["createPass"]["pass"]
        codes.append(p)
    for _ in range(2):
        for p in codes:
            await hapi.gql(VALIDATE, {"c": p["code"]})
    for p in codes:
        await hapi.gql("mutation($id: ID!) { suspendPass(input: {id: $id}) { pass { id } } }",
                       {"id": p["id"]})
    await receiver.until(lambda r: len(r.accepted()) == 12, timeout=20)
    assert any(r.status == 503 for r in receiver.requests)
    ids = [r.headers["webhook-id"] for r in receiver.accepted()]
    assert len(set(ids)) == 12
    per_pass: dict[str, list[str]] = defaultdict(list)
    for r in receiver.accepted():
        body = r.json
        pass_id = body["data"]["pass"]["id"] if body["type"] == "pass.scanned" else \
            body["data"]["id"]
        per_pass[pass_id].append(body["type"])
    assert all(v == ["pass.created", "pass.scanned", "pass.scanned", "pass.suspended"]
               for v in per_pass.values()), per_pass
    # Event order per pass is also the outbox order.
    events = list(reversed((await hapi.gql(EVENTS))["events"]["nodes"]))
    for key, types in per_pass.items():
        assert [e["type"] for e in events if e["orderingKey"] == key] == types


async def test_retry_after_is_honoured_and_attempts_are_logged(hapi: Api, receiver: Receiver):
    answers = iter([(429, {"Retry-After": "1"}), (500, {})])
    receiver.answer = lambda r: next(answers, (200, {}))
    hook_id, _ = await subscribe(hapi, receiver.url, ["pass.created"])
    await hapi.gql("mutation { createPass(input: {}) { pass { id } } }")
    await receiver.until(lambda r: len(r.accepted()) == 1)
    times = [r.at for r in receiver.requests]
    assert [r.status for r in receiver.requests] == [429, 500, 200]
    assert times[1] - times[0] >= 0.95  # Retry-After: 1, not the 5 ms of the schedule
    for _ in range(100):  # the outcome is recorded just after the receiver answers
        (delivery,) = (await hapi.gql(HOOK, {"id": hook_id}))["webhook"]["deliveries"]["nodes"]
        if delivery["state"] == "DELIVERED":
            break
        await asyncio.sleep(0.02)
    assert delivery["state"] == "DELIVERED" and delivery["attempts"] == 3
    log = delivery["attemptLog"]
    assert [a["status"] for a in log] == [429, 500, 200] and [a["attempt"] for a in log] == [
        1, 2, 3]
    assert log[0]["error"] == "HTTP 429" and log[2]["error"] is None
    # The REST door shows the same log.
    rest = await hapi.rest("GET", f"/api/v1/webhooks/{hook_id}/deliveries")
    assert rest.status == 200, rest.body
    (row,) = rest.body["data"]
    assert row["state"] == "delivered" and [a["status"] for a in row["attempts"]] == [429, 500,
                                                                                     200]


async def test_gone_disables_the_endpoint_with_a_reason(hapi: Api, receiver: Receiver):
    receiver.answer = lambda r: (410, {})
    hook_id, _ = await subscribe(hapi, receiver.url, ["pass.created"])
    await hapi.gql("mutation { createPass(input: {}) { pass { id } } }")
    await receiver.until(lambda r: len(r.requests) == 1)

    async def disabled() -> dict[str, Any]:
        for _ in range(200):
            hook = (await hapi.gql(HOOK, {"id": hook_id}))["webhook"]
            if not hook["enabled"]:
                return hook
            await asyncio.sleep(0.02)
        raise AssertionError("never disabled")

    hook = await disabled()
    assert "410" in hook["disabledReason"]
    assert (await hapi.gql("{ events(first: 1, filter: {types: [\"webhook.disabled\"]}) "
                           "{ totalCount } }"))["events"]["totalCount"] == 1
    # Re-enabled by hand: the waiting delivery goes out.
    receiver.answer = lambda r: (200, {})
    await hapi.gql("mutation($id: ID!) { updateWebhook(input: {id: $id, enabled: true}) "
                   "{ webhook { id } } }", {"id": hook_id})
    await receiver.until(lambda r: len(r.accepted()) == 1)
    hook = (await hapi.gql(HOOK, {"id": hook_id}))["webhook"]
    assert hook["enabled"] and hook["disabledReason"] is None


async def test_failing_for_days_disables_with_the_last_error(aiohttp_client: Any,
                                                             fast: Settings,
                                                             receiver: Receiver):
    """``webhook_disable_after_hours`` shrunk to half a second stands for days."""
    app = create_app(fast.model_copy(update={"webhook_disable_after_hours": 0.5 / 3600,
                                             "webhook_retry_scale": 0.0001}))
    api = await make_api(await aiohttp_client(app))
    receiver.answer = lambda r: (500, {})
    hook_id, _ = await subscribe(api, receiver.url, ["pass.created"])
    await api.gql("mutation { createPass(input: {}) { pass { id } } }")
    for _ in range(300):
        hook = (await api.gql(HOOK, {"id": hook_id}))["webhook"]
        if not hook["enabled"]:
            break
        await asyncio.sleep(0.02)
    assert not hook["enabled"], hook
    assert hook["disabledReason"].startswith("failing since") and "HTTP 500" in \
        hook["disabledReason"]


async def test_redelivery_of_one_event_and_since_a_time(hapi: Api, receiver: Receiver):
    hook_id, secret = await subscribe(hapi, receiver.url, ["pass.created"])
    for _ in range(3):
        await hapi.gql("mutation { createPass(input: {}) { pass { id } } }")
    await receiver.until(lambda r: len(r.accepted()) == 3)
    first = receiver.accepted()[0].headers["webhook-id"]
    doc = ("mutation($i: RedeliverWebhookInput!) { redeliverWebhook(input: $i) "
           "{ queued webhook { id } } }")
    got = await hapi.gql(doc, {"i": {"id": hook_id, "eventId": first}})
    assert got["redeliverWebhook"]["queued"] == 1
    await receiver.until(lambda r: len(r.accepted()) == 4)
    again = receiver.accepted()[3]
    assert again.headers["webhook-id"] == first
    Webhook(secret).verify(again.body, again.headers)
    got = await hapi.gql(doc, {"i": {"id": hook_id, "since": "2000-01-01T00:00:00Z"}})
    assert got["redeliverWebhook"]["queued"] == 3
    await receiver.until(lambda r: len(r.accepted()) == 7)
    error = await hapi.error(doc, {"i": {"id": hook_id}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    error = await hapi.error(doc, {"i": {"id": hook_id, "eventId": "evt_nope"}})
    assert "evt_nope" in error["message"]
    other = await hapi.other_tenant()
    error = await other.error(doc, {"i": {"id": hook_id, "eventId": first}})
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_a_slow_receiver_does_not_hold_back_another_tenant(hapi: Api):
    """One tenant's endpoint takes seconds to answer; the other's events still arrive at
    once, and the API answers meanwhile."""
    import threading
    import time

    release = threading.Event()
    with receiving() as slow, receiving() as quick:
        slow.answer = lambda r: (release.wait(10), (200, {}))[1]
        await subscribe(hapi, slow.url, ["pass.created"])
        other = await hapi.other_tenant()
        await subscribe(other, quick.url, ["pass.created"])
        for _ in range(6):
            await hapi.gql("mutation { createPass(input: {}) { pass { id } } }")
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await other.gql("mutation { createPass(input: {}) { pass { id } } }")
        await quick.until(lambda r: len(r.accepted()) == 1, timeout=3)
        assert time.monotonic() - started < 2
        release.set()
        await slow.until(lambda r: len(r.accepted()) == 6)
