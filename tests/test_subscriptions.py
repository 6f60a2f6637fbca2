"""Live subscriptions over graphql-transport-ws at /graphql: authenticated by connection_init,
tenant-scoped, scope-checked, filtered; across processes through Redis; slow subscribers cut
off with a reason."""

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from gateway.app import create_app
from gateway.keys import STATE
from gateway.settings import Settings
from resolvers import live
from tests.conftest import Api, make_api
from tests.servers import cli_key, serve

SCANS = "subscription($d: String) { scanEvents(deviceId: $d) { result reason deviceId " \
        "pass { code usagesCount } } }"
CREATE = "mutation { createPass(input: {type: MULTI}) { pass { id code } } }"
VALIDATE = "mutation($c: String!, $d: String) { validatePass(input: {code: $c, deviceId: $d}) " \
           "{ valid } }"


@pytest.fixture
async def lapi(aiohttp_client: Any, worker_settings: Settings) -> Api:
    return await make_api(await aiohttp_client(create_app(worker_settings)))


async def connect(session_or_client: Any, url: str, payload: dict[str, Any]) -> Any:
    ws = await session_or_client.ws_connect(url, protocols=["graphql-transport-ws"])
    await ws.send_json({"type": "connection_init", "payload": payload})
    return ws


async def start(ws: Any, query: str, variables: dict[str, Any] | None = None,
                op: str = "1") -> None:
    ack = await ws.receive_json(timeout=5)
    assert ack["type"] == "connection_ack", ack
    await ws.send_json({"id": op, "type": "subscribe",
                        "payload": {"query": query, "variables": variables or {}}})


async def next_data(ws: Any, timeout: float = 5) -> dict[str, Any]:  # noqa: ASYNC109
    msg = await ws.receive_json(timeout=timeout)
    assert msg["type"] == "next", msg
    return msg["payload"]["data"]


async def test_scan_events_follow_validations(lapi: Api):
    p = (await lapi.gql(CREATE))["createPass"]["pass"]
    ws = await connect(lapi.client, "/graphql", {"Authorization": f"Bearer {lapi.key}"})
    await start(ws, SCANS, {"d": "gate-2"})
    other = await lapi.other_tenant()
    theirs = (await other.gql(CREATE))["createPass"]["pass"]
    await asyncio.sleep(0.1)  # the subscription is registered
    await other.gql(VALIDATE, {"c": theirs["code"], "d": "gate-2"})  # not this tenant's
    await lapi.gql(VALIDATE, {"c": p["code"], "d": "gate-1"})  # another device
    await lapi.gql(VALIDATE, {"c": p["code"], "d": "gate-2"})
    await lapi.gql(VALIDATE, {"c": "NOPE", "d": "gate-2"})
    first = (await next_data(ws))["scanEvents"]
    assert first == {"result": "ACCEPTED", "reason": None, "deviceId": "gate-2",
                     "pass": {"code": p["code"], "usagesCount": 2}}
    second = (await next_data(ws))["scanEvents"]
    assert second["result"] == "REJECTED" and second["reason"] == "NOT_FOUND"
    assert second["pass"] is None
    await ws.close()


async def test_pass_events_and_x_api_key(lapi: Api):
    ws = await connect(lapi.client, "/graphql", {"X-API-KEY": lapi.key})
    await start(ws, "subscription { passEvents(types: [\"pass.created\", \"Pass:Suspended\"]) "
                    "{ type data } }")
    await asyncio.sleep(0.1)
    p = (await lapi.gql(CREATE))["createPass"]["pass"]
    await lapi.gql(VALIDATE, {"c": p["code"]})  # not asked for
    await lapi.gql("mutation($id: ID!) { suspendPass(input: {id: $id}) { pass { id } } }",
                   {"id": p["id"]})
    created = (await next_data(ws))["passEvents"]
    suspended = (await next_data(ws))["passEvents"]
    assert created["type"] == "pass.created" and created["data"]["code"] == p["code"]
    assert suspended["type"] == "pass.suspended" and suspended["data"]["state"] == "suspended"
    await ws.close()


async def test_refused_without_a_key_or_the_scope(lapi: Api):
    ws = await connect(lapi.client, "/graphql", {"Authorization": "Bearer pgk_wrong"})
    msg = await ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4403
    ws = await connect(lapi.client, "/graphql", {})
    msg = await ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4403
    key = await lapi.new_key("passes:read")
    ws = await connect(lapi.client, "/graphql", {"Authorization": f"Bearer {key}"})
    await start(ws, SCANS)
    msg = await ws.receive_json(timeout=5)  # an execution error: "next" carrying errors
    assert msg["type"] == "next", msg
    assert msg["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await ws.close()


async def test_a_subscriber_that_falls_behind_is_cut_off(lapi: Api, monkeypatch: Any):
    """The hub's queue is bounded (shrunk to 3 here): a burst beyond it closes the socket
    with a reason rather than buffering without end."""
    monkeypatch.setattr(live, "QUEUE_SIZE", 3)
    ws = await connect(lapi.client, "/graphql", {"Authorization": f"Bearer {lapi.key}"})
    await start(ws, SCANS)
    await asyncio.sleep(0.1)
    hub = lapi.client.app[STATE].live
    assert hub.count == 1
    burst = live.LiveEvent("evt_x", lapi.tenant_id, "pass.scanned", "scn_x", {
        "scan": {"id": "scn_x", "code": "C", "result": "rejected", "reason": "not_found",
                 "client_scan_id": None, "device_id": None, "location": None,
                 "operator_key_id": None, "usages_after": None,
                 "scanned_at": "2026-01-01T00:00:00+00:00", "pass_id": None},
        "pass": None}, time_now())
    hub.deliver([burst] * 10)  # one tick: nothing can be read in between
    closed = None
    for _ in range(10):
        msg = await ws.receive(timeout=5)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            closed = msg
            break
    assert closed is not None and closed.data == 4008
    assert "too slow" in (closed.extra or "")
    await asyncio.sleep(0.05)
    assert hub.count == 0


def time_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


@pytest.mark.slow
async def test_a_scan_through_one_process_reaches_a_subscriber_of_another(pg_url: str,
                                                                          redis_url: str):
    owner = cli_key(pg_url, "live-two-processes", "enterprise")
    with serve(pg_url, 2, ready_timeout=60, PASSGATE_REDIS_URL=redis_url,
               PASSGATE_WEBHOOK_POLL_SECONDS="0.05",
               PASSGATE_REDIS_PREFIX=f"passgate-test-{owner['id']}:") as (a, b):
        headers = {"Authorization": f"Bearer {owner['key']}"}
        async with aiohttp.ClientSession(headers=headers) as s:
            async with s.post(f"{b}/graphql", json={"query": CREATE}) as r:
                code = (await r.json())["data"]["createPass"]["pass"]["code"]
            async with aiohttp.ClientSession() as wss:
                ws = await connect(wss, f"{a}/graphql", headers)
                await start(ws, SCANS)
                await asyncio.sleep(0.3)
                sent = time.monotonic()
                async with s.post(f"{b}/graphql", json={"query": VALIDATE,
                                                        "variables": {"c": code}}) as r:
                    assert (await r.json())["data"]["validatePass"]["valid"]
                got = (await next_data(ws, timeout=5))["scanEvents"]
                latency = time.monotonic() - sent
                assert got["result"] == "ACCEPTED" and got["pass"]["code"] == code
                assert latency < 1.0, latency
                await ws.close()
