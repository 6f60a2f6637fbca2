"""The validation hot path in SQL: one statement on PostgreSQL, none through SQLAlchemy on
SQLite (its fast path runs on the raw driver), and rows shaped like SQLAlchemy's either way."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from resolvers import passes as pass_data
from resolvers.models import scans
from tests.fragments import CREATE_PASS, VALIDATE


@contextmanager
def statements(db: Any) -> Iterator[list[str]]:
    """The SQL statements sent meanwhile: those SQLAlchemy sends to the driver, and those
    ``Database.pg_fetchrow`` sends on the driver itself (PostgreSQL's hot path)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    on_driver = db.pg_fetchrow

    async def recorded(sql: str, args: Any) -> Any:
        seen.append(sql)
        return await on_driver(sql, args)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    db.pg_fetchrow = recorded
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        del db.pg_fetchrow


async def new_code(api, **fields) -> str:
    return (await api.gql(CREATE_PASS, {"input": fields}))["createPass"]["pass"]["code"]


async def validate(api, code: str, **extra) -> dict:
    return (await api.gql(VALIDATE, {"input": {"code": code, **extra}}))["validatePass"]


async def validation_statements(api, code: str) -> tuple[dict, list[str]]:
    """One accepted validation, and its statements. The request just before it (creating
    the pass) warms the API-key cache; should that cache expire on a slow machine, its
    reload is left out, as it is not the hot path's."""
    with statements(api.db) as seen:
        result = await validate(api, code)
    return result, [s for s in seen if "api_keys" not in s]


async def test_accepted_validation_is_one_statement_on_postgresql(api, backend):
    if backend == "sqlite":
        pytest.skip("SQLite's hot path bypasses SQLAlchemy: see the test below")
    code = await new_code(api, type="MULTI", maxUsages=3)
    result, seen = await validation_statements(api, code)
    assert result["valid"] is True and result["remainingUsages"] == 2
    assert result["pass"]["usagesCount"] == 1 and result["scan"]["usagesAfter"] == 1
    assert len(seen) == 1, seen
    assert "UPDATE passes" in seen[0] and "INSERT INTO scans" in seen[0]


async def test_accepted_validation_bypasses_sqlalchemy_on_sqlite(api, backend):
    if backend != "sqlite":
        pytest.skip("only SQLite has a raw-driver fast path")
    code = await new_code(api, type="MULTI", maxUsages=3)
    result, seen = await validation_statements(api, code)
    assert result["valid"] is True and result["pass"]["usagesCount"] == 1
    assert seen == []


async def test_rejection_still_names_the_reason_and_records_the_scan(api):
    code = await new_code(api)
    assert (await validate(api, code))["valid"] is True
    rejected = await validate(api, code, deviceId="gate-2")
    assert (rejected["valid"], rejected["reason"]) == (False, "USED_UP")
    assert rejected["scan"]["result"] == "REJECTED" and rejected["scan"]["usagesAfter"] == 1
    assert rejected["pass"]["usagesCount"] == 1


async def test_scan_id_race_consumes_nothing_and_replays(api, monkeypatch):
    """The replay check misses (as when two requests with one scan id race), so the scan
    INSERT hits the unique constraint: the use taken in the same statement or transaction
    is undone and the first answer comes back."""
    code = await new_code(api, type="MULTI", maxUsages=5)
    first = await validate(api, code, scanId="race-1")
    real_replay = pass_data._replay
    calls = 0

    async def late_replay(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return None if calls == 1 else await real_replay(*args)

    monkeypatch.setattr(pass_data, "_replay", late_replay)
    again = await validate(api, code, scanId="race-1")
    assert calls == 2
    assert again["scan"]["id"] == first["scan"]["id"]
    assert again["valid"] is True and again["remainingUsages"] == 4
    monkeypatch.undo()
    data = await api.gql("query($c: String!) { pass(code: $c) { usagesCount } }", {"c": code})
    assert data["pass"]["usagesCount"] == 1


async def test_fast_path_rows_look_like_sqlalchemy_rows(api):
    until = datetime.now(UTC) + timedelta(days=3)
    code = await new_code(
        api, type="MULTI", maxUsages=4, metadata={"seat": {"row": 7}}, validUntil=until.isoformat(),
        customFields=[{"key": "k", "value": "v", "isPublic": True}],
    )
    got = await pass_data.validate_pass(api.db, api.tenant_id, code, scan_id="rows-1",
                                        device_id="d-1", location="Hall A")
    assert got.valid and got.reason is None and got.remaining_usages == 3
    stored = await pass_data.get_pass(api.db, api.tenant_id, code=code)
    assert got.pass_row._asdict() == dict(stored._mapping)
    assert got.pass_row.meta == {"seat": {"row": 7}}
    assert got.pass_row.custom_fields == [{"key": "k", "value": "v", "isPublic": True}]
    for name in ("valid_until", "created_at", "updated_at", "last_scanned_at"):
        assert getattr(got.pass_row, name).utcoffset() == timedelta(0), name
    async with api.db.read() as conn:
        scan = (await conn.execute(select(scans).where(scans.c.id == got.scan_row.id))).one()
    assert got.scan_row._asdict() == dict(scan._mapping)
    assert got.scan_row.scanned_at.utcoffset() == timedelta(0)
    assert (got.scan_row.result, got.scan_row.usages_after) == ("accepted", 1)
    assert got.scan_row.pass_id == got.pass_row.id
