"""Rate-limit overrides: plan defaults, then the tenant's, then the key's."""

from typing import Any

from sqlalchemy import select, update

from . import checks
from .db import Database
from .errors import BadInput, NotFound
from .models import api_keys, tenants
from .plans import CLASSES, PLANS

# PassEngine documents 30 requests a minute per key on its pass and scan routes (seed 000);
# its keys start there, below any plan, and overrides still apply.
DIALECT_DEFAULTS: dict[str, dict[str, int]] = {
    "passengine": {"read": 30, "write": 30, "validate": 30},
}


def effective_limits(
    plan: str, tenant_overrides: dict[str, int] | None, key_overrides: dict[str, int] | None,
    *, dialect: str = "native",
) -> dict[str, int]:
    return {**PLANS[plan].per_minute, **DIALECT_DEFAULTS.get(dialect, {}),
            **(tenant_overrides or {}), **(key_overrides or {})}


def _merge(current: dict[str, int] | None, changes: dict[str, int | None]) -> dict[str, int]:
    """Apply ``changes`` (None clears a class back to the default) to stored overrides."""
    out = dict(current or {})
    for kind, value in changes.items():
        if kind not in CLASSES:
            raise BadInput(f"unknown endpoint class {kind!r}; classes: "
                                  f"{', '.join(CLASSES)}", field=kind)
        if value is None:
            out.pop(kind, None)
        else:
            out[kind] = checks.positive_int(value, kind, maximum=10_000_000)
    return out


async def update_limits(
    db: Database, tenant_id: str, changes: dict[str, int | None], *, key_id: str | None = None
) -> dict[str, Any]:
    """Change the tenant's overrides, or one of its keys' when ``key_id`` is given.

    Returns ``{"overrides", "effective"}``. Running processes pick the change up within a
    second (their key cache lives that long).
    """
    async with db.write() as conn:
        # Locked: the overrides are merged into what is stored, so concurrent changes of
        # different classes must queue (SQLite's write transaction already does).
        tenant = (await conn.execute(select(tenants).where(tenants.c.id == tenant_id)
                                     .with_for_update())).first()
        if tenant is None:
            raise NotFound("no tenant with that id")
        key_overrides, dialect = None, "native"
        if key_id is None:
            overrides = _merge(tenant.rate_limits, changes)
            await conn.execute(update(tenants).where(tenants.c.id == tenant_id)
                               .values(rate_limits=overrides or None))
            tenant_overrides = overrides
        else:
            key = (await conn.execute(select(api_keys).where(
                api_keys.c.id == key_id, api_keys.c.tenant_id == tenant_id)
                .with_for_update())).first()
            if key is None:
                raise NotFound("no API key with that id")
            overrides = _merge(key.rate_limits, changes)
            await conn.execute(update(api_keys).where(api_keys.c.id == key_id)
                               .values(rate_limits=overrides or None))
            tenant_overrides, key_overrides = tenant.rate_limits, overrides
            dialect = key.dialect
    return {"overrides": overrides,
            "effective": effective_limits(tenant.plan, tenant_overrides, key_overrides,
                                          dialect=dialect)}
