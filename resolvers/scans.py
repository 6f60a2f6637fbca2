"""Scans: the record of every validation attempt."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from .checks import choice, moment
from .db import Database
from .models import passes, scans
from .pagination import Page, PageArgs, paginate, paginate_children

RESULTS = ("accepted", "rejected")
SHORT_WINDOW = timedelta(days=31)


async def list_scans(
    db: Database,
    tenant_id: str,
    args: PageArgs,
    *,
    pass_id: str | None = None,
    result: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    template_id: str | None = None,
    device_id: str | None = None,
) -> Page:
    stmt = select(scans).where(scans.c.tenant_id == tenant_id)
    if pass_id is not None:
        stmt = stmt.where(scans.c.pass_id == pass_id)
    if result is not None:
        stmt = stmt.where(scans.c.result == choice(result, "result", RESULTS))
    if since is not None:
        stmt = stmt.where(scans.c.scanned_at >= moment(since, "since"))
    if until is not None:
        stmt = stmt.where(scans.c.scanned_at < moment(until, "until"))
    if template_id is not None:
        stmt = stmt.where(scans.c.pass_id.in_(
            select(passes.c.id).where(passes.c.tenant_id == tenant_id,
                                      passes.c.template_id == template_id)))
    if device_id is not None:
        stmt = stmt.where(scans.c.device_id == device_id)
    if since is not None and until is not None and until - since <= SHORT_WINDOW:
        # Scan ids follow time, so walking the id index newest-first to a window in the
        # past reads every later scan; a short window is read through the time index
        # instead, then sorted: the cost of the window, not of the history after it.
        window = stmt.cte("scan_window").prefix_with("MATERIALIZED")
        return await paginate(db, select(window), window.c.id, args)
    return await paginate(db, stmt, scans.c.id, args)


async def list_scans_of_passes(
    db: Database, tenant_id: str, pass_ids: Sequence[str], args: PageArgs
) -> list[Page]:
    """A page of scans for each pass (``passes { nodes { scans } }``), in one statement."""
    stmt = select(scans).where(scans.c.tenant_id == tenant_id)
    return await paginate_children(db, stmt, scans.c.pass_id, scans.c.id, pass_ids, args)
