"""Idempotency keys (Stripe's semantics) on GraphQL's create mutations and on every REST
write: a retry makes nothing new and gets the first answer; concurrent duplicates make one
object; the same key with another request is a 409/CONFLICT; answers are kept 24 hours."""

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from resolvers import idempotency
from resolvers.models import idempotency_keys
from resolvers.timeutil import utcnow
from tests.conftest import Api
from tests.test_rest_accessgrid import credential

CREATE = """mutation($input: CreatePassInput!) { createPass(input: $input) {
  pass { id name } } }"""
CREATE_MANY = """mutation($input: CreatePassesInput!) { createPasses(input: $input) {
  count passes { id } } }"""
COUNT = "{ passes(first: 0) { totalCount } }"
KEY = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  secret key { id } } }"""
WEBHOOK = """mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
  secret webhook { id } } }"""


async def passes(api: Api) -> int:
    return (await api.gql(COUNT))["passes"]["totalCount"]


async def test_a_retried_create_pass_makes_one_pass(api: Api) -> None:
    variables = {"input": {"name": "Gala", "idempotencyKey": "order-1001"}}
    first = (await api.gql(CREATE, variables))["createPass"]["pass"]
    again = (await api.gql(CREATE, variables))["createPass"]["pass"]
    assert again == first and await passes(api) == 1

    err = await api.error(CREATE, {"input": {"name": "Other", "idempotencyKey": "order-1001"}})
    assert err["extensions"]["code"] == "CONFLICT", err
    assert "'order-1001' was used for another request (mutation createPass)" in err["message"]

    # createPasses: one key for the batch, none on its items.
    batch = {"input": {"passes": [{"name": "A"}, {"name": "B"}], "idempotencyKey": "b-1"}}
    made = (await api.gql(CREATE_MANY, batch))["createPasses"]
    assert (await api.gql(CREATE_MANY, batch))["createPasses"] == made
    assert await passes(api) == 3
    err = await api.error(CREATE_MANY, {"input": {"passes": [{"idempotencyKey": "x"}]}})
    assert err["extensions"]["field"] == "passes[0].idempotencyKey", err

    err = await api.error(CREATE, {"input": {"idempotencyKey": "é" * 3}})
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "idempotencyKey"}, err


async def test_concurrent_duplicates_make_one_object(api: Api) -> None:
    variables = {"input": {"name": "Rush", "idempotencyKey": "rush"}}
    answers = await asyncio.gather(*(api.post(CREATE, variables) for _ in range(20)))
    made = {b["data"]["createPass"]["pass"]["id"] for _, b in answers if not b.get("errors")}
    refused = [b["errors"][0] for _, b in answers if b.get("errors")]
    assert len(made) == 1 and await passes(api) == 1, answers
    assert all(e["extensions"]["code"] == "CONFLICT" and "still running" in e["message"]
               for e in refused), refused

    statuses = []

    async def rest() -> None:
        answer = await api.rest("POST", "/api/v1/passes", {"name": "R"},
                                headers={"Idempotency-Key": "rest-rush"})
        statuses.append(answer.status)

    await asyncio.gather(*(rest() for _ in range(20)))
    assert set(statuses) <= {201, 409} and 201 in statuses, statuses
    assert await passes(api) == 2


async def test_secrets_shown_once_are_shown_again_on_replay(api: Api) -> None:
    minted = {"input": {"name": "ci", "scopes": ["passes:read"], "idempotencyKey": "k-1"}}
    first = (await api.gql(KEY, minted))["createApiKey"]
    assert (await api.gql(KEY, minted))["createApiKey"] == first
    assert (await api.gql(COUNT, key=first["secret"]))["passes"]["totalCount"] == 0
    hook = {"input": {"url": "https://example.com/h", "events": ["Pass:*"],
                      "idempotencyKey": "h-1"}}
    made = (await api.gql(WEBHOOK, hook))["createWebhook"]
    assert (await api.gql(WEBHOOK, hook))["createWebhook"] == made


async def test_rest_writes_replay_the_first_answer(api: Api) -> None:
    headers = {"Idempotency-Key": "n-1"}
    first = await api.rest("POST", "/api/v1/passes", {"name": "A"}, headers=headers)
    again = await api.rest("POST", "/api/v1/passes", {"name": "A"}, headers=headers)
    assert first.status == again.status == 201, (first.body, again.body)
    assert again.body == first.body and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await passes(api) == 1

    other = await api.rest("POST", "/api/v1/passes", {"name": "B"}, headers=headers)
    assert other.status == 409, other.body
    assert "'n-1' was used for another request (POST /api/v1/passes)" in other.body["message"]
    pass_id = first.body["data"]["id"]
    # Another method and path under the same key is another request too.
    assert (await api.rest("DELETE", f"/api/v1/passes/{pass_id}", headers=headers)).status \
        == 409
    # A PATCH (any write) replays its answer too, and runs once.
    patch = {"Idempotency-Key": "p-1"}
    one = await api.rest("PATCH", f"/api/v1/passes/{pass_id}", {"name": "C"}, headers=patch)
    two = await api.rest("PATCH", f"/api/v1/passes/{pass_id}", {"name": "C"}, headers=patch)
    assert one.status == 200 and two.body == one.body, (one.body, two.body)
    bad = await api.rest("POST", "/api/v1/passes", {}, headers={"Idempotency-Key": "x" * 256})
    assert bad.status == 400 and "Idempotency-Key must be 1 to 255" in bad.body["message"]


async def test_a_retried_signed_accessgrid_post_issues_one_card(api: Api) -> None:
    account_id, secret = await credential(api)

    async def send(method: str, path: str, body: dict[str, Any], key: str) -> tuple[int, Any]:
        raw = json.dumps(body).encode()
        sig = hmac.new(secret.encode(), base64.b64encode(raw), hashlib.sha256).hexdigest()
        resp = await api.client.request(method, path, data=raw, headers={
            "X-ACCT-ID": account_id, "X-PAYLOAD-SIG": sig, "Content-Type": "application/json",
            "Idempotency-Key": key})
        return resp.status, await resp.json()

    status, tpl = await send("POST", "/v1/console/card-templates", {"name": "Door"}, "t-1")
    assert status == 200, tpl
    issue = {"card_template_id": tpl["id"], "full_name": "Jane"}
    first = await send("POST", "/v1/key-cards", issue, "card-1")
    assert first[0] == 200 and await send("POST", "/v1/key-cards", issue, "card-1") == first
    assert await passes(api) == 1
    status, body = await send("POST", "/v1/key-cards", {**issue, "full_name": "J"}, "card-1")
    assert status == 409 and list(body) == ["message"], body


async def test_answers_are_kept_24_hours(api: Api) -> None:
    headers = {"Idempotency-Key": "old"}
    assert (await api.rest("POST", "/api/v1/passes", {"name": "A"}, headers=headers)).status \
        == 201
    async with api.db.write() as conn:  # a day and an hour pass
        await conn.execute(update(idempotency_keys).values(
            created_at=utcnow() - idempotency.TTL - timedelta(hours=1)))
    # Expired: the key is free for a new request.
    answer = await api.rest("POST", "/api/v1/passes", {"name": "B"}, headers=headers)
    assert answer.status == 201 and "Idempotent-Replayed" not in answer.headers
    assert await passes(api) == 2
    # And expired answers are purged (at most once a minute per process: start the clock).
    async with api.db.write() as conn:
        await conn.execute(update(idempotency_keys).values(
            created_at=utcnow() - idempotency.TTL - timedelta(hours=1)))
    idempotency._last_purge.clear()
    await api.rest("POST", "/api/v1/passes", {"name": "C"}, headers={"Idempotency-Key": "new"})
    async with api.db.read() as conn:
        keys = (await conn.execute(select(idempotency_keys.c.key).where(
            idempotency_keys.c.tenant_id == api.tenant_id))).scalars().all()
        assert keys == ["new"]
