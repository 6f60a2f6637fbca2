"""Passes: create, update, life cycle, listing and validation (the hot path)."""

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import orjson
from sqlalchemy import (
    Select,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from . import checks, events, ids, merge, pass_order
from . import search as search_index
from .bulk import insert_many
from .db import Database
from .errors import BadInput, Conflict, DomainError, NotFound, PlanLimit
from .models import customers, pass_counts, passes, scans, templates, wallet_registrations
from .models import events as outbox
from .pagination import Page, PageArgs, paginate, paginate_children
from .plans import PLANS
from .sqlite_rows import RowReader, to_sqlite
from .templates import PASS_TYPES, pass_defaults
from .timeutil import utcnow
from .wallet.passkit import holder_visible_change

STATES = ("active", "suspended", "unlinked", "deleted")
STATUSES = (*STATES, "expired", "not_yet_valid", "used_up")
MAX_BULK = 1000

# ---------------------------------------------------------------- status


def derive_status(row: Any, now: datetime) -> str:
    """The state, refined for active passes by validity window and usage."""
    if row.state != "active":
        return row.state
    if row.valid_from is not None and row.valid_from > now:
        return "not_yet_valid"
    if row.valid_until is not None and row.valid_until <= now:
        return "expired"
    if row.max_usages is not None and row.usages_count >= row.max_usages:
        return "used_up"
    return "active"


def remaining_usages(row: Any) -> int | None:
    if row.max_usages is None:
        return None
    return max(0, row.max_usages - row.usages_count)


def _status_clause(status: str, now: datetime) -> ColumnElement[bool]:
    """SQL twin of ``derive_status``: rows whose derived status is ``status``."""
    c = passes.c
    started = or_(c.valid_from.is_(None), c.valid_from <= now)
    not_ended = or_(c.valid_until.is_(None), c.valid_until > now)
    has_uses = or_(c.max_usages.is_(None), c.usages_count < c.max_usages)
    active = c.state == "active"
    match status:
        case "active":
            return and_(active, started, not_ended, has_uses)
        case "not_yet_valid":
            return and_(active, c.valid_from > now)
        case "expired":
            return and_(active, started, c.valid_until <= now)
        case "used_up":
            return and_(active, started, not_ended, c.usages_count >= c.max_usages)
        case _:
            return c.state == status


# ---------------------------------------------------------------- input checks


def _check_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Check the fields present in ``values`` and return them in column form."""
    out: dict[str, Any] = {}
    if values.get("type") is not None:
        out["type"] = checks.choice(values["type"], "type", PASS_TYPES)
    for field, label, size in (("name", "name", 200), ("note", "note", 2000),
                               ("holder_name", "holderName", 200),
                               ("holder_phone", "holderPhone", 40)):
        if field in values:
            out[field] = checks.text(values[field], label, size)
    if "holder_email" in values:
        out["holder_email"] = checks.email(values["holder_email"], "holderEmail")
    if "max_usages" in values:
        out["max_usages"] = checks.positive_int(values["max_usages"], "maxUsages")
    for field, label in (("valid_from", "validFrom"), ("valid_until", "validUntil")):
        if field in values:
            out[field] = checks.moment(values[field], label)
    if "custom_fields" in values:
        out["custom_fields"] = checks.custom_fields(values["custom_fields"], "customFields")
    if "metadata" in values:
        out["meta"] = checks.json_object(values["metadata"], "metadata")
    if "attributes" in values:
        out["attributes"] = checks.json_object(values["attributes"], "attributes")
    for field in ("customer_id", "template_id"):
        if field in values:
            out[field] = values[field]
    # Only on create: what an import keeps (a given code, the vendor's id, use count, state).
    if values.get("code") is not None:
        out["code"] = ids.check_code(values["code"])
    if "external_id" in values:
        out["external_id"] = check_external_id(values["external_id"])
    if values.get("usages_count") is not None:
        count = values["usages_count"]
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 10**9:
            raise BadInput("usagesCount must be an integer from 0", field="usagesCount")
        out["usages_count"] = count
    if values.get("state") is not None:
        out["state"] = checks.choice(values["state"], "state", STATES)
    return out


def check_external_id(value: Any) -> str | None:
    """The vendor's id of a pass: any printable text but ours (``pass_…`` names our ids)."""
    external_id = checks.text(value, "externalId", 200)
    if external_id is None:
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in external_id) or "/" in external_id:
        raise BadInput("externalId must not contain spaces, control characters or /",
                       field="externalId")
    if external_id.startswith(ids.PREFIXES["pass"] + "_"):
        raise BadInput("externalId must not start with pass_ (passgate's own ids do)",
                       field="externalId")
    return external_id


def _check_consistency(row: dict[str, Any]) -> None:
    if row["type"] == "single":
        if row.get("max_usages") not in (None, 1):
            raise BadInput("a SINGLE pass has maxUsages 1; use type MULTI for more",
                           field="maxUsages")
        row["max_usages"] = 1
    start, end = row.get("valid_from"), row.get("valid_until")
    if start is not None and end is not None and end <= start:
        raise BadInput("validUntil must be later than validFrom", field="validUntil")
    count = row.get("usages_count") or 0
    if row.get("max_usages") is not None and count > row["max_usages"]:
        raise BadInput(f"usagesCount {count} is more than maxUsages {row['max_usages']}",
                       field="usagesCount")


async def _existing_ids(
    conn: AsyncConnection, table: Any, tenant_id: str, wanted: set[str]
) -> dict[str, Any]:
    if not wanted:
        return {}
    rows = await conn.execute(
        select(table).where(table.c.tenant_id == tenant_id, table.c.id.in_(wanted))
    )
    return {r.id: r for r in rows}


# ---------------------------------------------------------------- create / read / update


async def create_passes(
    db: Database,
    tenant_id: str,
    items: list[dict[str, Any]],
    *,
    bulk: bool = False,
    plan: str,
) -> list[Any]:
    """Create passes all-or-nothing. In bulk, an error names the item: ``passes[3].name``.
    The tenant's plan caps how many passes that are not deleted it may keep."""
    created, _ = await import_passes(db, tenant_id, items, bulk=bulk, plan=plan)
    return created


@dataclass(slots=True)
class Skipped:
    """An item left out because its code or external id is already this tenant's."""

    index: int
    code: str | None
    external_id: str | None
    pass_id: str


async def import_passes(
    db: Database,
    tenant_id: str,
    items: list[dict[str, Any]],
    *,
    bulk: bool = True,
    plan: str,
    skip_existing: bool = False,
) -> tuple[list[Any], list[Skipped]]:
    """``create_passes``, and with ``skip_existing`` the items whose code or external id the
    tenant already has are skipped instead of refused (so an import can be run again)."""
    if bulk and not 1 <= len(items) <= MAX_BULK:
        raise BadInput(f"passes must hold 1 to {MAX_BULK} items", field="passes")
    now = utcnow()
    checked: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        try:
            checked.append(_check_fields(item))
        except DomainError as e:
            raise itemised(e, i) if bulk else e from None
    _refuse_repeats(checked, bulk)
    try:
        async with db.write() as conn:
            tpls = await _existing_ids(
                conn, templates, tenant_id,
                {c["template_id"] for c in checked if c.get("template_id")}
            )
            custs = await _existing_ids(
                conn, customers, tenant_id,
                {c["customer_id"] for c in checked if c.get("customer_id")}
            )
            rows = []
            for i, (item, fields) in enumerate(zip(items, checked, strict=True)):
                try:
                    rows.append(_new_pass_row(tenant_id, item, fields, tpls, custs, now))
                except DomainError as e:
                    raise itemised(e, i) if bulk else e from None
            rows, skipped = await _leave_out_existing(conn, tenant_id, rows, skip_existing,
                                                      bulk)
            kept = sum(1 for r in rows if r["state"] != "deleted")
            await _check_pass_quota(db, conn, tenant_id, plan, kept)
            if not rows:
                return [], skipped
            # Every column is set here, so nothing needs reading back: no RETURNING and no
            # result processing for a thousand rows (executemany on the driver).
            await insert_many(conn, passes, rows)
            created = [_as_written(row) for row in rows]
            await events.emit_many(conn, db, tenant_id, "pass.created",
                                   [{"pass_": r} for r in created])
            return created, skipped
    except IntegrityError:
        # Another request took one of the given codes or external ids since we looked.
        raise Conflict("a code or externalId in this request was taken meanwhile; "
                       "send it again") from None


def _column_default(column: Any) -> Any:
    default = column.default
    return default.arg if default is not None and default.is_scalar else None


_WRITE_DEFAULTS = {c.name: _column_default(c) for c in passes.columns}


def _as_written(row: dict[str, Any]) -> Any:
    """A new pass as the database now holds it, built from the values just inserted; shaped
    like a row read back (attribute access, ``_asdict``)."""
    return _PASS_ROW.cls(**{name: row.get(name, default)
                            for name, default in _WRITE_DEFAULTS.items()})


def _refuse_repeats(checked: list[dict[str, Any]], bulk: bool) -> None:
    """Two items of one request with one code (or external id) cannot both be kept."""
    for field, label in (("code", "code"), ("external_id", "externalId")):
        seen: dict[str, int] = {}
        for i, fields in enumerate(checked):
            value = fields.get(field)
            if value is None:
                continue
            if value in seen:
                error = Conflict(f"{label} {value!r} is given twice in this request "
                                 f"(passes[{seen[value]}] and passes[{i}])", field=label)
                raise itemised(error, i) if bulk else error
            seen[value] = i


async def _leave_out_existing(
    conn: AsyncConnection, tenant_id: str, rows: list[dict[str, Any]], skip: bool, bulk: bool
) -> tuple[list[dict[str, Any]], list[Skipped]]:
    """One query for the given codes and external ids the tenant already has: refused (409)
    or, for a re-run import, skipped. Minted codes need no look (80 random bits)."""
    codes = {r["code"] for r in rows if not r["code_minted"]}
    externals = {r["external_id"] for r in rows if r["external_id"] is not None}
    if not codes and not externals:
        return rows, []
    clauses = []
    if codes:
        clauses.append(passes.c.code.in_(codes))
    if externals:
        clauses.append(passes.c.external_id.in_(externals))
    found = (await conn.execute(
        select(passes.c.id, passes.c.code, passes.c.external_id)
        .where(passes.c.tenant_id == tenant_id, or_(*clauses))
    )).all()
    if not found:
        return rows, []
    by_code = {f.code: f.id for f in found}
    by_external = {f.external_id: f.id for f in found if f.external_id is not None}
    kept, skipped = [], []
    for i, row in enumerate(rows):
        code_owner = None if row["code_minted"] else by_code.get(row["code"])
        external_owner = by_external.get(row["external_id"]) if row["external_id"] else None
        owner = code_owner or external_owner
        if owner is None:
            kept.append(row)
        elif skip:
            skipped.append(Skipped(i, None if row["code_minted"] else row["code"],
                                   row["external_id"], owner))
        else:
            label, value = (("code", row["code"]) if code_owner
                            else ("externalId", row["external_id"]))
            error = Conflict(f"{label} {value!r} is already taken by pass {owner}", field=label)
            raise itemised(error, i) if bulk else error
    return kept, skipped


async def _check_pass_quota(
    db: Database, conn: AsyncConnection, tenant_id: str, plan: str, adding: int
) -> None:
    limit = PLANS[plan].max_passes
    if limit is None:
        return
    if not db.is_sqlite:
        # Concurrent creates of one tenant queue here, so the count stays exact.
        await conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(tenant_id))))
    kept = await conn.scalar(_KEPT, {"t": tenant_id}) or 0
    if kept + adding > limit:
        raise PlanLimit(
            f"the {plan} plan keeps at most {limit} passes (deleted ones do not count); "
            f"this tenant has {kept} and the request adds {adding}: delete passes or "
            f"change plan"
        )


# The triggers' per-tenant counters (resolvers/search.py): one row, at any size.
_KEPT = select(pass_counts.c.active + pass_counts.c.suspended + pass_counts.c.unlinked).where(
    pass_counts.c.tenant_id == bindparam("t")
)


async def count_kept_passes(db: Database, tenant_id: str) -> int:
    """Passes that count against the plan: every one not deleted."""
    async with db.read() as conn:
        return int(await conn.scalar(_KEPT, {"t": tenant_id}) or 0)


def itemised(error: DomainError, index: int) -> DomainError:
    field = f"passes[{index}].{error.field}" if error.field else f"passes[{index}]"
    return type(error)(f"passes[{index}]: {error.message}", field=field)


def _new_pass_row(
    tenant_id: str,
    item: dict[str, Any],
    fields: dict[str, Any],
    tpls: dict[str, Any],
    custs: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    template_id, customer_id = fields.get("template_id"), fields.get("customer_id")
    if template_id and template_id not in tpls:
        raise BadInput(f"templateId: no template {template_id!r}", field="templateId")
    if customer_id and customer_id not in custs:
        raise BadInput(f"customerId: no customer {customer_id!r}", field="customerId")
    row: dict[str, Any] = {
        "type": None, "max_usages": None, "valid_from": None, "valid_until": None,
    }
    if template_id:
        defaults = pass_defaults(tpls[template_id], now)
        if fields.get("type") not in (None, defaults["type"]):
            # The template's usage limit belongs to its own type, not to the one asked for.
            defaults["max_usages"] = None
        row.update(defaults)
    if "type" not in fields and "max_usages" in item:
        # PassQR-style input gives max uses without a type: infer it.
        row["type"] = "single" if fields["max_usages"] == 1 else "multi"
    row.update(fields)
    row["type"] = row["type"] or "single"
    _check_consistency(row)
    row.update(
        id=ids.new_id("pass"),
        tenant_id=tenant_id,
        code=fields.get("code") or ids.new_pass_code(),
        code_minted="code" not in fields,
        external_id=fields.get("external_id"),
        usages_count=fields.get("usages_count", 0),
        state=fields.get("state", "active"),
        created_at=now,
        updated_at=now,
        custom_fields=row.get("custom_fields") or [],
        meta=row.get("meta") or {},
        attributes=row.get("attributes") or {},
    )
    for name in ("name", "note", "holder_name", "holder_email", "holder_phone",
                 "customer_id", "template_id", "last_scanned_at"):
        row.setdefault(name, None)
    return row


async def get_pass(
    db: Database, tenant_id: str, *, pass_id: str | None = None, code: str | None = None,
    external_id: str | None = None,
) -> Any:
    stmt = select(passes).where(passes.c.tenant_id == tenant_id)
    if pass_id is not None:
        stmt, what = stmt.where(passes.c.id == pass_id), "id"
    elif code is not None:
        stmt, what = stmt.where(passes.c.code == ids.normalise_code(code)), "code"
    elif external_id is not None:
        stmt, what = stmt.where(passes.c.external_id == external_id), "external id"
    else:
        raise BadInput("give either id, code or externalId")
    async with db.read() as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound(f"no pass with that {what}")
    return row


PATCHES = (("metadata_patch", "meta", "metadataPatch"),
           ("attributes_patch", "attributes", "attributesPatch"))


async def update_pass(db: Database, tenant_id: str, pass_id: str, values: dict[str, Any]) -> Any:
    """Change the fields given. ``metadata_patch`` / ``attributes_patch`` merge into the
    stored objects (RFC 7396) under the row's lock, so concurrent patches all survive."""
    changes = _check_fields(values)
    patches = merge.patches(values, PATCHES)
    async with db.write() as conn:
        # Locked until commit: the checks below and the merges see the row as it is written.
        current = (
            await conn.execute(
                select(passes).where(passes.c.id == pass_id, passes.c.tenant_id == tenant_id)
                .with_for_update()
            )
        ).first()
        if current is None:
            raise NotFound("no pass with that id")
        if current.state == "deleted":
            raise Conflict("a deleted pass cannot be changed")
        for field, table, label in (("template_id", templates, "templateId"),
                                    ("customer_id", customers, "customerId")):
            ref = changes.get(field)
            if ref and not await _existing_ids(conn, table, tenant_id, {ref}):
                raise BadInput(f"{label}: no {table.name[:-1]} {ref!r}", field=label)
        for column, patch in patches.items():
            changes[column] = merge.apply(current._mapping[column], patch,
                                          "metadata" if column == "meta" else column)
        merged = {**current._mapping, **changes}
        if "type" in changes and "max_usages" not in changes and changes["type"] == "multi":
            merged["max_usages"] = current.max_usages
        _check_consistency(merged)
        changes["max_usages"] = merged["max_usages"]
        changes["updated_at"] = utcnow()
        if holder_visible_change(current._mapping, changes):
            changes["wallet_updated_at"] = changes["updated_at"]
        row = (
            await conn.execute(
                update(passes).where(passes.c.id == pass_id).values(**changes).returning(passes)
            )
        ).one()
        await events.emit(conn, db, tenant_id, "pass.updated", pass_=row)
        return row


# Which states each life-cycle action may start from, and where it leads.
TRANSITIONS = {
    "suspend": (("active", "suspended"), "suspended"),
    "resume": (("suspended", "active"), "active"),
    "unlink": (("active", "suspended", "unlinked"), "unlinked"),
    "delete": (STATES, "deleted"),
}
ACTION_EVENTS = {"suspend": "pass.suspended", "resume": "pass.resumed",
                 "unlink": "pass.unlinked", "delete": "pass.deleted"}


async def change_state(db: Database, tenant_id: str, pass_id: str, action: str) -> Any:
    """One conditional UPDATE; when it matches nothing, say whether the pass is missing or
    in a state the action cannot leave."""
    allowed, target = TRANSITIONS[action]
    now = utcnow()
    async with db.write() as conn:
        row = (
            await conn.execute(
                update(passes)
                .where(passes.c.id == pass_id, passes.c.tenant_id == tenant_id,
                       passes.c.state.in_(allowed))
                .values(state=target, updated_at=now, wallet_updated_at=now)
                .returning(passes)
            )
        ).first()
        if row is not None:
            await events.emit(conn, db, tenant_id, ACTION_EVENTS[action], pass_=row)
            return row
        state = await conn.scalar(
            select(passes.c.state).where(passes.c.id == pass_id, passes.c.tenant_id == tenant_id)
        )
    if state is None:
        raise NotFound("no pass with that id")
    raise Conflict(f"cannot {action} a pass that is {state}")


# ---------------------------------------------------------------- listing


def _metadata_clause(db: Database, wanted: dict[str, Any], column: Any = None
                     ) -> ColumnElement[bool]:
    """JSON containment (of ``meta`` unless another JSON column is given): PostgreSQL's
    ``@>``; on SQLite, equality of every leaf."""
    column = passes.c.meta if column is None else column
    if not db.is_sqlite:
        return type_coerce(column, JSONB).contains(wanted)
    clauses: list[ColumnElement[bool]] = []

    def walk(obj: dict[str, Any], path: str) -> None:
        for key, value in obj.items():
            sub = f'{path}."{key.replace(chr(34), "")}"'
            if isinstance(value, dict) and value:
                walk(value, sub)
            elif value is None:
                clauses.append(func.json_type(column, sub) == "null")
            elif isinstance(value, bool):
                clauses.append(func.json_type(column, sub) == ("true" if value else "false"))
            elif isinstance(value, (list, dict)):
                clauses.append(
                    func.json_extract(column, sub)
                    == orjson.dumps(value).decode()
                )
            else:
                kinds = ("text",) if isinstance(value, str) else ("integer", "real")
                clauses.append(func.json_type(column, sub).in_(kinds))
                clauses.append(func.json_extract(column, sub) == value)

    walk(wanted, "$")
    return and_(true(), *clauses)


def _metadata_text_clause(db: Database, path: list[str], text: str, field: str
                          ) -> ColumnElement[bool]:
    """The text value at ``path`` in ``meta`` holds ``text``, in any case (a scan of the
    tenant's passes: no index serves a substring of a JSON value)."""
    if not path or any(not isinstance(k, str) or not k or len(k) > 200 for k in path) or \
            len(path) > 20:
        raise BadInput(f"{field}.path must be 1 to 20 non-empty keys", field=f"{field}.path")
    wanted = checks.text(text, f"{field}.contains", 200, required=True)
    like = "%" + wanted.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
        "_", "\\_") + "%"
    if db.is_sqlite:
        where = "$" + "".join(f'."{k.replace(chr(34), "")}"' for k in path)
        value = func.json_extract(passes.c.meta, where)
        return and_(func.json_type(passes.c.meta, where) == "text",
                    func.lower(value).like(like, escape="\\"))
    value = func.jsonb_extract_path_text(type_coerce(passes.c.meta, JSONB), *path)
    return and_(func.jsonb_typeof(func.jsonb_extract_path(
        type_coerce(passes.c.meta, JSONB), *path)) == "string",
        func.lower(value).like(like, escape="\\"))


async def list_passes(
    db: Database,
    tenant_id: str,
    args: PageArgs,
    *,
    status: str | None = None,
    template_id: str | None = None,
    customer_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    search: str | None = None,
    include_deleted: bool = False,
    attributes: dict[str, Any] | None = None,
    template_kinds: list[str] | None = None,
    installed: bool | None = None,
    metadata_text: list[tuple[list[str], str]] | None = None,
    order: list[pass_order.Order] | None = None,
) -> Page:
    """Deleted passes are listed only when asked for with ``status: DELETED`` (or, with
    every other pass, ``include_deleted``). ``installed``: with (or without) a wallet
    device registration."""
    stmt = _passes_query(tenant_id, status, include_deleted)
    if template_id is not None:
        stmt = stmt.where(passes.c.template_id == template_id)
    if customer_id is not None:
        stmt = stmt.where(passes.c.customer_id == customer_id)
    if metadata:
        stmt = stmt.where(_metadata_clause(db, checks.json_object(metadata, "metadata")))
    if attributes:
        stmt = stmt.where(_metadata_clause(
            db, checks.json_object(attributes, "attributes"), passes.c.attributes))
    if template_kinds is not None:
        stmt = stmt.where(passes.c.template_id.in_(
            select(templates.c.id).where(templates.c.tenant_id == tenant_id,
                                         templates.c.kind.in_(template_kinds))))
    if installed is not None:
        registered = exists().where(wallet_registrations.c.pass_id == passes.c.id)
        stmt = stmt.where(registered if installed else ~registered)
    for i, (path, text) in enumerate(metadata_text or ()):
        stmt = stmt.where(_metadata_text_clause(db, path, text, f"filter.metadataText[{i}]"))
    q = checks.text(search, "search", 200) if search else None
    if q:
        found = search_index.substring_clause(db.is_sqlite, q)
        if found is None:  # too short for the trigram indexes: a scan of the tenant's passes
            like = f"%{q.replace('%', '').replace('_', '')}%"
            found = or_(passes.c.name.ilike(like), passes.c.holder_name.ilike(like),
                        passes.c.holder_email.ilike(like))
        stmt = stmt.where(or_(found, passes.c.code == ids.normalise_code(q)))
    page = await paginate(db, stmt, passes.c.id, args,
                          pass_order.clauses(db, order) if order else None)
    states = (STATES if include_deleted and status is None
              else search_index.counted_states(status))
    if states and not (template_id or customer_id or metadata or q or attributes
                       or template_kinds is not None or installed is not None
                       or metadata_text):
        page.count_stmt = search_index.count_stmt(tenant_id, states)
    return page


def _passes_query(tenant_id: str, status: str | None, include_deleted: bool = False
                  ) -> Select[Any]:
    stmt = select(passes).where(passes.c.tenant_id == tenant_id)
    if status is not None:
        return stmt.where(_status_clause(status, utcnow()))
    return stmt if include_deleted else stmt.where(passes.c.state != "deleted")


PARENTS = {"template": passes.c.template_id, "customer": passes.c.customer_id}


async def list_passes_of(
    db: Database,
    tenant_id: str,
    parent: str,
    parent_ids: Sequence[str],
    args: PageArgs,
    *,
    status: str | None = None,
) -> list[Page]:
    """A page of passes for each template or customer (``parent``), in one statement."""
    return await paginate_children(
        db, _passes_query(tenant_id, status), PARENTS[parent], passes.c.id, parent_ids, args
    )


# ---------------------------------------------------------------- validation (hot path)


@dataclass(slots=True)
class Validation:
    valid: bool
    reason: str | None
    remaining_usages: int | None
    pass_row: Any | None
    scan_row: Any | None


_P = passes.c
# Built once: SQLAlchemy's compiled cache then skips compilation on every call.
_CONSUME = (
    update(passes)
    .where(
        _P.code == bindparam("p_code"),
        _P.tenant_id == bindparam("p_tenant"),
        _P.state == "active",
        or_(_P.max_usages.is_(None), _P.usages_count < _P.max_usages),
        or_(_P.valid_from.is_(None), _P.valid_from <= bindparam("p_now")),
        or_(_P.valid_until.is_(None), _P.valid_until > bindparam("p_now")),
    )
    .values(usages_count=_P.usages_count + 1, updated_at=bindparam("p_now"),
            last_scanned_at=bindparam("p_now"))
    .returning(passes)
)
_BY_CODE = select(passes).where(
    _P.code == bindparam("p_code"), _P.tenant_id == bindparam("p_tenant")
)
_BY_ID = select(passes).where(_P.id == bindparam("p_id"))
_SCAN_BY_CLIENT_ID = select(scans).where(
    scans.c.tenant_id == bindparam("s_tenant"), scans.c.client_scan_id == bindparam("s_client")
)
_INSERT_SCAN = insert(scans).returning(scans)

# PostgreSQL's accepted case in ONE statement: the conditional UPDATE and the scan INSERT as
# data-modifying CTEs, run in autocommit. No BEGIN/COMMIT round trips, and the pass's row
# lock is held for this one statement only. Atomic all the same: if the INSERT fails (a
# repeated client scan id), the statement fails as a whole and the UPDATE is undone with it.
_CONSUMED = _CONSUME.cte("consumed")
_S = scans.c
_ACCEPTED_SCAN_VALUES = {  # the SQL twin of ``_scan_row`` for an accepted scan
    _S.id: bindparam("s_id", type_=_S.id.type),
    _S.tenant_id: _CONSUMED.c.tenant_id,
    _S.pass_id: _CONSUMED.c.id,
    _S.code: bindparam("s_code", type_=_S.code.type),
    _S.result: literal("accepted", _S.result.type),
    _S.reason: null(),
    _S.client_scan_id: bindparam("s_client", type_=_S.client_scan_id.type),
    _S.device_id: bindparam("s_device", type_=_S.device_id.type),
    _S.location: bindparam("s_location", type_=_S.location.type),
    _S.operator_key_id: bindparam("s_key", type_=_S.operator_key_id.type),
    _S.usages_after: _CONSUMED.c.usages_count,
    _S.scanned_at: bindparam("p_now", type_=_S.scanned_at.type),
}
assert set(_ACCEPTED_SCAN_VALUES) == set(_S), "every scan column needs a value"
_RECORDED = (
    insert(scans)
    .from_select(list(_ACCEPTED_SCAN_VALUES), select(*_ACCEPTED_SCAN_VALUES.values()))
    .returning(scans)
    .cte("scan")
)
_CONSUME_AND_RECORD = select(
    *_CONSUMED.c, *_RECORDED.c
).select_from(_CONSUMED.join(_RECORDED, _RECORDED.c.pass_id == _CONSUMED.c.id))
# The same statement writing its outbox event too (resolvers/events.py): a third CTE, so the
# event costs no round trip. PostgreSQL runs every data-modifying CTE, read or not.
_EVENT_VALUES = {
    outbox.c.id: bindparam("e_id", type_=outbox.c.id.type),
    outbox.c.tenant_id: _CONSUMED.c.tenant_id,
    outbox.c.type: literal("pass.scanned", outbox.c.type.type),
    outbox.c.ordering_key: _CONSUMED.c.id,
    outbox.c.data: func.jsonb_build_object("scan", func.to_jsonb(literal_column("scan")),
                                           "pass", func.to_jsonb(literal_column("consumed"))),
    outbox.c.occurred_at: bindparam("p_now", type_=outbox.c.occurred_at.type),
}
_CONSUME_RECORD_EMIT = _CONSUME_AND_RECORD.add_cte(
    insert(outbox)
    .from_select(list(_EVENT_VALUES), select(*_EVENT_VALUES.values()).select_from(
        _CONSUMED.join(_RECORDED, _RECORDED.c.pass_id == _CONSUMED.c.id)))
    .cte("event")
)
_N_PASS_COLUMNS = len(passes.c)


def _reject_reason(row: Any | None, now: datetime) -> str | None:
    if row is None:
        return "not_found"
    status = derive_status(row, now)
    return None if status == "active" else status


async def validate_pass(
    db: Database,
    tenant_id: str,
    code: str,
    *,
    key_id: str | None = None,
    scan_id: str | None = None,
    device_id: str | None = None,
    location: str | None = None,
    dry_run: bool = False,
) -> Validation:
    """Consume one use if the pass can be used now, recording the scan in the same
    transaction. A repeated ``scan_id`` replays the first answer and consumes nothing."""
    raw_code = checks.text(code, "code", 200, required=True)
    assert raw_code is not None
    code_n = ids.normalise_code(raw_code)
    scan_id = checks.text(scan_id, "scanId", 200)
    device_id = checks.text(device_id, "deviceId", 200)
    location = checks.text(location, "location", 200)
    now = utcnow()
    params = {"p_code": code_n, "p_tenant": tenant_id, "p_now": now}

    if dry_run:
        async with _single_statements(db) as conn:
            row = (await conn.execute(_BY_CODE, params)).first()
        reason = _reject_reason(row, now)
        return Validation(reason is None, reason, remaining_usages(row) if row else None, row, None)

    if scan_id is not None:
        replay = await _replay(db, tenant_id, scan_id)
        if replay is not None:
            return replay
    scan_values = {
        "id": ids.new_id("scan"),
        "tenant_id": tenant_id,
        "code": raw_code,
        "client_scan_id": scan_id,
        "device_id": device_id,
        "location": location,
        "operator_key_id": key_id,
        "scanned_at": now,
    }
    try:
        if db.is_sqlite:
            row, reason, scan = await db.sqlite_transaction(
                partial(_consume_sqlite, params, scan_values, db.outbox)
            )
        else:
            row, reason, scan = await _consume_postgresql(db, params, scan_values)
    except (IntegrityError, sqlite3.IntegrityError):
        # Another request recorded this scan id first; its transaction won, ours rolled back.
        if scan_id is None:
            raise
        replay = await _replay(db, tenant_id, scan_id)
        if replay is None:
            raise
        return replay
    return Validation(reason is None, reason, remaining_usages(row) if row else None, row, scan)


def _scan_row(scan_values: dict[str, Any], row: Any, reason: str | None) -> dict[str, Any]:
    return {
        **scan_values,
        "pass_id": row.id if row is not None else None,
        "result": "rejected" if reason else "accepted",
        "reason": reason,
        "usages_after": row.usages_count if row is not None else None,
    }


@asynccontextmanager
async def _single_statements(db: Database) -> AsyncIterator[AsyncConnection]:
    """A connection for work that is one statement, or independent ones: in autocommit on
    PostgreSQL, which spares the BEGIN and COMMIT/ROLLBACK round trips around each. SQLite
    keeps ``db.read()``: its connections take their BEGIN from ``Database`` instead."""
    if db.is_sqlite:
        async with db.read() as conn:
            yield conn
        return
    async with db.engine.connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")


async def _consume_postgresql(
    db: Database, params: dict[str, Any], scan_values: dict[str, Any]
) -> tuple[Any, str | None, Any]:
    """The accepted case in one round trip: ``_CONSUME_AND_RECORD`` in autocommit. Only when
    it consumed nothing does a transaction (``_consume``) name the reason and record it.

    The rows are the namedtuples of the SQLite path; SQLAlchemy has already converted the
    values (aware datetimes, parsed JSON)."""
    values = {
        **params,
        "s_id": scan_values["id"],
        "s_code": scan_values["code"],
        "s_client": scan_values["client_scan_id"],
        "s_device": scan_values["device_id"],
        "s_location": scan_values["location"],
        "s_key": scan_values["operator_key_id"],
    }
    emit = db.outbox
    if emit:
        values["e_id"] = ids.new_id("event")
    sql, names, defaults = _pg_statement(db, emit)
    hit = await db.pg_fetchrow(sql, [values[n] if n in values else defaults[n] for n in names])
    if hit is None:
        return await _consume(db, params, scan_values)
    hit = tuple(hit)
    row = _PASS_ROW.cls._make(hit[:_N_PASS_COLUMNS])
    return row, None, _SCAN_ROW.cls._make(hit[_N_PASS_COLUMNS:])


_PG_STATEMENTS: dict[bool, tuple[str, list[str], dict[str, Any]]] = {}


def _pg_statement(db: Database, emit: bool) -> tuple[str, list[str], dict[str, Any]]:
    """The accepted case's statement compiled once for the driver: its SQL, the order of its
    parameters and their fixed values (``literal``s). Sent with the driver itself, it skips
    SQLAlchemy's per-execution work (about half a millisecond of CPU per scan)."""
    found = _PG_STATEMENTS.get(emit)
    if found is None:
        compiled = (_CONSUME_RECORD_EMIT if emit else _CONSUME_AND_RECORD).compile(
            dialect=db.engine.dialect)
        found = _PG_STATEMENTS[emit] = (compiled.string, list(compiled.positiontup or ()),
                                        dict(compiled.params))
    return found


async def _consume(
    db: Database, params: dict[str, Any], scan_values: dict[str, Any]
) -> tuple[Any, str | None, Any]:
    """Conditional UPDATE … RETURNING, then the scan, in one transaction: on PostgreSQL the
    path of rejections. The UPDATE is tried again, since the pass may have become usable
    after ``_CONSUME_AND_RECORD`` missed (resumed, limit raised): an UPDATE always decides."""
    async with db.write() as conn:
        row = (await conn.execute(_CONSUME, params)).first()
        reason = None
        if row is None:
            row = (await conn.execute(_BY_CODE, params)).first()
            reason = _reject_reason(row, params["p_now"]) or "used_up"
        scan = (await conn.execute(_INSERT_SCAN, _scan_row(scan_values, row, reason))).one()
        await events.emit(conn, db, params["p_tenant"], "pass.scanned", scan=scan, pass_=row)
    return row, reason, scan


_PASS_ROW = RowReader(passes)
_SCAN_ROW = RowReader(scans)
_SQLITE_CONSUME = (
    "UPDATE passes SET usages_count = usages_count + 1, updated_at = :now, last_scanned_at = :now"
    " WHERE code = :code AND tenant_id = :tenant AND state = 'active'"
    " AND (max_usages IS NULL OR usages_count < max_usages)"
    " AND (valid_from IS NULL OR valid_from <= :now)"
    " AND (valid_until IS NULL OR valid_until > :now)"
    f" RETURNING {_PASS_ROW.star}"
)
_SQLITE_BY_CODE = f"SELECT {_PASS_ROW.star} FROM passes WHERE code = :code AND tenant_id = :tenant"
_SQLITE_INSERT_SCAN = (
    f"INSERT INTO scans ({_SCAN_ROW.star}) VALUES ({', '.join(':' + c for c in _SCAN_ROW.columns)})"
    f" RETURNING {_SCAN_ROW.star}"
)


def _consume_sqlite(
    params: dict[str, Any], scan_values: dict[str, Any], outbox_on: bool, c: sqlite3.Connection
) -> tuple[Any, str | None, Any]:
    """The same transaction as ``_consume`` with the sqlite3 driver, run in its thread."""
    now = params["p_now"]
    args = {"code": params["p_code"], "tenant": params["p_tenant"], "now": to_sqlite(now)}
    row = _PASS_ROW(c.execute(_SQLITE_CONSUME, args).fetchone())
    reason = None
    if row is None:
        row = _PASS_ROW(c.execute(_SQLITE_BY_CODE, args).fetchone())
        reason = _reject_reason(row, now) or "used_up"
    values = _scan_row(scan_values, row, reason)
    values["scanned_at"] = to_sqlite(values["scanned_at"])
    scan = _SCAN_ROW(c.execute(_SQLITE_INSERT_SCAN, values).fetchone())
    if outbox_on:
        events.emit_sqlite(c, params["p_tenant"], "pass.scanned", scan=scan, pass_=row)
    return row, reason, scan


async def _replay(db: Database, tenant_id: str, scan_id: str) -> Validation | None:
    async with _single_statements(db) as conn:
        scan = (
            await conn.execute(_SCAN_BY_CLIENT_ID, {"s_tenant": tenant_id, "s_client": scan_id})
        ).first()
        if scan is None:
            return None
        row = None
        if scan.pass_id is not None:
            row = (await conn.execute(_BY_ID, {"p_id": scan.pass_id})).first()
    remaining = None
    if row is not None and row.max_usages is not None and scan.usages_after is not None:
        remaining = max(0, row.max_usages - scan.usages_after)
    return Validation(scan.result == "accepted", scan.reason, remaining, row, scan)
