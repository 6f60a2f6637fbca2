"""Request logs: a tenant's API requests (method, path or GraphQL operation, status, latency,
the key's id), as The Wallet Crew's Insights ``Logs`` table shows them.

The gateway collects them in memory and stores them in batches (``gateway/request_log.py``),
so a request never waits on this table; the worker's sweep prunes rows older than
``PASSGATE_REQUEST_LOG_RETENTION_DAYS`` (``gateway/worker.py``).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from .bulk import insert_many, insert_params
from .db import Database
from .models import request_logs
from .pagination import Page, PageArgs, paginate
from .timeutil import to_db

_L = request_logs.c
# The order of ``store_params``'s values.
COLUMNS = ("id", "tenant_id", "key_id", "request_id", "method", "path", "operation", "status",
           "duration_ms", "at")


async def store(db: Database, rows: Sequence[dict[str, Any]]) -> None:
    """One statement for a batch of rows (every row with the table's columns)."""
    async with db.write() as conn:
        await insert_many(conn, request_logs, rows)


async def store_params(db: Database, rows: Sequence[tuple[Any, ...]]) -> None:
    """``store`` for rows already in the driver's terms: values in ``COLUMNS`` order, ``at``
    as the dialect stores it (SQLite: ``sqlite_rows.to_sqlite`` text; PostgreSQL: an aware
    datetime). The gateway's logger builds them so, with no dict nor conversion a row."""
    async with db.write() as conn:
        await insert_params(conn, request_logs, COLUMNS, rows)


async def list_logs(db: Database, tenant_id: str, args: PageArgs, *,
                    since: datetime | None = None, until: datetime | None = None) -> Page:
    """The tenant's requests, newest first."""
    stmt = select(request_logs).where(_L.tenant_id == tenant_id)
    if since is not None:
        stmt = stmt.where(_L.at >= to_db(since))
    if until is not None:
        stmt = stmt.where(_L.at < to_db(until))
    return await paginate(db, stmt, _L.id, args)


async def prune(db: Database, cutoff: datetime, batch: int = 1000) -> int:
    """Delete one batch of rows older than ``cutoff``; how many went."""
    old = select(_L.id).where(_L.at < cutoff).order_by(_L.at).limit(batch)
    if not db.is_sqlite:
        old = old.with_for_update(skip_locked=True)
    async with db.write() as conn:
        gone = await conn.execute(delete(request_logs).where(_L.id.in_(old.scalar_subquery())))
    return gone.rowcount
