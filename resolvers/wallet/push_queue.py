"""Durable wallet updates: outbox events become ``wallet_pushes`` rows, a worker leases them.

The events dispatcher calls ``enqueue`` in the transaction that marks events dispatched, so
a committed change that wallets show is either still an undispatched event or a push job:
a process that stops between the commit and the push loses nothing, and the next worker
(of any process) sends it. A job is leased while it is being sent and deleted when done;
a failure to reach APNs or Google is tried again later. Sending twice is harmless: a
device told twice asks once more and gets the same pass.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .. import ids
from ..db import Database
from ..models import events, wallet_pushes
from ..timeutil import utcnow
from .push import WalletChange, change_of_event

MAX_ATTEMPTS = 10
LEASE = timedelta(seconds=60)


def _change_json(change: WalletChange) -> dict[str, Any]:
    if change.template_id is not None:
        return {"template_id": change.template_id,
                "version": change.version.isoformat() if change.version else None}
    return {"pass_ids": list(change.pass_ids), "message": change.message}


def change_of(job: Any) -> WalletChange:
    data = job.change
    if data.get("template_id"):
        version = data.get("version")
        return WalletChange(job.tenant_id, template_id=data["template_id"],
                            version=datetime.fromisoformat(version) if version else None)
    return WalletChange(job.tenant_id, pass_ids=tuple(data.get("pass_ids") or ()),
                        message=data.get("message"))


async def enqueue(conn: AsyncConnection, rows: list[Any]) -> int:
    """Push jobs for the dispatched events that change what a wallet shows (in the
    dispatcher's transaction); how many."""
    now = utcnow()
    jobs = []
    for event in rows:
        change = change_of_event(event.tenant_id, event.type, event.data or {})
        if change is not None:
            jobs.append({"id": ids.new_id("wallet_push"), "tenant_id": event.tenant_id,
                         "event_id": event.id, "change": _change_json(change), "attempts": 0,
                         "next_attempt_at": now, "created_at": now})
    if jobs:
        await conn.execute(wallet_pushes.insert(), jobs)
    return len(jobs)


async def claim(db: Database, limit: int = 16) -> list[Any]:
    """Lease up to ``limit`` due jobs (skipping those another worker holds)."""
    if await db.read_row("SELECT 1 FROM wallet_pushes LIMIT 1", ()) is None:
        return []  # no job at all: no write transaction (deliveries.ANY_PENDING says why)
    now = utcnow()
    c = wallet_pushes.c
    pick = (select(c.id).where(c.next_attempt_at <= now,
                               or_(c.lease_until.is_(None), c.lease_until < now))
            .order_by(c.next_attempt_at).limit(limit))
    if not db.is_sqlite:
        pick = pick.with_for_update(skip_locked=True)
    stmt = (update(wallet_pushes).where(c.id.in_(pick.scalar_subquery()))
            .values(lease_until=now + LEASE, attempts=c.attempts + 1).returning(wallet_pushes))
    async with db.write() as conn:
        return list((await conn.execute(stmt)).all())


async def done(db: Database, job: Any) -> None:
    async with db.write() as conn:
        await conn.execute(delete(wallet_pushes).where(wallet_pushes.c.id == job.id))


async def later(db: Database, job: Any) -> bool:
    """Try the job again after a growing pause; False (and the job dropped) once it has
    failed ``MAX_ATTEMPTS`` times."""
    if job.attempts >= MAX_ATTEMPTS:
        await done(db, job)
        return False
    pause = timedelta(seconds=min(5 * 2 ** (job.attempts - 1), 3600))
    async with db.write() as conn:
        await conn.execute(update(wallet_pushes).where(wallet_pushes.c.id == job.id)
                           .values(next_attempt_at=utcnow() + pause, lease_until=None))
    return True


async def pending(db: Database, tenant_id: str | None = None) -> int:
    """Changes not yet pushed (of one tenant, or all): undispatched events and push jobs,
    counted in one statement, so an event turning into a job is never missed between them."""
    jobs = select(func.count()).select_from(wallet_pushes)
    undispatched = (select(func.count()).select_from(events)
                    .where(events.c.dispatched_at.is_(None)))
    if tenant_id is not None:
        jobs = jobs.where(wallet_pushes.c.tenant_id == tenant_id)
        undispatched = undispatched.where(events.c.tenant_id == tenant_id)
    async with db.read() as conn:
        return int(await conn.scalar(select(jobs.scalar_subquery()
                                            + undispatched.scalar_subquery())) or 0)
