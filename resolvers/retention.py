"""Retention: the outbox and the delivery log are kept ``PASSGATE_EVENT_RETENTION_DAYS``, then
pruned by the worker's sweep in small batches (``gateway/worker.py``).

A delivery is pruned once it is finished (delivered or failed) and older than the cutoff; its
attempts go with it (foreign key ``ON DELETE CASCADE``). A pending delivery is never pruned,
whatever its age, and neither is the event it will send: an event goes only once it is
older than the cutoff, fanned out, and no delivery refers to it any more. Several workers may
prune at once: on PostgreSQL each skips the rows another is deleting.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, literal, select

from .db import Database
from .models import events, webhook_deliveries

_D, _E = webhook_deliveries.c, events.c


@dataclass(slots=True)
class Pruned:
    deliveries: int
    events: int

    def full(self, batch: int) -> bool:
        """A batch came back full: there is more to prune now."""
        return self.deliveries >= batch or self.events >= batch


async def prune(db: Database, cutoff: datetime, batch: int = 1000) -> Pruned:
    """Delete one batch of finished deliveries, then one of events, older than ``cutoff``."""
    done = (select(_D.id).where(_D.state != "pending", _D.created_at < cutoff)
            .order_by(_D.created_at).limit(batch))
    referred = select(literal(1)).where(_D.event_seq == _E.seq).exists()
    unused = (select(_E.seq)
              .where(_E.occurred_at < cutoff, _E.dispatched_at.is_not(None), ~referred)
              .order_by(_E.occurred_at).limit(batch))
    if not db.is_sqlite:
        done = done.with_for_update(skip_locked=True)
        unused = unused.with_for_update(of=events, skip_locked=True)
    async with db.write() as conn:
        gone = await conn.execute(delete(webhook_deliveries)
                                  .where(_D.id.in_(done.scalar_subquery())))
    async with db.write() as conn:
        old = await conn.execute(delete(events).where(_E.seq.in_(unused.scalar_subquery())))
    return Pruned(gone.rowcount, old.rowcount)
