"""Webhook deliveries from the outbox: fan-out, claims, attempts, retries and redelivery.

The life of a delivery, as SQL (the HTTP request itself is the worker's, ``gateway/worker.py``):

1. ``dispatch`` turns new events into one ``webhook_deliveries`` row per subscribed, enabled
   webhook, and marks the events dispatched. One dispatcher at a time (a transaction-scoped
   advisory lock on PostgreSQL, the write lock on SQLite), so the deliveries of one pass are
   created in event order.
2. ``claim`` leases due deliveries for ``lease_seconds``: ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, so several workers never take the same row. A delivery is due only when no
   earlier delivery of the same webhook and ordering key (the pass) is still pending: each
   pass's events reach a receiver in order.
3. ``record`` logs the attempt and moves the delivery on: delivered; pending again at the next
   time of the retry schedule (Retry-After honoured on 429/503); failed after the last try.
   A 410 Gone, or an endpoint failing for ``disable_after``, disables the webhook with a reason.
   A worker that dies between sending and recording leaves the lease to expire: the delivery
   is sent again, with the same event id, by whichever worker claims it next.
"""

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from . import events as event_data
from . import ids
from .db import Database
from .errors import BadInput
from .loaders import fetch_owned
from .models import events, scan_stats, webhook_attempts, webhook_deliveries, webhooks
from .pagination import Page, PageArgs, paginate
from .timeutil import to_db, utcnow
from .wallet import push_queue

# Standard Webhooks' schedule: the first try at once, then these waits (seconds) after each
# failed try: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. Ten tries in all.
SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
MAX_ATTEMPTS = len(SCHEDULE) + 1
MAX_RETRY_AFTER = 86400
EXCERPT = 1000


@dataclass
class Policy:
    """When to try again. ``scale`` shrinks the schedule (tests); ``clock`` is the time."""

    scale: float = 1.0
    jitter: float = 0.1
    lease_seconds: float = 120.0
    disable_after: timedelta = timedelta(days=5)
    clock: Callable[[], datetime] = field(default=utcnow)

    def delay(self, attempts_done: int, retry_after: float | None) -> float | None:
        """Seconds until the next try after ``attempts_done`` failed ones; None: give up."""
        if attempts_done >= MAX_ATTEMPTS:
            return None
        wait = SCHEDULE[attempts_done - 1] * self.scale
        wait *= 1 + random.uniform(-self.jitter, self.jitter)
        if retry_after is not None:
            wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
        return wait


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After``: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- 1. fan-out


# Is there work at all? One probe of a partial index each, asked before a worker's turn
# takes the write lock: an idle server's polls cost 12 % of a core in write transactions
# that found nothing (five turns a second); the probes cost a fraction of one.
ANY_UNDISPATCHED = "SELECT 1 FROM events WHERE dispatched_at IS NULL LIMIT 1"
ANY_PENDING = "SELECT 1 FROM webhook_deliveries WHERE state = 'pending' LIMIT 1"


async def dispatch(db: Database, limit: int = 500) -> list[Any]:
    """Fan new events out to their webhooks; return the events (for live subscribers)."""
    if await db.read_row(ANY_UNDISPATCHED, ()) is None:
        return []
    now = utcnow()
    async with db.write() as conn:
        if not db.is_sqlite and not await conn.scalar(
            select(func.pg_try_advisory_xact_lock(func.hashtext("passgate:dispatch")))
        ):
            return []  # another process is dispatching; it takes these events
        rows = list(await conn.execute(
            select(events).where(events.c.dispatched_at.is_(None))
            .order_by(events.c.seq).limit(limit)
        ))
        if not rows:
            return []
        hooks: dict[str, list[Any]] = defaultdict(list)
        for hook in await conn.execute(
            select(webhooks.c.id, webhooks.c.tenant_id, webhooks.c.events)
            .where(webhooks.c.tenant_id.in_({r.tenant_id for r in rows}), webhooks.c.enabled)
        ):
            hooks[hook.tenant_id].append(hook)
        due = [_delivery_row(e, hook.id, now) for e in rows for hook in hooks[e.tenant_id]
               if event_data.matches(list(hook.events), e.type)]
        if due:
            await conn.execute(insert(webhook_deliveries), due)
        await _count_scans(conn, db, rows)
        await push_queue.enqueue(conn, rows)  # wallet updates, durable as deliveries are
        await conn.execute(update(events).where(events.c.seq.in_([r.seq for r in rows]))
                           .values(dispatched_at=now))
    return rows


async def _count_scans(conn: AsyncConnection, db: Database, rows: list[Any]) -> None:
    """Add the batch's scans to ``scan_stats`` (insights' aggregate), in the dispatching
    transaction: each scan event is dispatched once, so it is counted once."""
    counts: dict[tuple[str, datetime, str, str, str, str], int] = defaultdict(int)
    for e in rows:
        if e.type != "pass.scanned":
            continue
        scan, pass_ = e.data.get("scan") or {}, e.data.get("pass") or {}
        at = event_data._dt(scan.get("scanned_at")) or e.occurred_at
        hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        counts[(e.tenant_id, hour, pass_.get("template_id") or "", scan.get("device_id") or "",
                scan.get("result") or "", scan.get("reason") or "")] += 1
    if not counts:
        return
    names = ("tenant_id", "hour", "template_id", "device_id", "result", "reason")
    make = sqlite_insert if db.is_sqlite else pg_insert
    stmt = make(scan_stats).values([{**dict(zip(names, k, strict=True)), "scans": n}
                                    for k, n in counts.items()])
    await conn.execute(stmt.on_conflict_do_update(
        index_elements=list(names), set_={"scans": scan_stats.c.scans + stmt.excluded.scans}))


def _delivery_row(event: Any, webhook_id: str, now: datetime) -> dict[str, Any]:
    return {
        "id": ids.new_id("delivery"), "tenant_id": event.tenant_id, "webhook_id": webhook_id,
        "event_seq": event.seq, "event_id": event.id, "event_type": event.type,
        "ordering_key": event.ordering_key, "state": "pending", "attempts": 0,
        "next_attempt_at": now, "created_at": now,
    }


# ---------------------------------------------------------------- 2. claims


@dataclass(slots=True)
class Claimed:
    """A leased delivery with what sending it needs."""

    delivery: Any
    event: Any
    webhook: Any


_D = webhook_deliveries
_EARLIER = _D.alias("earlier")


def _claim_statement(is_sqlite: bool, now: datetime, lease: datetime, limit: int,
                     busy: set[str] | frozenset[str]) -> Any:
    # A delivery is due only as the first pending one of its webhook and pass. Asked as "the
    # least pending event_seq of its queue", not as NOT EXISTS: an aggregate stays a
    # per-row probe of the pending-order index, one entry read, whatever the statistics
    # say, where an anti-join planned on a fresh table's statistics read every pending row
    # for every candidate (quadratic in the backlog).
    head_of_queue = (
        select(func.min(_EARLIER.c.event_seq)).where(
            _EARLIER.c.webhook_id == _D.c.webhook_id,
            _EARLIER.c.ordering_key == _D.c.ordering_key,
            _EARLIER.c.state == "pending",
        ).scalar_subquery()
    )
    pick = (
        select(_D.c.id)
        .join(webhooks, webhooks.c.id == _D.c.webhook_id)
        .where(_D.c.state == "pending", _D.c.next_attempt_at <= now,
               or_(_D.c.lease_until.is_(None), _D.c.lease_until < now),
               webhooks.c.enabled, _D.c.event_seq == head_of_queue)
        .order_by(_D.c.event_seq)
        .limit(limit)
    )
    if busy:
        pick = pick.where(_D.c.webhook_id.not_in(busy))
    if not is_sqlite:
        pick = pick.with_for_update(skip_locked=True, of=_D)
    # The subquery is its own scan of the table, not correlated with the UPDATE's row.
    chosen = pick.correlate_except(_D).scalar_subquery()
    return update(_D).where(_D.c.id.in_(chosen)).values(lease_until=lease).returning(_D)


async def claim(db: Database, policy: Policy, limit: int,
                busy: set[str] | frozenset[str] = frozenset()) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries, skipping webhooks in ``busy`` (at their
    concurrency limit in this worker)."""
    if await db.read_row(ANY_PENDING, ()) is None:
        return []
    now = policy.clock()
    lease = now + timedelta(seconds=policy.lease_seconds)
    stmt = _claim_statement(db.is_sqlite, now, lease, limit, busy)
    async with db.write() as conn:
        rows = list(await conn.execute(stmt))
        if not rows:
            return []
        evs = {e.seq: e for e in await conn.execute(
            select(events).where(events.c.seq.in_([r.event_seq for r in rows])))}
        hooks = {h.id: h for h in await conn.execute(
            select(webhooks).where(webhooks.c.id.in_({r.webhook_id for r in rows})))}
    rows.sort(key=lambda r: r.event_seq)
    return [Claimed(r, evs[r.event_seq], hooks[r.webhook_id]) for r in rows]


# ---------------------------------------------------------------- 3. attempts


async def record(db: Database, policy: Policy, claimed: Claimed, outcome: Any) -> str:
    """Log the attempt (``outcome``: ``resolvers/outbound.py``'s Reply: status, headers, body,
    error, elapsed_ms, ok) and move the delivery on. Returns ``delivered``, ``retry``,
    ``failed`` or ``disabled`` (the webhook was switched off; its pending deliveries wait)."""
    now = policy.clock()
    d, hook = claimed.delivery, claimed.webhook
    attempt_no = d.attempts + 1
    excerpt = outcome.body[:EXCERPT].decode("utf-8", "replace") if outcome.body else None
    error = outcome.error[:500] if outcome.error else None
    if error is None and not outcome.ok and outcome.status is not None:
        error = f"HTTP {outcome.status}"
    values: dict[str, Any] = {"attempts": attempt_no, "lease_until": None,
                              "last_status": outcome.status, "last_error": error}
    disable: str | None = None
    result = "delivered"
    if outcome.ok:
        values.update(state="delivered", delivered_at=now, last_error=None)
    elif outcome.status == 410:
        disable = "the receiver answered 410 Gone: it no longer accepts deliveries"
        values.update(next_attempt_at=now, attempts=d.attempts)  # sent again once re-enabled
        result = "disabled"
    else:
        retry_after = None
        if outcome.status in (429, 503) and outcome.headers is not None:
            retry_after = retry_after_seconds(outcome.headers.get("Retry-After"), now)
        wait = policy.delay(attempt_no, retry_after)
        if wait is None:
            values["state"] = "failed"
            result = "failed"
        else:
            values["next_attempt_at"] = now + timedelta(seconds=wait)
            result = "retry"
        failing_since = hook.failing_since or now
        if now - failing_since >= policy.disable_after:
            disable = (f"failing since {failing_since.isoformat(timespec='seconds')}; last "
                       f"error: {error}")
            result = "disabled"
    async with db.write() as conn:
        await conn.execute(insert(webhook_attempts).values(
            id=ids.new_id("attempt"), tenant_id=d.tenant_id, webhook_id=d.webhook_id,
            delivery_id=d.id, event_id=d.event_id, attempt=attempt_no, status=outcome.status,
            latency_ms=round(outcome.elapsed_ms, 2), error=error, response_excerpt=excerpt,
            attempted_at=now))
        await conn.execute(update(_D).where(_D.c.id == d.id, _D.c.lease_until == d.lease_until)
                           .values(**values))
        await _webhook_health(conn, db, hook, now, ok=outcome.ok, disable=disable)
    return result


async def _webhook_health(conn: AsyncConnection, db: Database, hook: Any, now: datetime, *,
                          ok: bool, disable: str | None) -> None:
    w = webhooks.c
    if disable is not None:
        row = (await conn.execute(
            update(webhooks).where(w.id == hook.id, w.enabled)
            .values(enabled=False, disabled_reason=disable[:500], updated_at=now)
            .returning(webhooks))).first()
        if row is not None:
            await event_data.emit(conn, db, hook.tenant_id, "webhook.disabled", webhook=row)
    elif ok and hook.failing_since is not None:
        await conn.execute(update(webhooks).where(w.id == hook.id).values(failing_since=None))
    elif not ok and hook.failing_since is None:
        await conn.execute(update(webhooks).where(w.id == hook.id, w.failing_since.is_(None))
                           .values(failing_since=now))


# ---------------------------------------------------------------- redelivery and reading


async def redeliver(db: Database, tenant_id: str, webhook_id: str, *,
                    event_id: str | None = None, since: datetime | None = None) -> int:
    """Send again, now: one event, or every event since a time that the webhook subscribes
    to (already delivered or not). Returns how many deliveries were queued."""
    if (event_id is None) == (since is None):
        raise BadInput("give either eventId or since", field="eventId")
    now = utcnow()
    async with db.write() as conn:
        hook = await fetch_owned(conn, "webhook", tenant_id, webhook_id)
        stmt = select(events).where(events.c.tenant_id == tenant_id)
        if event_id is not None:
            stmt = stmt.where(events.c.id == event_id)
        else:
            stmt = stmt.where(events.c.occurred_at >= to_db(since)).order_by(events.c.seq)
        rows = list(await conn.execute(stmt.limit(10_000)))
        if event_id is not None and not rows:
            raise BadInput(f"eventId: no event {event_id!r}", field="eventId")
        if since is not None:
            rows = [r for r in rows if event_data.matches(list(hook.events), r.type)]
        if not rows:
            return 0
        make = sqlite_insert if db.is_sqlite else pg_insert
        stmt = make(webhook_deliveries).values([_delivery_row(r, webhook_id, now) for r in rows])
        await conn.execute(stmt.on_conflict_do_update(
            index_elements=["webhook_id", "event_seq"],
            set_={"state": "pending", "attempts": 0, "next_attempt_at": now,
                  "lease_until": None},
        ))
    return len(rows)


async def list_deliveries(db: Database, tenant_id: str, webhook_id: str, args: PageArgs, *,
                          state: str | None = None) -> Page:
    stmt = select(_D).where(_D.c.tenant_id == tenant_id, _D.c.webhook_id == webhook_id)
    if state is not None:
        stmt = stmt.where(_D.c.state == state)
    return await paginate(db, stmt, _D.c.id, args)


async def attempts_of(db: Database, tenant_id: str, delivery_ids: list[str]) -> list[list[Any]]:
    """Each delivery's attempts, oldest first (a DataLoader's batch)."""
    a = webhook_attempts.c
    async with db.read() as conn:
        rows = await conn.execute(select(webhook_attempts).where(
            and_(a.tenant_id == tenant_id, a.delivery_id.in_(delivery_ids))).order_by(a.id))
    by: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        by[r.delivery_id].append(r)
    return [by[i] for i in delivery_ids]


async def queue_depth(db: Database) -> int:
    """Deliveries waiting (all tenants): a gauge for /metrics."""
    async with db.read() as conn:
        return int(await conn.scalar(
            select(func.count()).select_from(_D).where(_D.c.state == "pending")) or 0)
