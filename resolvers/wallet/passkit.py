"""Apple's PassKit web service, as data: pass versions, device registrations, and which
serial numbers changed since an update tag.

A pass's version is ``passes.wallet_updated_at``: every change that alters what the holder
sees sets it in the same transaction as the change (``holder_visible_change``), so a device
asking "what changed since my tag" and the ``Last-Modified`` of the pass agree.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import events, ids
from ..db import Database
from ..models import passes, wallet_registrations
from ..timeutil import utcnow

# Pass columns a wallet pass never shows: changing only these makes no new version.
HOLDER_HIDDEN = frozenset({"note", "meta", "customer_id", "holder_email", "holder_phone",
                           "updated_at", "attributes"})
# Template columns that shape a wallet pass.
TEMPLATE_VISIBLE = frozenset({"name", "kind", "background_color", "foreground_color",
                              "label_color", "logo_url", "icon_url", "barcode_format",
                              "field_layout", "settings", "localizations"})


def holder_visible_change(current: Any, changes: dict[str, Any]) -> bool:
    """Whether applying ``changes`` to the row mapping ``current`` alters the wallet pass."""
    return any(current[k] != v for k, v in changes.items() if k not in HOLDER_HIDDEN)


def template_visible_change(current: Any, changes: dict[str, Any]) -> bool:
    return any(current[k] != v for k, v in changes.items() if k in TEMPLATE_VISIBLE)


# ---------------------------------------------------------------- update tags

# A change's tag is taken before its transaction commits, and hosts' clocks differ a
# little; a device's lastUpdated therefore stays this far behind "now", so a change that
# commits late is listed next time rather than missed (a repeat costs the device one 304).
LOOKBACK = timedelta(seconds=2)


def tag_of(moment: datetime) -> str:
    """An update tag: microseconds since the epoch, as the string PassKit wants."""
    return str(int(moment.timestamp() * 1_000_000))


def parse_tag(tag: str | None) -> datetime | None:
    if not tag or not tag.isascii() or not tag.isdigit() or len(tag) > 20:
        return None
    try:
        return datetime.fromtimestamp(int(tag) / 1_000_000, UTC)
    except (OverflowError, ValueError, OSError):  # beyond the calendar: not one of ours
        return None


def _version_column() -> Any:
    return func.coalesce(passes.c.wallet_updated_at, passes.c.created_at)


# ---------------------------------------------------------------- registrations


async def register(db: Database, row: Any, device_id: str, pass_type_id: str,
                   push_token: str) -> bool:
    """Register a device for a pass; True when new (201), False when it was known (200,
    the push token refreshed). Safe under concurrent calls: one insert wins."""
    now = utcnow()
    values = {"id": ids.new_id("wallet_registration"), "tenant_id": row.tenant_id,
              "pass_id": row.id, "platform": "apple", "device_library_id": device_id,
              "pass_type_id": pass_type_id, "push_token": push_token, "created_at": now,
              "updated_at": now}
    dialect_insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
    stmt = (dialect_insert(wallet_registrations).values(**values)
            .on_conflict_do_nothing(index_elements=["device_library_id", "pass_type_id",
                                                    "pass_id"])
            .returning(wallet_registrations.c.id))
    async with db.write() as conn:
        if (await conn.execute(stmt)).first() is not None:
            await installation_event(conn, db, "pass.installed", row.id, values)
            return True
        await conn.execute(update(wallet_registrations).where(*_same(device_id, pass_type_id,
                                                                     row.id))
                           .values(push_token=push_token, updated_at=now))
    return False


async def installation_event(conn: Any, db: Database, event_type: str, pass_id: str,
                              registration: Any) -> None:
    """pass.installed / pass.uninstalled in the registration's transaction: the pass as it
    now is, and the installation (platform, device, how many devices now hold the pass)."""
    r = wallet_registrations.c
    current = (await conn.execute(select(passes).where(passes.c.id == pass_id))).first()
    active = await conn.scalar(select(func.count()).select_from(wallet_registrations)
                               .where(r.pass_id == pass_id))
    installation = {"platform": registration["platform"],
                    "device_library_id": registration["device_library_id"],
                    "pass_type_id": registration["pass_type_id"],
                    "registered_at": registration["created_at"],
                    "active_registrations": active}
    await events.emit(conn, db, current.tenant_id, event_type, pass_=current,
                      installation=installation)


def _same(device_id: str, pass_type_id: str, pass_id: str) -> tuple[Any, ...]:
    r = wallet_registrations.c
    return (r.device_library_id == device_id, r.pass_type_id == pass_type_id,
            r.pass_id == pass_id)


async def unregister(db: Database, row: Any, device_id: str, pass_type_id: str) -> bool:
    async with db.write() as conn:
        gone = (await conn.execute(delete(wallet_registrations)
                                   .where(*_same(device_id, pass_type_id, row.id))
                                   .returning(wallet_registrations))).first()
        if gone is not None:
            await installation_event(conn, db, "pass.uninstalled", row.id, gone._mapping)
    return gone is not None


async def serials_since(db: Database, device_id: str, pass_type_id: str, since: str | None,
                        *, tenant_id: str | None = None) -> tuple[list[str], str] | None:
    """Serial numbers of the device's passes (of one tenant, when given) changed after tag
    ``since`` (all of them without one) and the tag to ask from next time; None when there
    are none."""
    r = wallet_registrations.c
    version = _version_column()
    stmt = (select(passes.c.id, version.label("version"))
            .join(wallet_registrations, r.pass_id == passes.c.id)
            .where(r.device_library_id == device_id, r.pass_type_id == pass_type_id))
    if tenant_id is not None:
        stmt = stmt.where(r.tenant_id == tenant_id)
    after = parse_tag(since)
    if after is not None:
        stmt = stmt.where(version > after)
    async with db.read() as conn:
        rows = (await conn.execute(stmt.order_by(passes.c.id))).all()
    if not rows:
        return None
    newest = max(row.version for row in rows)
    return [row.id for row in rows], tag_of(min(newest, utcnow() - LOOKBACK))


async def registrations(db: Database, tenant_id: str, pass_ids: list[str]) -> list[Any]:
    """The devices of these passes (for Pass.wallet.devices and pushes)."""
    r = wallet_registrations.c
    async with db.read() as conn:
        return list((await conn.execute(
            select(wallet_registrations)
            .where(r.tenant_id == tenant_id, r.pass_id.in_(pass_ids))
            .order_by(r.created_at, r.id))).all())


# ---------------------------------------------------------------- Last-Modified


def last_modified(version: datetime, now: datetime) -> datetime:
    """HTTP dates have whole seconds. A version's second is only announced once it is over;
    until then one second earlier, so a second change within the same second is never
    answered 304 (the device downloads once more instead)."""
    second = version.replace(microsecond=0)
    return second if now >= second + timedelta(seconds=1) else second - timedelta(seconds=1)


def not_modified(version: datetime, if_modified_since: datetime | None) -> bool:
    return if_modified_since is not None and if_modified_since >= version.replace(microsecond=0)
