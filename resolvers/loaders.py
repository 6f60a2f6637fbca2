"""Batch loads by id for DataLoaders: one statement per batch, always tenant-filtered."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import Database
from .errors import NotFound
from .models import customers, passes, qr_codes, scans, templates, webhooks

TABLES: dict[str, Table] = {
    "pass": passes,
    "template": templates,
    "customer": customers,
    "scan": scans,
    "qr": qr_codes,
    "webhook": webhooks,
}


async def load_by_ids(
    db: Database, kind: str, tenant_id: str, keys: Sequence[str]
) -> list[Any | None]:
    """Rows in the order of ``keys``; None where a key is unknown or another tenant's."""
    table = TABLES[kind]
    wanted = list(set(keys))
    async with db.read() as conn:
        rows = await conn.execute(
            select(table).where(table.c.tenant_id == tenant_id, table.c.id.in_(wanted))
        )
        found = {r.id: r for r in rows}
    return [found.get(k) for k in keys]


async def fetch_owned(conn: AsyncConnection, kind: str, tenant_id: str, row_id: str, *,
                      for_update: bool = False) -> Any:
    """One row of this tenant's, or NOT_FOUND (the same for another tenant's row).
    ``for_update``: locked until the transaction ends (PostgreSQL; SQLite's write
    transaction already excludes other writers), for a write computed from the row."""
    table = TABLES[kind]
    stmt = select(table).where(table.c.id == row_id, table.c.tenant_id == tenant_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(f"no {kind} with that id")
    return row
