"""Customers: profiles that own passes, matched by external id or email."""

from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import checks, events, ids
from .db import Database
from .errors import BadInput, Conflict, NotFound
from .loaders import fetch_owned
from .models import customers, passes
from .pagination import Page, PageArgs, paginate
from .timeutil import utcnow


def _check(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "external_id" in values:
        out["external_id"] = checks.text(values["external_id"], "externalId", 200)
    if "email" in values:
        out["email"] = checks.email(values["email"], "email")
    if "name" in values:
        out["name"] = checks.text(values["name"], "name", 200)
    if "phone" in values:
        out["phone"] = checks.text(values["phone"], "phone", 40)
    if "attributes" in values:
        out["attributes"] = checks.json_object(values["attributes"], "attributes")
    return out


async def upsert_customer(db: Database, tenant_id: str, values: dict[str, Any]) -> tuple[Any, bool]:
    """Create or update the customer matched by ``externalId`` (else ``email``).

    Returns the row and whether it was created.
    """
    fields = _check(values)
    external_id, email = fields.get("external_id"), fields.get("email")
    if not external_id and not email:
        raise BadInput("give externalId or email to match the customer", field="externalId")
    match = (customers.c.external_id == external_id) if external_id else (
        customers.c.email == email
    )
    for _attempt in range(2):
        try:
            async with db.write() as conn:
                current = (
                    await conn.execute(
                        select(customers).where(customers.c.tenant_id == tenant_id, match)
                    )
                ).first()
                now = utcnow()
                if current is None:
                    row = {"external_id": None, "email": None, "name": None, "phone": None,
                           "attributes": {}, **fields, "id": ids.new_id("customer"),
                           "tenant_id": tenant_id, "created_at": now, "updated_at": now}
                    created = (await conn.execute(insert(customers).values(**row)
                                                  .returning(customers))).one()
                    await events.emit(conn, db, tenant_id, "customer.created", customer=created)
                    return created, True
                updated = await conn.execute(
                    update(customers).where(customers.c.id == current.id)
                    .values(**fields, updated_at=now).returning(customers)
                )
                changed = updated.one()
                await events.emit(conn, db, tenant_id, "customer.updated", customer=changed)
                return changed, False
        except IntegrityError:
            # A concurrent upsert created it first, or the other identifier is taken:
            # retry once as an update, then report the clash.
            continue
    raise Conflict("another customer already has that externalId or email")


async def update_customer(
    db: Database, tenant_id: str, customer_id: str, values: dict[str, Any]
) -> Any:
    fields = _check(values)
    try:
        async with db.write() as conn:
            row = (
                await conn.execute(
                    update(customers)
                    .where(customers.c.id == customer_id, customers.c.tenant_id == tenant_id)
                    .values(**fields, updated_at=utcnow())
                    .returning(customers)
                )
            ).first()
            if row is not None:
                await events.emit(conn, db, tenant_id, "customer.updated", customer=row)
    except IntegrityError:
        raise Conflict("another customer already has that externalId or email") from None
    if row is None:
        raise NotFound("no customer with that id")
    return row


async def delete_customer(db: Database, tenant_id: str, customer_id: str) -> Any:
    """Delete the profile; its passes stay and lose their customer link."""
    async with db.write() as conn:
        current = await fetch_owned(conn, "customer", tenant_id, customer_id)
        await conn.execute(
            update(passes).where(passes.c.customer_id == customer_id).values(customer_id=None)
        )
        await conn.execute(delete(customers).where(customers.c.id == customer_id))
        await events.emit(conn, db, tenant_id, "customer.deleted", customer=current)
        return current


async def find_customer(
    db: Database,
    tenant_id: str,
    *,
    customer_id: str | None = None,
    external_id: str | None = None,
    email: str | None = None,
) -> Any:
    stmt = select(customers).where(customers.c.tenant_id == tenant_id)
    if customer_id is not None:
        stmt = stmt.where(customers.c.id == customer_id)
    elif external_id is not None:
        stmt = stmt.where(customers.c.external_id == external_id)
    elif email is not None:
        stmt = stmt.where(customers.c.email == email.strip().lower())
    else:
        raise BadInput("give id, externalId or email")
    async with db.read() as conn:
        row = (await conn.execute(stmt)).first()
    if row is None:
        raise NotFound("no such customer")
    return row


async def list_customers(
    db: Database, tenant_id: str, args: PageArgs, *, search: str | None = None
) -> Page:
    stmt = select(customers).where(customers.c.tenant_id == tenant_id)
    q = checks.text(search, "search", 200)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(customers.c.name.ilike(like), customers.c.email.ilike(like),
                              customers.c.external_id == q))
    return await paginate(db, stmt, customers.c.id, args)
