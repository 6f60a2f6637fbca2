"""Monthly usage: durable counters in the database, added to in batches."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .db import Database
from .models import usage_counters

U = usage_counters.c


def month_of(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m")


def month_end(month: str) -> datetime:
    """When the quotas of ``month`` reset: the first instant of the next month (UTC)."""
    year, mon = int(month[:4]), int(month[5:])
    return datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=UTC)


async def add_usage(db: Database, counts: dict[tuple[str, str], tuple[int, int]]) -> None:
    """Add ``{(tenant, month): (api_calls, validations)}`` to the stored counters."""
    if not counts:
        return
    rows = [{"tenant_id": t, "month": m, "api_calls": c, "validations": v}
            for (t, m), (c, v) in counts.items()]
    insert = sqlite_insert if db.is_sqlite else pg_insert
    stmt = insert(usage_counters)
    stmt = stmt.on_conflict_do_update(
        index_elements=[U.tenant_id, U.month],
        set_={"api_calls": U.api_calls + stmt.excluded.api_calls,
              "validations": U.validations + stmt.excluded.validations},
    )
    async with db.write() as conn:
        await conn.execute(stmt, rows)


async def get_usage(db: Database, tenant_id: str, month: str) -> dict[str, Any]:
    async with db.read() as conn:
        row = (await conn.execute(select(U.api_calls, U.validations).where(
            U.tenant_id == tenant_id, U.month == month))).first()
    return {"month": month, "api_calls": row.api_calls if row else 0,
            "validations": row.validations if row else 0}
