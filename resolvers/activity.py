"""A card template's activity: the scans of its passes and its passes' lifecycle events (from
the outbox), one timeline, newest first — AccessGrid's event log of a card template.

Both kinds of row have ULID-style ids behind a four-character prefix (``scn_``, ``evt_``), so
the id without its prefix orders the union by time and serves as its cursor, as ids do for
every other list. Scans are kept for ever; events as long as ``PASSGATE_EVENT_RETENTION_DAYS``.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, union_all

from . import events as event_data
from .db import Database
from .models import events, passes, scans
from .pagination import Page, PageArgs, paginate
from .timeutil import to_db

SCANNED = "pass.scanned"
CARD_TYPES = event_data.PASS_TYPES  # pass.created, pass.updated, … pass.installed
_PREFIX = 4  # "scn_", "evt_"


@dataclass(slots=True)
class Entry:
    """One row of the timeline; ``scan`` for scans, ``data`` (the event's) for the rest."""

    id: str  # the cursor: the id without its prefix
    ref: str
    type: str
    at: datetime
    pass_id: str | None
    scan: Any = None
    data: dict[str, Any] | None = None


async def template_activity(
    db: Database,
    tenant_id: str,
    template_id: str,
    args: PageArgs,
    *,
    types: list[str] | None = None,
    result: str | None = None,
    device_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page:
    """``types``: dotted names (``pass.scanned``, ``pass.created``…), None for all;
    ``result`` narrows the scans; a ``device_id`` (the scanning device) leaves the lifecycle
    events out, since they have none."""
    wanted = set(types) if types is not None else {SCANNED, *CARD_TYPES}
    of_template = select(passes.c.id).where(passes.c.tenant_id == tenant_id,
                                            passes.c.template_id == template_id)
    parts = []
    if SCANNED in wanted:
        s = scans.c
        part = select(func.substr(s.id, _PREFIX + 1).label("id"), s.id.label("ref"),
                      literal(SCANNED).label("type"), s.scanned_at.label("at"),
                      s.pass_id.label("pass_id")).where(
            s.tenant_id == tenant_id, s.pass_id.in_(of_template))
        if result is not None:
            part = part.where(s.result == result)
        if device_id is not None:
            part = part.where(s.device_id == device_id)
        if since is not None:
            part = part.where(s.scanned_at >= to_db(since))
        if until is not None:
            part = part.where(s.scanned_at < to_db(until))
        parts.append(part)
    card_types = [t for t in CARD_TYPES if t in wanted]
    if card_types and device_id is None:
        e = events.c
        part = select(func.substr(e.id, _PREFIX + 1).label("id"), e.id.label("ref"),
                      e.type.label("type"), e.occurred_at.label("at"),
                      e.ordering_key.label("pass_id")).where(
            e.tenant_id == tenant_id, e.type.in_(card_types), e.ordering_key.in_(of_template))
        if since is not None:
            part = part.where(e.occurred_at >= to_db(since))
        if until is not None:
            part = part.where(e.occurred_at < to_db(until))
        parts.append(part)
    if not parts:  # nothing asked for can exist here
        return Page([], False, False, db, None, counter=_none)
    timeline = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("timeline")
    page = await paginate(db, select(timeline), timeline.c.id, args)
    page.rows = await _details(db, tenant_id, page.rows)
    return page


async def _none() -> int:
    return 0


async def _details(db: Database, tenant_id: str, rows: list[Any]) -> list[Entry]:
    """The page's scans and events in full, two statements whatever the page size."""
    scan_ids = [r.ref for r in rows if r.type == SCANNED]
    event_ids = [r.ref for r in rows if r.type != SCANNED]
    found: dict[str, Any] = {}
    async with db.read() as conn:
        if scan_ids:
            found.update((r.id, r) for r in await conn.execute(
                select(scans).where(scans.c.tenant_id == tenant_id, scans.c.id.in_(scan_ids))))
        if event_ids:
            found.update((r.id, r) for r in await conn.execute(
                select(events.c.id, events.c.data).where(events.c.tenant_id == tenant_id,
                                                         events.c.id.in_(event_ids))))
    entries = []
    for r in rows:
        row = found.get(r.ref)
        if row is None:  # pruned between the two reads
            continue
        at = r.at if isinstance(r.at, datetime) else datetime.fromisoformat(r.at)
        entries.append(Entry(r.id, r.ref, r.type, at, r.pass_id,
                             scan=row if r.type == SCANNED else None,
                             data=None if r.type == SCANNED else row.data))
    return entries
