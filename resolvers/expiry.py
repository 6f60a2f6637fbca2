"""pass.expired: a pass's validity ends with no request to notice it, so the delivery
worker's sweep announces it (``gateway/worker.py``).

Once per end of validity, whatever the number of workers: the sweep marks the pass
(``expiry_announced_for`` = the ``valid_until`` it announced) in the same conditional UPDATE
that picks it, and writes the event in that transaction. Two workers picking the same pass
cannot both mark it: on PostgreSQL the picks skip rows another sweep holds, and the UPDATE's
own condition, re-checked on a row another transaction changed, leaves it out; SQLite has one
writer. Changing ``valid_until`` later makes the pass due again when the new end passes.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update

from . import events
from .db import Database
from .models import EXPIRY_UNANNOUNCED, passes

_UNANNOUNCED = text(EXPIRY_UNANNOUNCED)


async def announce_expired(db: Database, now: datetime, limit: int = 500) -> int:
    """Mark up to ``limit`` passes whose validity ended by ``now`` and emit their
    ``pass.expired`` events; returns how many (call again while it returns ``limit``)."""
    p = passes.c
    pick = (select(p.id).where(_UNANNOUNCED, p.valid_until <= now)
            .order_by(p.valid_until).limit(limit))
    if not db.is_sqlite:
        pick = pick.with_for_update(skip_locked=True)
    stmt = (update(passes)
            .where(p.id.in_(pick.scalar_subquery()), _UNANNOUNCED, p.valid_until <= now)
            .values(expiry_announced_for=p.valid_until)
            .returning(passes))
    async with db.write() as conn:
        rows = list(await conn.execute(stmt))
        by_tenant: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in sorted(rows, key=lambda r: (r.valid_until, r.id)):
            by_tenant[row.tenant_id].append({"pass_": row})
        for tenant_id, items in by_tenant.items():
            await events.emit_many(conn, db, tenant_id, "pass.expired", items)
    return len(rows)
