"""Domain events: written to the outbox (``events``) in the transaction of the change.

A change and its event commit together or not at all, so no change is ever committed without
its event and a rolled-back change leaves none. Callers add one line inside their
``db.write()`` block: ``await events.emit(conn, db, tenant_id, "pass.created", pass_=row)``.

``data`` holds snapshots of the rows involved, under their kind (``{"pass": {...}}``,
``{"scan": {...}, "pass": {...}}``), column by column as the database returned them: the
validation hot path on PostgreSQL writes them with ``to_jsonb`` inside its one statement, every
other path with ``snapshot()``. ``present()`` turns them into the object as the API shows it,
which each dialect then reshapes (names, envelope, signature) when it delivers.
"""

import sqlite3
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from . import ids
from .bulk import insert_many
from .db import Database
from .models import events
from .pagination import Page, PageArgs, paginate
from .sqlite_rows import to_sqlite
from .timeutil import to_db

# Our dotted names; each with its Wallet Crew name and, where its catalogue has one,
# AccessGrid's. A webhook subscribed under any of an event's names receives it.
CATALOGUE: dict[str, tuple[str, str | None]] = {
    "pass.created": ("Pass:Created", "ag.access_pass.issued"),
    "pass.updated": ("Pass:Updated", "ag.access_pass.updated"),
    "pass.suspended": ("Pass:Suspended", "ag.access_pass.suspended"),
    "pass.resumed": ("Pass:Resumed", "ag.access_pass.resumed"),
    "pass.unlinked": ("Pass:Unlinked", "ag.access_pass.unlinked"),
    "pass.deleted": ("Pass:Deleted", "ag.access_pass.deleted"),
    "pass.expired": ("Pass:Expired", "ag.access_pass.expired"),
    "pass.scanned": ("Pass:Scanned", None),
    "pass.installed": ("Pass:Installed", "ag.access_pass.devices.added"),
    "pass.uninstalled": ("Pass:Uninstalled", "ag.access_pass.devices.removed"),
    "template.created": ("Template:Created", "ag.card_template.created"),
    "template.updated": ("Template:Updated", "ag.card_template.updated"),
    "template.published": ("Template:Published", "ag.card_template.published"),
    "template.deleted": ("Template:Deleted", "ag.card_template.deleted"),
    "customer.created": ("Customer:Created", None),
    "customer.updated": ("Customer:Updated", None),
    "customer.deleted": ("Customer:Deleted", None),
    "qr.scanned": ("Redirect:Redirected", None),
    "webhook.created": ("Webhook:Created", None),
    "webhook.updated": ("Webhook:Updated", None),
    "webhook.deleted": ("Webhook:Deleted", None),
    "webhook.disabled": ("Webhook:Disabled", None),
}
TYPES = tuple(CATALOGUE)
# A pass's own history (its scans are in ``scans``; ``pass.scanned`` is their event).
PASS_TYPES = tuple(t for t in TYPES if t.startswith("pass.") and t != "pass.scanned")

# Columns never copied into an event: a webhook's sealed secret, a visitor's hashed IP, a
# wallet's push token.
_PRIVATE = frozenset({"secret_ciphertext", "tenant_id", "visitor_hash", "push_token"})
# Events about a pass and a wallet of its holder's: the pass with its ``installation``.
INSTALLATION_EVENTS = frozenset({"pass.installed", "pass.uninstalled"})


def names(event_type: str) -> tuple[str, ...]:
    """Every name the event goes by: ours, Wallet Crew's, AccessGrid's."""
    walletcrew, accessgrid = CATALOGUE.get(event_type, (None, None))
    return tuple(n for n in (event_type, walletcrew, accessgrid) if n)


def matches(patterns: list[str], event_type: str) -> bool:
    """``*``, an exact name in any dialect, or a prefix wildcard (``pass.*``, ``Pass:*``)."""
    all_names = names(event_type)
    for p in patterns:
        if p == "*" or p in all_names:
            return True
        if p.endswith("*") and any(n.startswith(p[:-1]) for n in all_names):
            return True
    return False


# ---------------------------------------------------------------- writing


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def snapshot(row: Any) -> dict[str, Any] | None:
    """A row's columns (or a dict's items) as JSON-ready values (datetimes as ISO 8601),
    private ones left out."""
    if row is None:
        return None
    mapping = row if isinstance(row, dict) else (
        row._mapping if hasattr(row, "_mapping") else row._asdict())
    return {k: _json_value(v) for k, v in mapping.items() if k not in _PRIVATE}


def ordering_key(event_type: str, data: dict[str, Any]) -> str:
    """Events of one pass are delivered in order: the pass id, else the object's own id."""
    for kind in ("pass", "scan", "template", "customer", "qr", "webhook"):
        obj = data.get(kind)
        if obj:
            return obj["id"]
    return event_type


def event_row(tenant_id: str, event_type: str, data: dict[str, Any],
              now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": ids.new_id("event"),
        "tenant_id": tenant_id,
        "type": event_type,
        "ordering_key": ordering_key(event_type, data),
        "data": data,
        "occurred_at": now or datetime.now(UTC),
    }


async def emit(conn: AsyncConnection, db: Database, tenant_id: str, event_type: str,
               **objects: Any) -> None:
    """One event about the given rows (``pass_=row``, ``scan=row``…), in ``conn``'s
    transaction. A trailing underscore in a keyword is dropped (``pass_`` is ``pass``)."""
    await emit_many(conn, db, tenant_id, event_type, [objects])


async def emit_many(conn: AsyncConnection, db: Database, tenant_id: str, event_type: str,
                    items: list[dict[str, Any]]) -> None:
    """One event per item, in one statement (a bulk create makes one event per pass)."""
    if not db.outbox or not items:
        return
    now = datetime.now(UTC)
    rows = [event_row(tenant_id, event_type,
                      {k.rstrip("_"): snapshot(v) for k, v in item.items()}, now)
            for item in items]
    await insert_many(conn, events, rows)


SQLITE_INSERT = (
    "INSERT INTO events (id, tenant_id, type, ordering_key, data, occurred_at)"
    " VALUES (:id, :tenant_id, :type, :ordering_key, :data, :occurred_at)"
)


def emit_sqlite(c: sqlite3.Connection, tenant_id: str, event_type: str,
                **objects: Any) -> None:
    """``emit`` for the SQLite hot path, inside its driver-thread transaction."""
    row = event_row(tenant_id, event_type, {k.rstrip("_"): snapshot(v)
                                            for k, v in objects.items()})
    row["data"] = orjson.dumps(row["data"]).decode()
    row["occurred_at"] = to_sqlite(row["occurred_at"])
    c.execute(SQLITE_INSERT, row)


# ---------------------------------------------------------------- reading


def _dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(value)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(value: Any) -> str | None:
    moment = _dt(value)
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def present_pass(p: dict[str, Any], at: datetime) -> dict[str, Any]:
    """A pass snapshot as the API shows it (snake_case; status derived at the event's time)."""
    from .passes import derive_status, remaining_usages  # passes imports this module

    class _Row:  # derive_status reads attributes
        pass

    row = _Row()
    for key in ("state", "valid_from", "valid_until", "max_usages", "usages_count"):
        value = p.get(key)
        setattr(row, key, _dt(value) if key.startswith("valid") else value)
    return {
        "id": p["id"],
        "code": p["code"],
        "type": p["type"],
        "name": p.get("name"),
        "note": p.get("note"),
        "template_id": p.get("template_id"),
        "customer_id": p.get("customer_id"),
        "holder_name": p.get("holder_name"),
        "holder_email": p.get("holder_email"),
        "holder_phone": p.get("holder_phone"),
        "state": p["state"],
        "status": derive_status(row, at),
        "usages_count": p["usages_count"],
        "max_usages": p.get("max_usages"),
        "remaining_usages": remaining_usages(row),
        "valid_from": _iso(p.get("valid_from")),
        "valid_until": _iso(p.get("valid_until")),
        "metadata": p.get("meta") or {},
        "attributes": p.get("attributes") or {},
        "custom_fields": [
            {"key": f.get("key"), "value": f.get("value"), "is_public": f.get("isPublic", False)}
            for f in p.get("custom_fields") or []
        ],
        "created_at": _iso(p.get("created_at")),
        "updated_at": _iso(p.get("updated_at")),
        "last_scanned_at": _iso(p.get("last_scanned_at")),
    }


def _plain(obj: dict[str, Any]) -> dict[str, Any]:
    """Other kinds: their columns, times in ISO 8601 with ``Z``."""
    return {k: _iso(v) if isinstance(v, str) and _is_time(k) else v
            for k, v in obj.items() if k not in _PRIVATE}


def _is_time(column: str) -> bool:
    return column.endswith("_at") or column.endswith(("valid_from", "valid_until"))


def present(event_type: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The event's object as the API shows it: the pass for ``pass.*``; the scan with its pass
    for ``pass.scanned``; the template, customer or webhook; the QR code with the visit."""
    if event_type == "pass.scanned":
        scan = _plain(data["scan"])
        scan["pass"] = present_pass(data["pass"], at) if data.get("pass") else None
        return scan
    if event_type in INSTALLATION_EVENTS:
        return {**present_pass(data["pass"], at),
                "installation": _plain(data.get("installation") or {})}
    if event_type.startswith("pass."):
        return present_pass(data["pass"], at)
    if event_type == "qr.scanned":
        qr = _plain(data["qr"])
        qr["visit"] = _plain(data.get("visit") or {})
        return qr
    kind = event_type.split(".", 1)[0]
    return _plain(data[kind])


async def list_events(
    db: Database,
    tenant_id: str,
    args: PageArgs,
    *,
    types: list[str] | None = None,
    only: tuple[str, ...] | None = None,
    ordering_key: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page:
    """The tenant's events, newest first. ``types`` takes names in any dialect and wildcards
    (``pass.*``, ``Pass:Created``), as a webhook subscription does; ``only`` narrows them to
    the types a key may read."""
    stmt = select(events).where(events.c.tenant_id == tenant_id)
    if types or only is not None:
        wanted = [t for t in (only if only is not None else TYPES)
                  if not types or matches(types, t)]
        stmt = stmt.where(events.c.type.in_(wanted))
    if ordering_key is not None:
        stmt = stmt.where(events.c.ordering_key == ordering_key)
    if since is not None:
        stmt = stmt.where(events.c.occurred_at >= to_db(since))
    if until is not None:
        stmt = stmt.where(events.c.occurred_at < to_db(until))
    return await paginate(db, stmt, events.c.id, args)
