"""Dynamic QR codes (seed 004): a short slug served at ``/q/{slug}`` that redirects to a
destination which can change after the code is printed, and counts its visits."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import checks, events, ids, qr_visitors, timeseries
from .db import Database
from .errors import BadInput, PlanLimit
from .loaders import fetch_owned
from .models import qr_codes, qr_scans
from .pagination import Page, PageArgs, paginate
from .timeutil import utcnow

TYPES = ("url",)
STATUSES = ("active", "paused")
QR_PLANS = frozenset({"team", "enterprise"})

# No 0/O/o, 1/l/I/i: a slug read off a poster or typed by hand cannot be misread.
SLUG_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
SLUG_LENGTH = 8  # 55**8: about 46 bits, so collisions are rare and retried
SLUG_ATTEMPTS = 5
MAX_USER_AGENT = 500
MAX_REFERRER = 2000
TOP_USER_AGENTS = 10


def require_plan(plan: str) -> None:
    """The QR API is a Team-tier feature (seed 004); the redirect itself is never gated, so
    printed codes keep working after a downgrade."""
    if plan not in QR_PLANS:
        raise PlanLimit("the dynamic QR code API requires the team plan or above; "
                        f"this tenant is on the {plan} plan")


def new_slug() -> str:
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


def visitor_hash(server_secret: bytes, client_ip: str) -> str:
    """Counts unique visitors without keeping their IP: a keyed hash cannot be reversed by
    trying all IPv4 addresses unless the server secret leaks too."""
    return hmac.new(server_secret, b"qr-visitor:" + client_ip.encode(), hashlib.sha256).hexdigest()


def _destination(value: Any) -> str:
    """An absolute http(s) URL: it becomes a ``Location`` header, so no spaces or controls."""
    url = checks.text(value, "destinationUrl", 2000, required=True)
    assert url is not None
    try:
        parts = urlsplit(url)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        ok = False
    if not ok or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise BadInput("destinationUrl must be an absolute http(s) URL", field="destinationUrl")
    return url


def _style(value: Any) -> dict[str, Any] | None:
    return None if value is None else checks.json_object(value, "style")


def _check(values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Check the given fields; on create also fill defaults."""
    out: dict[str, Any] = {}
    if creating or "name" in values:
        out["name"] = checks.text(values.get("name"), "name", 200, required=True)
    if creating or "destination_url" in values:
        out["destination_url"] = _destination(values.get("destination_url"))
    if creating:
        out["type"] = checks.choice(values.get("type") or "url", "type", TYPES)
    if creating or "status" in values:
        status = (values.get("status") or "active") if creating else values["status"]
        out["status"] = checks.choice(status, "status", STATUSES)
    if creating or "style" in values:
        out["style"] = _style(values.get("style"))
    return out


async def create_qr(db: Database, tenant_id: str, values: dict[str, Any]) -> Any:
    """Insert with a fresh slug; on the rare slug collision try again in a new transaction
    (a failed INSERT aborts a PostgreSQL transaction, so it cannot be retried inside it)."""
    row = _check(values, creating=True)
    for attempt in range(SLUG_ATTEMPTS):
        now = utcnow()
        row.update(id=ids.new_id("qr"), tenant_id=tenant_id, slug=new_slug(), scan_count=0,
                   created_at=now, updated_at=now)
        try:
            async with db.write() as conn:
                return (
                    await conn.execute(insert(qr_codes).values(**row).returning(qr_codes))
                ).one()
        except IntegrityError:
            async with db.read() as conn:
                taken = await conn.scalar(
                    select(func.count()).where(qr_codes.c.slug == row["slug"]))
            if not taken or attempt == SLUG_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def get_qr(db: Database, tenant_id: str, qr_id: str) -> Any:
    async with db.read() as conn:
        return await fetch_owned(conn, "qr", tenant_id, qr_id)


async def list_qr(
    db: Database, tenant_id: str, args: PageArgs, *, status: str | None = None
) -> Page:
    stmt = select(qr_codes).where(qr_codes.c.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(qr_codes.c.status == checks.choice(status, "status", STATUSES))
    return await paginate(db, stmt, qr_codes.c.id, args)


async def update_qr(db: Database, tenant_id: str, qr_id: str, values: dict[str, Any]) -> Any:
    """Partial: only the fields given change. The slug never changes (it is printed)."""
    changes = _check(values, creating=False)
    async with db.write() as conn:
        await fetch_owned(conn, "qr", tenant_id, qr_id)
        changes["updated_at"] = utcnow()
        return (
            await conn.execute(
                update(qr_codes).where(qr_codes.c.id == qr_id).values(**changes)
                .returning(qr_codes)
            )
        ).one()


async def delete_qr(db: Database, tenant_id: str, qr_id: str) -> Any:
    """Hard delete with its scans (they reference it); returns the code's last state."""
    async with db.write() as conn:
        current = await fetch_owned(conn, "qr", tenant_id, qr_id)
        await conn.execute(delete(qr_scans).where(qr_scans.c.qr_id == qr_id))
        await conn.execute(delete(qr_codes).where(qr_codes.c.id == qr_id))
        return current


def _clip(value: str | None, size: int) -> str | None:
    return value[:size] if value else None


async def record_visit(
    db: Database,
    slug: str,
    *,
    user_agent: str | None,
    referrer: str | None,
    client_ip: str | None,
    server_secret: bytes,
) -> str | None:
    """The destination of an active code, counting the visit; None when the slug is unknown
    or the code paused. Counter and scan row are written in one transaction."""
    if not slug or len(slug) > 64:
        return None
    now = utcnow()
    async with db.write() as conn:
        hit = (
            await conn.execute(
                update(qr_codes)
                .where(qr_codes.c.slug == slug, qr_codes.c.status == "active")
                .values(scan_count=qr_codes.c.scan_count + 1, last_scanned_at=now)
                .returning(qr_codes)
            )
        ).first()
        if hit is None:
            return None
        visit = await conn.execute(insert(qr_scans).returning(qr_scans).values(
            id=ids.new_id("qr_scan"),
            tenant_id=hit.tenant_id,
            qr_id=hit.id,
            scanned_at=now,
            user_agent=_clip(user_agent, MAX_USER_AGENT),
            referrer=_clip(referrer, MAX_REFERRER),
            visitor_hash=visitor_hash(server_secret, client_ip or ""),
            device=qr_visitors.device_class(user_agent),
            country=qr_visitors.country_of(client_ip),
        ))
        await events.emit(conn, db, hit.tenant_id, "qr.scanned", qr=hit, visit=visit.one())
    return hit.destination_url


@dataclass(slots=True)
class Analytics:
    since: datetime
    until: datetime
    granularity: str
    total_scans: int
    unique_visitors: int
    series: list[tuple[datetime, int]]  # (bucket start, scans), empty buckets included
    top_user_agents: list[tuple[str, int]]
    devices: list[tuple[str, int]]  # (device class, scans), most scans first
    countries: list[tuple[str, int]]  # (ISO 3166 alpha-2, scans); unknown ones left out


async def analytics(
    db: Database,
    tenant_id: str,
    qr_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
    granularity: str = "day",
) -> Analytics:
    """Scans of one code in ``[since, until)`` (default: the last 30 days), per UTC day or
    hour with empty buckets included, unique visitors and the commonest user agents."""
    w = timeseries.window(since, until, granularity)
    since, until, granularity = w.since, w.until, w.granularity
    scope = (qr_scans.c.tenant_id == tenant_id, qr_scans.c.qr_id == qr_id,
             qr_scans.c.scanned_at >= since, qr_scans.c.scanned_at < until)
    key = timeseries.bucket_key(db, qr_scans.c.scanned_at, granularity).label("bucket")
    async with db.read() as conn:
        await fetch_owned(conn, "qr", tenant_id, qr_id)
        totals = (await conn.execute(
            select(func.count(), func.count(qr_scans.c.visitor_hash.distinct())).where(*scope)
        )).one()
        per_bucket = await conn.execute(
            select(key, func.count()).where(*scope).group_by(key))
        counts = {timeseries.parse_key(k): n for k, n in per_bucket}
        scans = func.count().label("scans")
        agents = await conn.execute(
            select(qr_scans.c.user_agent, scans)
            .where(*scope, qr_scans.c.user_agent.is_not(None))
            .group_by(qr_scans.c.user_agent)
            .order_by(scans.desc(), qr_scans.c.user_agent)
            .limit(TOP_USER_AGENTS)
        )
        top = [(ua, n) for ua, n in agents]
        # Scans from before device classes were kept are classed by their user agent.
        legacy = case((qr_scans.c.device.is_(None), qr_scans.c.user_agent), else_=None)
        device_rows = await conn.execute(
            select(qr_scans.c.device, legacy.label("ua"), scans).where(*scope)
            .group_by(qr_scans.c.device, legacy))
        by_device: dict[str, int] = {}
        for device, ua, n in device_rows:
            name = device or qr_visitors.device_class(ua)
            by_device[name] = by_device.get(name, 0) + n
        country_rows = await conn.execute(
            select(qr_scans.c.country, scans)
            .where(*scope, qr_scans.c.country.is_not(None))
            .group_by(qr_scans.c.country))
        by_country = sorted(((c, n) for c, n in country_rows), key=lambda cn: (-cn[1], cn[0]))
    series = [(at, counts.get(at, 0)) for at in w.buckets()]
    devices = sorted(by_device.items(), key=lambda dn: (-dn[1], dn[0]))
    return Analytics(since, until, granularity, totals[0], totals[1], series, top, devices,
                     by_country)
