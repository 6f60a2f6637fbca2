"""Templates: how a pass looks and the defaults a new pass takes."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, insert, select, update

from . import checks, events, ids, merge
from .db import Database
from .errors import BadInput, Conflict
from .loaders import fetch_owned
from .models import passes, template_images, templates
from .pagination import Page, PageArgs, paginate
from .timeutil import utcnow
from .wallet import strings
from .wallet.passkit import template_visible_change

KINDS = ("generic", "event_ticket", "membership", "coupon", "boarding_pass", "access_badge",
         "hotel_key")
BARCODE_FORMATS = ("qr", "pdf417", "aztec", "code128")
PASS_TYPES = ("single", "multi")


def _check(values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Check the given fields; on create also fill defaults."""
    out: dict[str, Any] = {}
    if creating or "name" in values:
        out["name"] = checks.text(values.get("name"), "name", 200, required=True)
    if creating or "kind" in values:
        out["kind"] = checks.choice(values.get("kind") or "generic", "kind", KINDS)
    if "kind_label" in values:
        out["kind_label"] = checks.text(values["kind_label"], "kindLabel", 40)
    elif "kind" in values and not creating:
        out["kind_label"] = None  # a new kind without a word of its own is named by the kind
    if creating or "barcode_format" in values:
        out["barcode_format"] = checks.choice(
            values.get("barcode_format") or "qr", "barcodeFormat", BARCODE_FORMATS
        )
    if creating or "default_type" in values:
        out["default_type"] = checks.choice(
            values.get("default_type") or "single", "defaultType", PASS_TYPES
        )
    if "description" in values:
        out["description"] = checks.text(values["description"], "description", 2000)
    for field, label in (("background_color", "backgroundColor"),
                         ("foreground_color", "foregroundColor"),
                         ("label_color", "labelColor")):
        if field in values:
            out[field] = checks.color(values[field], label)
    for field, label in (("logo_url", "logoUrl"), ("icon_url", "iconUrl")):
        if field in values:
            out[field] = checks.url(values[field], label)
    if creating or "field_layout" in values:
        out["field_layout"] = checks.json_layout(values.get("field_layout"), "fieldLayout")
    if "default_max_usages" in values:
        out["default_max_usages"] = checks.positive_int(
            values["default_max_usages"], "defaultMaxUsages"
        )
    if "default_valid_days" in values:
        out["default_valid_days"] = checks.positive_int(
            values["default_valid_days"], "defaultValidDays", maximum=36_500
        )
    for field, label in (("default_valid_from", "defaultValidFrom"),
                         ("default_valid_until", "defaultValidUntil")):
        if field in values:
            out[field] = checks.moment(values[field], label)
    for field, label, size in (("apple_pass_type_id", "applePassTypeId", 200),
                               ("apple_team_id", "appleTeamId", 20),
                               ("google_issuer_id", "googleIssuerId", 40)):
        if field in values:
            out[field] = checks.text(values[field], label, size)
    if "localizations" in values:
        out["localizations"] = strings.check(values["localizations"])
    if "settings" in values:
        settings = values["settings"]
        out["settings"] = None if settings is None else checks.json_object(settings, "settings")
    return out


def _check_defaults(row: dict[str, Any]) -> None:
    if row.get("default_type") == "single" and (row.get("default_max_usages") or 1) > 1:
        raise BadInput("defaultMaxUsages must be 1 (or empty) when defaultType is SINGLE",
                       field="defaultMaxUsages")
    start, end = row.get("default_valid_from"), row.get("default_valid_until")
    if start and end and end <= start:
        raise BadInput("defaultValidUntil must be later than defaultValidFrom",
                       field="defaultValidUntil")


async def create_template(db: Database, tenant_id: str, values: dict[str, Any]) -> Any:
    row = _check(values, creating=True)
    _check_defaults(row)
    now = utcnow()
    row.update(id=ids.new_id("template"), tenant_id=tenant_id, created_at=now, updated_at=now)
    async with db.write() as conn:
        made = (await conn.execute(insert(templates).values(**row).returning(templates))).one()
        await events.emit(conn, db, tenant_id, "template.created", template=made)
        return made


async def get_template(db: Database, tenant_id: str, template_id: str) -> Any:
    async with db.read() as conn:
        return await fetch_owned(conn, "template", tenant_id, template_id)


async def update_template(
    db: Database, tenant_id: str, template_id: str, values: dict[str, Any]
) -> Any:
    """``settings_patch`` merges into the stored settings (RFC 7396) under the row's lock."""
    changes = _check(values, creating=False)
    patches = merge.patches(values, (("settings_patch", "settings", "settingsPatch"),))
    async with db.write() as conn:
        current = await fetch_owned(conn, "template", tenant_id, template_id, for_update=True)
        if "settings" in patches:
            changes["settings"] = merge.apply(current.settings, patches["settings"], "settings")
        _check_defaults({**current._mapping, **changes})
        changes["updated_at"] = utcnow()
        if template_visible_change(current._mapping, changes):  # a new version of its passes
            await _new_pass_versions(conn, template_id, changes["updated_at"])
        row = (
            await conn.execute(
                update(templates)
                .where(templates.c.id == template_id)
                .values(**changes)
                .returning(templates)
            )
        ).one()
        await events.emit(conn, db, tenant_id, "template.updated", template=row)
        return row


async def _new_pass_versions(conn: Any, template_id: str, version: datetime) -> None:
    """The template's passes look different from ``version`` on (their wallet tag)."""
    await conn.execute(update(passes).where(passes.c.template_id == template_id)
                       .values(wallet_updated_at=version))


async def new_wallet_version(conn: Any, db: Database, tenant_id: str, template_id: str) -> Any:
    """Within a write that changed what the template's passes show outside its own row (its
    images): a new version of the template and its passes, and a ``template.updated``
    event. The caller holds the template's row lock."""
    now = utcnow()
    await _new_pass_versions(conn, template_id, now)
    row = (await conn.execute(update(templates).where(templates.c.id == template_id)
                              .values(updated_at=now).returning(templates))).one()
    await events.emit(conn, db, tenant_id, "template.updated", template=row)
    return row


async def delete_template(db: Database, tenant_id: str, template_id: str) -> Any:
    """Refuse while any pass (deleted ones included) still points at the template."""
    async with db.write() as conn:
        current = await fetch_owned(conn, "template", tenant_id, template_id)
        in_use = await conn.scalar(select(exists().where(passes.c.template_id == template_id)))
        if in_use:
            raise Conflict("template is used by passes; move or delete them first")
        await conn.execute(delete(template_images)
                           .where(template_images.c.template_id == template_id))
        await conn.execute(delete(templates).where(templates.c.id == template_id))
        await events.emit(conn, db, tenant_id, "template.deleted", template=current)
        return current


async def publish_template(db: Database, tenant_id: str, template_id: str) -> Any:
    """Stamp ``published_at``; publishing again moves the stamp (AccessGrid's re-publish)."""
    async with db.write() as conn:
        await fetch_owned(conn, "template", tenant_id, template_id)
        now = utcnow()
        row = (
            await conn.execute(
                update(templates)
                .where(templates.c.id == template_id)
                .values(published_at=now, updated_at=now)
                .returning(templates)
            )
        ).one()
        await events.emit(conn, db, tenant_id, "template.published", template=row)
        return row


def pass_defaults(template: Any, now: datetime) -> dict[str, Any]:
    """The values a new pass takes from its template when its input leaves them out."""
    valid_until = template.default_valid_until
    if valid_until is None and template.default_valid_days:
        valid_until = now + timedelta(days=template.default_valid_days)
    return {
        "type": template.default_type,
        "max_usages": template.default_max_usages,
        "valid_from": template.default_valid_from,
        "valid_until": valid_until,
    }


async def list_templates(db: Database, tenant_id: str, args: PageArgs, *,
                         name: str | None = None) -> Page:
    """``name``: an exact, case-sensitive match (names are not unique: newest first)."""
    stmt = select(templates).where(templates.c.tenant_id == tenant_id)
    if name is not None:
        stmt = stmt.where(templates.c.name == name)
    return await paginate(db, stmt, templates.c.id, args)
