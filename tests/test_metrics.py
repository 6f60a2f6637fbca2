"""Prometheus metrics at GET /metrics: requests by route and status, latency, validations by
result, deliveries by outcome, queue depth, subscriptions; optionally behind a token."""

import asyncio
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select

from gateway.app import create_app
from gateway.keys import DB
from gateway.settings import Settings
from resolvers.models import webhook_deliveries
from tests.conftest import make_api
from tests.receiver import receiving


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample line of the text format (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and line.split(" ")[0] != name:
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_validations_and_deliveries(aiohttp_client: Any,
                                                                worker_settings: Settings):
    fast = worker_settings.model_copy(update={"webhook_allow_private": True})
    client = await aiohttp_client(create_app(fast))
    api = await make_api(client)
    # The worker dispatches every tenant's events (the session's database is shared): count
    # from a baseline taken once earlier tests' leftovers are through.
    await asyncio.sleep(0.3)
    before = await (await client.get("/metrics")).text()
    with receiving() as receiver:
        await api.gql("mutation($u: String!) { createWebhook(input: {url: $u, events: "
                      "[\"pass.scanned\"]}) { webhook { id } } }", {"u": receiver.url})
        p = (await api.gql("mutation { createPass(input: {maxUsages: 1}) "
                           "{ pass { id code } } }"))["createPass"]["pass"]
        for _ in range(2):
            await api.gql("mutation($c: String!) { validatePass(input: {code: $c}) "
                          "{ valid } }", {"c": p["code"]})
        await api.rest("GET", f"/api/v1/passes/{p['id'].split(':')[-1]}")
        await client.get("/graphql", headers={"Authorization": "Bearer nope"},
                         params={"query": "{ viewer { plan } }"})
        await receiver.until(lambda r: len(r.accepted()) == 2)
    await asyncio.sleep(0.1)
    resp = await client.get("/metrics")
    assert resp.status == 200 and resp.content_type == "text/plain"
    text = await resp.text()
    assert sample(text, "passgate_http_requests_total", route="/graphql", method="POST",
                  status="200") == 4
    assert sample(text, "passgate_http_requests_total", route="/graphql", method="GET",
                  status="401") == 1
    assert sample(text, "passgate_http_requests_total", route="/metrics", method="GET",
                  status="200") == 1
    latency = "passgate_http_request_duration_seconds"
    by_route = {"route": "/graphql", "method": "POST"}
    assert sample(text, f"{latency}_count", **by_route) == 4  # every status, one histogram
    assert sample(text, f"{latency}_bucket", le="+Inf", **by_route) == 4
    buckets = [sample(text, f"{latency}_bucket", le=le, **by_route)
               for le in ("0.001", "0.01", "0.1", "1.0", "10.0")]
    assert buckets == sorted(buckets) and buckets[-1] <= 4  # cumulative, as Prometheus reads
    assert 0 < sample(text, f"{latency}_sum", **by_route) < 40

    def delta(name: str, **labels: str) -> float:
        return sample(text, name, **labels) - sample(before, name, **labels)

    assert delta("passgate_validations_total", result="accepted") == 1
    assert delta("passgate_validations_total", result="rejected", reason="used_up") == 1
    assert delta("passgate_webhook_deliveries_total", outcome="delivered") == 2
    # Pending deliveries of every tenant (this database is shared by the session's tests).
    async with client.app[DB].read() as conn:
        pending = await conn.scalar(select(func.count()).select_from(webhook_deliveries)
                                    .where(webhook_deliveries.c.state == "pending"))
    assert sample(text, "passgate_webhook_queue_depth") == pending
    assert "passgate_subscriptions 0.0" in text
    assert api.key not in text and p["code"] not in text  # ids and keys never become labels


async def test_metrics_behind_a_token_or_off(aiohttp_client: Any, settings: Settings):
    guarded = await aiohttp_client(create_app(settings.model_copy(
        update={"metrics_token": SecretStr("s3cret")})))
    assert (await guarded.get("/metrics")).status == 401
    resp = await guarded.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert resp.status == 200 and "passgate_http_requests_total" in await resp.text()
    off = await aiohttp_client(create_app(settings.model_copy(update={"metrics": False})))
    assert (await off.get("/metrics")).status == 404
