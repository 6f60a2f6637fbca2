"""validatePass: usage rules, reasons, idempotent scan ids, dry runs, scans in the graph."""

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import make_url

from tests.fragments import CREATE_PASS, VALIDATE


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


async def new_pass(api, **fields) -> dict:
    data = await api.gql(CREATE_PASS, {"input": fields})
    return data["createPass"]["pass"]


async def validate(api, code: str, **extra) -> dict:
    data = await api.gql(VALIDATE, {"input": {"code": code, **extra}})
    return data["validatePass"]


async def test_single_pass_validates_once(api):
    p = await new_pass(api)
    first = await validate(api, p["code"])
    assert first["valid"] is True and first["reason"] is None
    assert first["remainingUsages"] == 0
    assert first["pass"]["usagesCount"] == 1
    assert first["scan"]["result"] == "ACCEPTED"
    second = await validate(api, p["code"])
    assert second["valid"] is False and second["reason"] == "USED_UP"
    assert second["scan"]["result"] == "REJECTED"
    assert second["pass"]["usagesCount"] == 1


async def test_multi_pass_validates_max_usages_times(api):
    p = await new_pass(api, type="MULTI", maxUsages=3)
    results = [await validate(api, p["code"]) for _ in range(4)]
    assert [r["valid"] for r in results] == [True, True, True, False]
    assert [r["remainingUsages"] for r in results] == [2, 1, 0, 0]
    assert results[-1]["reason"] == "USED_UP"


async def test_unlimited_multi_pass_never_runs_out(api):
    p = await new_pass(api, type="MULTI", maxUsages=None)
    for i in range(5):
        r = await validate(api, p["code"])
        assert r["valid"] is True and r["remainingUsages"] is None
        assert r["pass"]["usagesCount"] == i + 1


async def test_code_is_case_insensitive(api):
    p = await new_pass(api)
    assert (await validate(api, "  " + p["code"].lower() + " "))["valid"] is True


@pytest.mark.parametrize(
    ("fields", "action", "reason"),
    [
        ({"validFrom": "+1d"}, None, "NOT_YET_VALID"),
        ({"validFrom": "-2d", "validUntil": "-1d"}, None, "EXPIRED"),
        ({}, "suspendPass", "SUSPENDED"),
        ({}, "unlinkPass", "UNLINKED"),
        ({}, "deletePass", "DELETED"),
    ],
)
async def test_rejection_reasons(api, fields, action, reason):
    shift = {"+1d": timedelta(days=1), "-1d": timedelta(days=-1), "-2d": timedelta(days=-2)}
    p = await new_pass(api, **{k: iso(shift[v]) for k, v in fields.items()})
    if action:
        await api.gql(f'mutation {{ {action}(input: {{id: "{p["id"]}"}}) {{ pass {{ id }} }} }}')
    r = await validate(api, p["code"])
    assert (r["valid"], r["reason"]) == (False, reason)
    assert r["pass"]["usagesCount"] == 0
    assert r["scan"]["result"] == "REJECTED" and r["scan"]["reason"] == reason


async def test_unknown_code_is_not_found_and_recorded(api):
    r = await validate(api, "NOSUCHCODE123456", deviceId="gate-1")
    assert r == {
        "valid": False, "reason": "NOT_FOUND", "remainingUsages": None, "pass": None,
        "scan": {**r["scan"], "result": "REJECTED", "reason": "NOT_FOUND"},
    }
    scans = await api.gql('{ scans(filter: {result: REJECTED}) { nodes { code deviceId } } }')
    assert {"code": "NOSUCHCODE123456", "deviceId": "gate-1"} in scans["scans"]["nodes"]


async def test_resumed_pass_validates_again(api):
    p = await new_pass(api)
    await api.gql(f'mutation {{ suspendPass(input: {{id: "{p["id"]}"}}) {{ pass {{ id }} }} }}')
    assert (await validate(api, p["code"]))["reason"] == "SUSPENDED"
    await api.gql(f'mutation {{ resumePass(input: {{id: "{p["id"]}"}}) {{ pass {{ id }} }} }}')
    assert (await validate(api, p["code"]))["valid"] is True


async def test_repeated_scan_id_replays_first_answer(api):
    p = await new_pass(api, type="MULTI", maxUsages=5)
    first = await validate(api, p["code"], scanId="door-7:0001")
    again = await validate(api, p["code"], scanId="door-7:0001")
    assert again["valid"] is True and again["scan"]["id"] == first["scan"]["id"]
    assert again["remainingUsages"] == first["remainingUsages"] == 4
    assert again["pass"]["usagesCount"] == 1
    other = await validate(api, p["code"], scanId="door-7:0002")
    assert other["pass"]["usagesCount"] == 2 and other["scan"]["id"] != first["scan"]["id"]


async def test_repeated_scan_id_of_a_rejection_replays_the_rejection(api):
    p = await new_pass(api)
    await validate(api, p["code"])
    first = await validate(api, p["code"], scanId="s-1")
    assert first["reason"] == "USED_UP"
    assert (await validate(api, p["code"], scanId="s-1"))["scan"]["id"] == first["scan"]["id"]


async def test_dry_run_consumes_and_records_nothing(api):
    p = await new_pass(api)
    for _ in range(2):
        r = await validate(api, p["code"], dryRun=True)
        assert r["valid"] is True and r["scan"] is None and r["pass"]["usagesCount"] == 0
    dry_missing = await validate(api, "MISSINGCODE00000", dryRun=True)
    assert dry_missing["reason"] == "NOT_FOUND"
    scans = await api.gql("{ scans { totalCount } }")
    assert scans["scans"]["totalCount"] == 0
    assert (await validate(api, p["code"]))["valid"] is True


async def test_scan_is_in_the_graph(api):
    p = await new_pass(api, type="MULTI", maxUsages=2)
    r = await validate(api, p["code"], scanId="c-1", deviceId="scanner-3", location="Gate B")
    assert r["scan"] == {**r["scan"], "scanId": "c-1", "deviceId": "scanner-3",
                         "location": "Gate B", "usagesAfter": 1, "result": "ACCEPTED"}
    data = await api.gql(
        """query($id: ID!) { pass(id: $id) { lastScans: scans(first: 5) { totalCount
             nodes { id result location pass { code } } } } }""",
        {"id": p["id"]},
    )
    scans = data["pass"]["lastScans"]
    assert scans["totalCount"] == 1
    assert scans["nodes"][0]["id"] == r["scan"]["id"]
    assert scans["nodes"][0]["pass"]["code"] == p["code"]
    node = await api.gql('query($id: ID!) { node(id: $id) { ... on Scan { location } } }',
                         {"id": r["scan"]["id"]})
    assert node["node"]["location"] == "Gate B"


async def test_validation_needs_scans_write(api):
    p = await new_pass(api)
    reader = await api.new_key("passes:read")
    err = await api.error(VALIDATE, {"input": {"code": p["code"]}}, key=reader)
    assert err["extensions"]["code"] == "FORBIDDEN"
    scanner = await api.new_key("scans:write")
    assert (await validate_with(api, scanner, p["code"]))["valid"] is True


async def validate_with(api, key: str, code: str) -> dict:
    data = await api.gql(VALIDATE, {"input": {"code": code}}, key=key)
    return data["validatePass"]


async def test_scan_filters(api):
    p = await new_pass(api)
    await validate(api, p["code"])
    await validate(api, p["code"])
    data = await api.gql(
        """query($id: ID!, $since: DateTime!) {
             accepted: scans(filter: {passId: $id, result: ACCEPTED}) { totalCount }
             rejected: scans(filter: {passId: $id, result: REJECTED}) { totalCount }
             recent: scans(filter: {passId: $id, since: $since}) { totalCount }
             future: scans(filter: {passId: $id, until: $since}) { totalCount } }""",
        {"id": p["id"], "since": iso(timedelta(minutes=-5))},
    )
    assert [data[k]["totalCount"] for k in ("accepted", "rejected", "recent", "future")] == [
        1, 1, 2, 0]


async def test_sqlite_scan_waits_out_another_process_without_blocking(api, backend, db_url):
    """The gate's SQLite transaction runs on the event loop's thread, but never waits there:
    while another process (here a plain sqlite3 connection) holds the write lock, the scan
    waits in the driver's thread, the server answers other requests meanwhile, and the scan
    goes through once the lock is released."""
    if backend != "sqlite":
        pytest.skip("SQLite's single writer")
    p = await new_pass(api)
    holder = sqlite3.connect(make_url(db_url).database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        scan = asyncio.ensure_future(validate(api, p["code"]))
        await asyncio.sleep(0.5)
        assert not scan.done()
        assert (await api.gql("{ viewer { plan } }"))["viewer"]["plan"]
        holder.execute("COMMIT")
        r = await asyncio.wait_for(scan, 10)
    finally:
        holder.close()
    assert r["valid"] is True and r["pass"]["usagesCount"] == 1
