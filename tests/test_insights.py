"""GraphQL insights: scans per bucket, rejections by reason, success rate, passes created
and active, top templates and devices; tenant-scoped, scope-checked, ranges checked."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import Api, make_api

INSIGHTS = """
query($from: DateTime, $to: DateTime, $g: InsightGranularity) {
  insights(from: $from, to: $to, granularity: $g) {
    from to granularity accepted rejected successRate passesCreated activePasses
    rejectedByReason { reason scans }
    series { start accepted rejected passesCreated }
    topTemplates { templateId name scans }
    topDevices { deviceId scans }
  }
}
"""
VALIDATE = "mutation($c: String!, $d: String) { validatePass(input: {code: $c, deviceId: $d}) " \
           "{ valid } }"


@pytest.fixture
async def api(aiohttp_client: Any, worker_settings: Settings) -> Api:
    """Scans are counted as the outbox dispatches them: a worker runs in this app."""
    return await make_api(await aiohttp_client(create_app(worker_settings)))


async def dispatched(api: Api, variables: dict[str, Any], scans: int) -> dict[str, Any]:
    for _ in range(250):
        got = (await api.gql(INSIGHTS, variables))["insights"]
        if got["accepted"] + got["rejected"] >= scans:
            return got
        await asyncio.sleep(0.02)
    raise AssertionError(f"scans never counted: {got}")


async def test_insights_over_a_day(api: Api):
    tpl = (await api.gql("mutation { createTemplate(input: {name: \"Gym\"}) "
                         "{ template { id } } }"))["createTemplate"]["template"]["id"]
    one = (await api.gql("mutation($t: ID!) { createPass(input: {templateId: $t, maxUsages: 1}) "
                         "{ pass { code } } }", {"t": tpl}))["createPass"]["pass"]["code"]
    many = (await api.gql("mutation { createPass(input: {type: MULTI}) { pass { id code } } }")
            )["createPass"]["pass"]
    await api.gql("mutation($id: ID!) { suspendPass(input: {id: $id}) { pass { id } } }",
                  {"id": many["id"]})
    await api.gql(VALIDATE, {"c": one, "d": "gate-1"})
    await api.gql(VALIDATE, {"c": one, "d": "gate-1"})      # used_up
    await api.gql(VALIDATE, {"c": many["code"], "d": "gate-2"})  # suspended
    await api.gql(VALIDATE, {"c": "NOPE"})                  # not_found
    await (await api.other_tenant()).gql("mutation { createPass(input: {}) { pass { id } } }")
    now = datetime.now(UTC)
    got = await dispatched(api, {"from": (now - timedelta(hours=2)).isoformat(),
                                 "to": (now + timedelta(hours=1)).isoformat(), "g": "HOUR"}, 4)
    assert got["granularity"] == "HOUR" and len(got["series"]) in (3, 4)
    assert (got["accepted"], got["rejected"], got["successRate"]) == (1, 3, 0.25)
    assert got["passesCreated"] == 2 and got["activePasses"] == 1
    assert {r["reason"]: r["scans"] for r in got["rejectedByReason"]} == {
        "USED_UP": 1, "SUSPENDED": 1, "NOT_FOUND": 1}
    assert sum(b["accepted"] for b in got["series"]) == 1
    assert sum(b["passesCreated"] for b in got["series"]) == 2
    by_template = {t["name"]: t["scans"] for t in got["topTemplates"]}
    assert by_template == {"Gym": 2, None: 2}  # None: scans of no template (or no pass)
    assert got["topDevices"][0] == {"deviceId": "gate-1", "scans": 2}
    daily = (await api.gql(INSIGHTS))["insights"]  # default: the last 30 days, daily
    assert len(daily["series"]) in (30, 31) and daily["accepted"] == 1


async def test_insights_checks_its_input_and_scope(api: Api):
    error = await api.error(INSIGHTS, {"from": "2026-01-02T00:00:00Z",
                                       "to": "2026-01-01T00:00:00Z"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "later" in error["message"]
    error = await api.error(INSIGHTS, {"from": "2020-01-01T00:00:00Z",
                                       "to": "2026-01-01T00:00:00Z", "g": "HOUR"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "744" in error["message"]
    key = await api.new_key("passes:read")
    error = await api.error(INSIGHTS, {}, key=key)
    assert error["extensions"]["code"] == "FORBIDDEN"
    empty = (await (await api.other_tenant()).gql(INSIGHTS))["insights"]
    assert empty["successRate"] is None and empty["accepted"] == 0


@pytest.mark.parametrize(("variables", "field"), [
    ({"to": "9999-12-31T23:59:59.999999-23:59"}, "to"),
    ({"from": "0001-01-01T00:00:00+14:00", "to": "0001-01-02T00:00:00Z"}, "from"),
    ({"to": "0001-01-10T00:00:00Z"}, "to"),
])
async def test_insights_at_the_edges_of_the_calendar_are_refused(api: Api, variables, field):
    """The same window checks as QR analytics (resolvers/timeseries.py): never a 500."""
    error = await api.error(INSIGHTS, variables)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"].get("field") == field, error
