"""The Wallet Crew's Insights tables through POST /api/{tenantId}/insights/query, as its
clients send it ({query, parameters}): Events carries the passes' history (Pass:*) beside the
scans, newest first; Logs the tenant's API requests (kept for a configurable time); Metrics
the daily counts."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from gateway.app import create_app
from gateway.keys import REQUEST_LOGGER
from gateway.settings import Settings
from resolvers import ids, request_logs
from resolvers.models import request_logs as request_log_table
from tests.conftest import Api, RestAnswer, make_api
from tests.test_rest_walletcrew import Wc, problem, template
from tests.test_wallet_passkit import installed_pass

SUSPEND = "mutation($id: ID!) { suspendPass(input: {id: $id}) { pass { id } } }"


async def _query(wc: Wc, query: str, key: str | None = None, **extra: Any) -> RestAnswer:
    return await wc("POST", "/insights/query", {"query": query, **extra}, key=key)


async def test_events_carry_the_pass_history(api: Api) -> None:
    wc = Wc(api)
    await template(api, "Loyalty")
    made = await wc("POST", "/passes", {"identifiers": {"memberId": "M1"}},
                    params={"passType": "Loyalty"})
    pass_id = made.body["passId"]
    assert (await wc("PATCH", f"/passes/{pass_id}", {"metadata": {"tier": "gold"}})).status == 204
    await api.gql(SUSPEND, {"id": pass_id})
    secret = (await wc("GET", f"/passes/{pass_id}")).body["secret"]
    assert (await wc("POST", "/scans", {"data": secret, "type": "qrcode"})).status == 200
    assert (await wc("DELETE", f"/passes/{pass_id}")).status == 204

    rows = (await _query(wc, "Events | where properties.passId == p",
                         parameters={"p": pass_id})).body["rows"]
    assert [r[3] for r in rows] == ["Pass:Deleted", "Scan:Rejected", "Pass:Suspended",
                                    "Pass:Updated", "Pass:Created"]
    created = rows[-1]
    assert created[0].startswith("evt_") and created[2] == api.tenant_id
    assert created[1].endswith("Z") and created[4] is None
    assert created[5] == {"passId": pass_id, "passType": "Loyalty", "state": "active",
                          "status": "active"}
    assert rows[2][5]["state"] == "suspended"
    assert rows[1][5]["reason"] == "suspended"

    only = await _query(wc, 'Events | where eventType == "Pass:Updated" | take 5')
    assert [r[5]["passId"] for r in only.body["rows"]] == [pass_id]
    counted = await _query(wc, "Events | where properties.passType == 'Loyalty' "
                               "| summarize count() by eventType")
    assert sorted(counted.body["rows"]) == [
        ["Pass:Created", 1], ["Pass:Deleted", 1], ["Pass:Suspended", 1], ["Pass:Updated", 1],
        ["Scan:Rejected", 1]]

    # A key that reads scans but not passes sees the scans alone, and is told why when it
    # asks for a pass event.
    scans_only = await api.new_key("scans:read")
    assert [r[3] for r in (await _query(wc, "Events", key=scans_only)).body["rows"]] == [
        "Scan:Rejected"]
    refused = problem(await _query(wc, 'Events | where eventType == "Pass:Created"',
                                   key=scans_only), 403)
    assert "passes:read" in refused["detail"]
    # Another tenant's history stays its own.
    other = await api.other_tenant()
    assert (await _query(Wc(other), "Events")).body["rows"] == []


async def test_installs_are_events(api: Api) -> None:
    _, device = await installed_pass(api)
    assert (await device.register()).status == 201
    wc = Wc(api)
    rows = (await _query(wc, 'Events | where eventType == "Pass:Installed"')).body["rows"]
    assert len(rows) == 1
    assert rows[0][5]["device"] == "apple" and rows[0][5]["activeRegistrationCount"] == 1
    assert rows[0][5]["passId"] == (await wc("GET", "/passes")).body[0]["id"]


# --- Logs -----------------------------------------------------------------------------


async def eventually(check: Callable[[], Awaitable[Any]], seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := await check()):
        assert time.monotonic() < deadline, f"condition not met in {seconds} s"
        await asyncio.sleep(0.1)
    return found


async def test_logs_are_the_tenants_requests(api: Api) -> None:
    wc = Wc(api)
    assert (await wc("GET", "/passes")).status == 200
    problem(await wc("GET", "/passes/pass_nosuchpass"), 404)
    problem(await wc("POST", "/scans", {"data": "ab"}), 400)
    named = await api.client.post("/graphql", json={
        "query": "query Mine { viewer { tenant { id } } }", "operationName": "Mine"},
        headers={"Authorization": f"Bearer {api.key}"})
    assert named.status == 200
    # Without a valid key there is no tenant to log for.
    assert (await wc("GET", "/passes", key="pgk_" + "x" * 40)).status == 401

    async def logged() -> list[list[Any]]:
        answer = await _query(wc, 'Logs | where eventType == "Request"')
        assert answer.status == 200, answer.body
        rows = answer.body["rows"]
        return rows if len(rows) >= 4 else []

    rows = await eventually(logged)
    assert answer_columns(await _query(wc, "Logs | take 1")) == [
        "eventId", "timestamp", "tenantId", "eventType", "operationId", "properties"]
    by_path = {(r[5]["method"], r[5]["path"]): r for r in rows}
    base = f"/api/{api.tenant_id}"
    listed = by_path[("GET", f"{base}/passes")]
    assert listed[0].startswith("log_") and listed[2] == api.tenant_id
    assert listed[4] and listed[1].endswith("Z")
    assert listed[5]["operation"] == "WalletcrewListPasses" and listed[5]["status"] == 200
    assert listed[5]["apiKeyId"] == api.key_id and listed[5]["durationMs"] > 0
    assert by_path[("GET", f"{base}/passes/pass_nosuchpass")][5]["status"] == 404
    assert by_path[("POST", f"{base}/scans")][5]["status"] == 400
    graphql = by_path[("POST", "/graphql")][5]
    assert graphql["operation"] == "Mine" and graphql["status"] == 200
    # The request id the client saw is the row's operationId.
    assert by_path[("POST", "/graphql")][4] == named.headers["X-Request-Id"]
    # Logs name keys by id: the key itself appears nowhere.
    everything = await _query(wc, "Logs")
    assert api.key not in orjson.dumps(everything.body).decode()
    counted = await _query(wc, "Logs | summarize count() by properties.status")
    assert [400, 1] in counted.body["rows"] and [404, 1] in counted.body["rows"]
    assert (await api.gql("{ requestLogs(first: 1) { nodes { keyId } } }"))[
        "requestLogs"]["nodes"][0]["keyId"] == api.key_id
    # Another tenant's logs hold its own requests only.
    other = await api.other_tenant()
    theirs = (await _query(Wc(other), "Logs")).body["rows"]
    assert all(r[2] == other.tenant_id for r in theirs)
    # scans:read (Insights.Read) reads them; a key without it does not.
    assert (await _query(wc, "Logs | take 1", key=await api.new_key("scans:read"))).status == 200
    problem(await _query(wc, "Logs | take 1", key=await api.new_key("passes:read")), 403)


def answer_columns(answer: RestAnswer) -> list[str]:
    return [c["name"] for c in answer.body["columns"]]


@pytest.fixture
async def short_logs(aiohttp_client: Any, worker_settings: Settings) -> Api:
    """Request logs kept two seconds; the worker sweeps every 50 ms."""
    app = create_app(worker_settings.model_copy(update={
        "request_log_retention_days": 2 / 86400, "sweep_seconds": 0.05}))
    return await make_api(await aiohttp_client(app))


async def test_logs_are_pruned_after_their_retention(short_logs: Api) -> None:
    api = short_logs
    old = datetime.now(UTC) - timedelta(days=60)
    await request_logs.store(api.db, [{
        "id": ids.new_id("request_log"), "tenant_id": api.tenant_id, "key_id": api.key_id,
        "request_id": "old", "method": "GET", "path": "/api/v1/passes", "operation": None,
        "status": 200, "duration_ms": 1.0, "at": old}])

    async def count(request_id: str | None = None) -> int:
        stmt = select(func.count()).select_from(request_log_table).where(
            request_log_table.c.tenant_id == api.tenant_id)
        if request_id is not None:
            stmt = stmt.where(request_log_table.c.request_id == request_id)
        async with api.db.read() as conn:
            return int(await conn.scalar(stmt) or 0)

    await eventually(lambda: _is_zero(count("old")))  # the sixty-day-old row goes first
    assert (await Wc(api)("GET", "/passes")).status == 200
    await eventually(count)  # the new one is stored within a second …
    await eventually(lambda: _is_zero(count()))  # … and pruned two seconds later


async def _is_zero(n: Awaitable[int]) -> bool:
    return await n == 0


async def test_log_rows_are_batched_and_bounded(api: Api) -> None:
    """The middleware only appends to memory; a full buffer drops and counts, never grows;
    a flush stores the buffer in one go."""
    logger = api.client.app[REQUEST_LOGGER]
    logger.interval = 3600.0
    await asyncio.sleep(1.2)  # the background flush now waits an hour
    await logger.flush()
    logger.max_pending = 2
    for _ in range(4):
        assert (await Wc(api)("GET", "/passes")).status == 200
    assert len(logger._pending) == 2 and logger.dropped == 2
    await logger.flush()
    assert logger._pending == []
    async with api.db.read() as conn:
        stored = await conn.scalar(select(func.count()).select_from(request_log_table).where(
            request_log_table.c.tenant_id == api.tenant_id))
    assert stored == 2


# --- Metrics --------------------------------------------------------------------------


@pytest.fixture
async def working(aiohttp_client: Any, worker_settings: Settings) -> Api:
    """Scans are counted as the outbox dispatches them: a worker runs in this app."""
    return await make_api(await aiohttp_client(create_app(worker_settings)))


async def test_metrics_count_per_day(working: Api) -> None:
    api = working
    wc = Wc(api)
    await template(api, "Loyalty")
    first = (await wc("POST", "/passes", {}, params={"passType": "Loyalty"})).body["passId"]
    await wc("POST", "/passes", {}, params={"passType": "Loyalty"})
    secret = (await wc("GET", f"/passes/{first}")).body["secret"]
    for _ in range(2):  # single use: accepted, then rejected
        await wc("POST", "/scans", {"data": secret, "type": "qrcode"})
    _, device = await installed_pass(api)
    assert (await device.register()).status == 201

    async def counted() -> RestAnswer | None:
        answer = await _query(wc, 'Metrics | where metricType == "Scan:Rejected" | take 1')
        assert answer.status == 200, answer.body
        return answer if answer.body["rows"][0][3] == 1 else None

    await eventually(counted)
    everything = await _query(wc, "Metrics")
    assert answer_columns(everything) == ["metricId", "tenantId", "metricType", "value",
                                          "properties", "timestamp"]
    today = datetime.now(UTC).strftime("%Y-%m-%dT00:00:00Z")
    newest = {r[2]: r for r in everything.body["rows"][:4]}
    assert {k: r[3] for k, r in newest.items()} == {
        "Pass:Created": 3, "Pass:Installed": 1, "Scan:Accepted": 1, "Scan:Rejected": 1}
    created = newest["Pass:Created"]
    assert created[5] == today and created[1] == api.tenant_id
    assert created[4] == {"period": "P1D", "end": (datetime.now(UTC) + timedelta(days=1))
                          .strftime("%Y-%m-%dT00:00:00Z")}
    # Stable ids: the same day and metric answer the same id again.
    again = await _query(wc, 'Metrics | where metricType == "Pass:Created" | take 1')
    assert again.body["rows"][0][0] == created[0]
    # Every day of the range has a row per metric, empty days as 0.
    days = len(everything.body["rows"]) // 4
    assert 30 <= days <= 31 and len(everything.body["rows"]) == days * 4
    zeros = await _query(wc, "Metrics | where value == 0 | summarize count()")
    assert zeros.body["rows"] == [[days * 4 - 4]]
    problem(await _query(wc, "Metrics | where eventType == 'x'"), 400)
