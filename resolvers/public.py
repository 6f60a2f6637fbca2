"""What a pass holder may see on the public page: no note, no private fields, no ids."""

from typing import Any

from sqlalchemy import select

from . import ids
from .db import Database
from .models import passes, templates
from .passes import derive_status
from .timeutil import utcnow


async def public_pass(db: Database, secret: bytes, code: str, token: str) -> dict[str, Any] | None:
    """The public view of a pass, or None when the code is unknown or the token is wrong
    (the two are indistinguishable to the caller). Codes are unique per tenant, so several
    tenants may hold one code: the token (tenant-bound for a code the client gave) picks."""
    code = ids.normalise_code(code)
    if not token:
        return None
    stmt = (
        select(passes, templates.c.name.label("template_name"),
               templates.c.background_color, templates.c.foreground_color,
               templates.c.barcode_format)
        .outerjoin(templates, templates.c.id == passes.c.template_id)
        .where(passes.c.code == code)
        .limit(50)
    )
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).all()
    row = next((r for r in rows if ids.check_public_token(secret, code, token, None
                                                          if r.code_minted else r.tenant_id)),
               None)
    if row is None or row.state == "deleted":
        return None
    return {
        "code": row.code,
        "name": row.name or row.template_name or "Pass",
        "holder_name": row.holder_name,
        "status": derive_status(row, utcnow()),
        "valid_from": row.valid_from,
        "valid_until": row.valid_until,
        "remaining_usages": None if row.max_usages is None
        else max(0, row.max_usages - row.usages_count),
        "fields": [(f["key"], f["value"]) for f in row.custom_fields if f["isPublic"]],
        "background_color": row.background_color or "#1f2937",
        "foreground_color": row.foreground_color or "#ffffff",
    }


async def pass_id_by_token(db: Database, secret: bytes, code: str, token: str, *,
                           minted_without_token: bool = False) -> str | None:
    """The id of the pass a public URL (``/p/{code}…?token=``) names, or None. Codes are
    unique per tenant, so the token (tenant-bound for a code the client gave) picks.

    ``minted_without_token``: with no token at all, a code passgate minted (80 random bits,
    as unguessable as a token) is enough on its own, so a client that builds ``/p/{code}``
    itself (PassQR's do) reaches the page; a code the client gave (short, guessable, or
    shared by several tenants) still needs its token. A wrong token is never forgiven."""
    code = ids.normalise_code(code)
    if not token and not minted_without_token:
        return None
    stmt = (select(passes.c.id, passes.c.tenant_id, passes.c.code_minted)
            .where(passes.c.code == code).limit(50))
    async with db.read() as conn:
        rows = (await conn.execute(stmt)).all()
    if not token:
        minted = [r.id for r in rows if r.code_minted]
        return minted[0] if len(minted) == 1 else None
    return next((r.id for r in rows if ids.check_public_token(
        secret, code, token, None if r.code_minted else r.tenant_id)), None)
