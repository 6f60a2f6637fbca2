"""Insights: how a tenant's passes are used over a time range.

Scans per UTC day or hour (accepted, rejected), rejections by reason, passes created, the
passes active now, the validation success rate, and the busiest templates and devices.
Scans are read from ``scan_stats``, hourly counts the outbox dispatcher keeps (so a 30-day
series reads at most 720 hours times the tenant's templates, devices and reasons, however many
scans there were; a scan counts once its event is dispatched, a fraction of a second later);
passes from their ``(tenant_id, created_at)`` and ``(tenant_id, state)`` indexes; installs are
the wallet registrations made in each bucket that devices still hold. Scan times
have hour resolution: a range starting inside an hour counts that whole hour.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from . import timeseries
from .db import Database
from .models import passes, scan_stats, templates, wallet_registrations

TOP = 5


@dataclass(slots=True)
class Bucket:
    start: datetime
    accepted: int
    rejected: int
    passes_created: int
    installs: int = 0


@dataclass(slots=True)
class Insights:
    since: datetime
    until: datetime
    granularity: str
    accepted: int
    rejected: int
    rejected_by_reason: list[tuple[str, int]]
    passes_created: int
    active_passes: int
    series: list[Bucket]
    top_templates: list[tuple[str | None, str | None, int]]  # (id, name, scans)
    top_devices: list[tuple[str | None, int]]

    @property
    def success_rate(self) -> float | None:
        total = self.accepted + self.rejected
        return None if total == 0 else self.accepted / total


async def insights(db: Database, tenant_id: str, since: datetime | None = None,
                   until: datetime | None = None, granularity: str = "day") -> Insights:
    w = timeseries.window(since, until, granularity)
    since, until, granularity = w.since, w.until, w.granularity
    st, p = scan_stats.c, passes.c
    in_range = (st.tenant_id == tenant_id, st.hour >= timeseries.floor(since, "hour"),
                st.hour < until)
    total = func.sum(st.scans).label("n")
    accepted = func.sum(case((st.result == "accepted", st.scans), else_=0))
    key = timeseries.bucket_key(db, st.hour, granularity).label("bucket")
    pkey = timeseries.bucket_key(db, p.created_at, granularity).label("bucket")
    async with db.read() as conn:
        per_bucket = {timeseries.parse_key(k): (int(a or 0), int(t) - int(a or 0)) for k, a, t in
                      await conn.execute(select(key, accepted, total)
                                         .where(*in_range).group_by(key))}
        created = {timeseries.parse_key(k): int(c) for k, c in await conn.execute(
            select(pkey, func.count()).where(p.tenant_id == tenant_id, p.created_at >= since,
                                             p.created_at < until).group_by(pkey))}
        wr = wallet_registrations.c
        rkey = timeseries.bucket_key(db, wr.created_at, granularity).label("bucket")
        installed = {timeseries.parse_key(k): int(c) for k, c in await conn.execute(
            select(rkey, func.count()).where(wr.tenant_id == tenant_id, wr.created_at >= since,
                                             wr.created_at < until).group_by(rkey))}
        reasons = [(r, int(c)) for r, c in await conn.execute(
            select(st.reason, total).where(*in_range, st.result == "rejected")
            .group_by(st.reason).order_by(total.desc(), st.reason))]
        active = int(await conn.scalar(select(func.count()).select_from(passes).where(
            p.tenant_id == tenant_id, p.state == "active")) or 0)
        top_templates = [(t or None, name, int(c)) for t, name, c in await conn.execute(
            select(st.template_id, templates.c.name, total)
            .select_from(scan_stats.outerjoin(templates, templates.c.id == st.template_id))
            .where(*in_range).group_by(st.template_id, templates.c.name)
            .order_by(total.desc(), st.template_id).limit(TOP))]
        top_devices = [(d or None, int(c)) for d, c in await conn.execute(
            select(st.device_id, total).where(*in_range).group_by(st.device_id)
            .order_by(total.desc(), st.device_id).limit(TOP))]
    series = []
    for at in w.buckets():
        a, r = per_bucket.get(at, (0, 0))
        series.append(Bucket(at, a, r, created.get(at, 0), installed.get(at, 0)))
    return Insights(
        since=since, until=until, granularity=granularity,
        accepted=sum(b.accepted for b in series), rejected=sum(b.rejected for b in series),
        rejected_by_reason=reasons, passes_created=sum(created.values()),
        active_passes=active, series=series, top_templates=top_templates,
        top_devices=top_devices)
