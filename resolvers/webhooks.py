"""Webhooks: the endpoints a tenant registers for events, and a signed test delivery.

Deliveries of real events come with the durable outbox; this module stores registrations.
The signing secret is returned once, at creation, and kept sealed (``secretbox``) because the
server must sign with it later; nobody can read it back through the API.
"""

import base64
import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from . import checks, ids, outbound, secretbox
from .db import Database
from .delivery import TIMEOUT_SECONDS, post_signed, standard_webhook_headers
from .errors import BadInput, Conflict, NotFound, PlanLimit
from .events import emit
from .loaders import fetch_owned
from .models import webhooks
from .pagination import Page, PageArgs, paginate
from .plans import PLANS
from .timeutil import utcnow

AUTH_METHODS = ("bearer_token", "mtls", "none")
SECRET_PURPOSE = "webhook"
VERIFY_EVENT = "Webhook:Verify"
VERIFY_TYPE = "webhook.verify"  # its Standard Webhooks (native) name
MAX_URL_LEN = 2000
MAX_EVENTS = 50
MAX_EVENT_LEN = 100

# ``Category:Action`` (Wallet Crew): ``Pass:Created``, ``Pass:*``, or ``*`` for everything;
# or dotted lower-case (AccessGrid, Wallet Crew's reference page): ``ag.card.issued``,
# ``pass.created``, ``pass.*``.
_EVENT = re.compile(
    r"^(?:\*"
    r"|[A-Z][A-Za-z0-9]*:(?:\*|[A-Z][A-Za-z0-9]*)"
    r"|[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*\.(?:\*|[a-z][a-z0-9_]*))$"
)
EVENT_HELP = ("use Category:Action (Pass:Created, Pass:*, *) or dotted lower-case "
              "(pass.created, ag.card.issued)")


# ---------------------------------------------------------------- input checks


def check_url(value: Any, *, allow_private: bool = False) -> str:
    """An absolute https URL that the SSRF guard accepts (``resolvers/outbound.py``); plain
    http only where the operator allows private receivers (a developer's own machine)."""
    url = checks.text(value, "url", MAX_URL_LEN, required=True)
    assert url is not None
    outbound.check_url(url, allow_private=allow_private)
    if urlsplit(url).scheme == "http" and not allow_private:
        raise BadInput("url must use https (plain http only for local receivers, with "
                       "PASSGATE_WEBHOOK_ALLOW_PRIVATE=true)", field="url")
    return url


def check_events(value: Any) -> list[str]:
    """Event names, duplicates dropped in order; names are case-sensitive (Pass:Created)."""
    if not isinstance(value, list) or not value:
        raise BadInput("events must list at least one event", field="events")
    if len(value) > MAX_EVENTS:
        raise BadInput(f"events lists more than {MAX_EVENTS} events", field="events")
    out: list[str] = []
    for i, item in enumerate(value):
        name = item.strip() if isinstance(item, str) else None
        if not name or len(name) > MAX_EVENT_LEN or not _EVENT.match(name):
            raise BadInput(f"events[{i}] {item!r} is not an event name: {EVENT_HELP}",
                           field="events")
        if name not in out:
            out.append(name)
    return out


async def _check(values: dict[str, Any], allow_private: bool) -> dict[str, Any]:
    """Check the fields present in ``values``; return them in column form. A URL is checked
    after DNS too: a name that resolves to a private address is refused here, not at send."""
    out: dict[str, Any] = {}
    if "url" in values:
        out["url"] = check_url(values["url"], allow_private=allow_private)
        await outbound.check_destination(out["url"], allow_private=allow_private)
    if "events" in values:
        out["events"] = check_events(values["events"])
    if "name" in values:
        out["name"] = checks.text(values["name"], "name", 200)
    if "description" in values:
        out["description"] = checks.text(values["description"], "description", 2000)
    if "enabled" in values:
        if not isinstance(values["enabled"], bool):
            raise BadInput("enabled must be true or false", field="enabled")
        out["enabled"] = values["enabled"]
    if "auth_method" in values:
        out["auth_method"] = checks.choice(values["auth_method"], "authMethod", AUTH_METHODS)
    return out


# ---------------------------------------------------------------- quota


async def _check_webhook_quota(
    db: Database, conn: AsyncConnection, tenant_id: str, plan: str
) -> None:
    limit = PLANS[plan].max_webhooks
    if limit is None:
        return
    if limit == 0:
        raise PlanLimit(f"webhooks: the {plan} plan allows 0 webhooks; webhooks require the "
                        f"starter plan or above")
    if not db.is_sqlite:
        # As for passes (resolvers/passes.py): concurrent creates of one tenant queue here, so
        # the count stays exact. Own key, so webhook and pass creates do not wait on each other.
        await conn.execute(
            select(func.pg_advisory_xact_lock(func.hashtext("webhooks:" + tenant_id)))
        )
    count = await conn.scalar(
        select(func.count()).select_from(webhooks).where(webhooks.c.tenant_id == tenant_id)
    )
    if count >= limit:
        raise PlanLimit(f"webhooks: the {plan} plan allows {limit} webhooks; this tenant has "
                        f"{count}: delete one or change plan")


# ---------------------------------------------------------------- create / read / update


def new_secret(dialect: str = "walletcrew") -> str:
    """A Standard Webhooks ``whsec_`` secret (base64 of 32 random bytes) for native
    subscriptions; otherwise 64 hex characters (256 bits), Wallet Crew's signatureSecret."""
    if dialect in NATIVE_WIRE:
        return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    return secrets.token_hex(32)


# Dialects whose deliveries take the native (Standard Webhooks) shape.
NATIVE_WIRE = ("native", "passengine")


async def create_webhook(
    db: Database,
    tenant_id: str,
    plan: str,
    server_secret: bytes,
    *,
    url: str,
    events: list[str],
    name: str | None = None,
    description: str | None = None,
    enabled: bool = True,
    auth_method: str = "bearer_token",
    dialect: str = "native",
    allow_private: bool = False,
) -> tuple[Any, str]:
    """The new row and its signing secret in plain text: the only time it is shown.
    ``dialect`` (the creating key's) decides the wire format of its deliveries."""
    row = await _check({"url": url, "events": events, "name": name,
                        "description": description, "enabled": enabled,
                        "auth_method": auth_method}, allow_private)
    secret = new_secret(dialect)
    now = utcnow()
    row.update(id=ids.new_id("webhook"), tenant_id=tenant_id, created_at=now, updated_at=now,
               dialect=dialect,
               secret_ciphertext=secretbox.seal(server_secret, SECRET_PURPOSE, secret))
    async with db.write() as conn:
        await _check_webhook_quota(db, conn, tenant_id, plan)
        created = (await conn.execute(insert(webhooks).values(**row).returning(webhooks))).one()
        await emit(conn, db, tenant_id, "webhook.created", webhook=created)
    return created, secret


async def get_webhook(db: Database, tenant_id: str, webhook_id: str) -> Any:
    async with db.read() as conn:
        return await fetch_owned(conn, "webhook", tenant_id, webhook_id)


async def list_webhooks(db: Database, tenant_id: str, args: PageArgs) -> Page:
    stmt = select(webhooks).where(webhooks.c.tenant_id == tenant_id)
    return await paginate(db, stmt, webhooks.c.id, args)


UPDATABLE = ("url", "events", "name", "description", "enabled")


async def update_webhook(
    db: Database, tenant_id: str, webhook_id: str, values: dict[str, Any],
    *, allow_private: bool = False,
) -> Any:
    """Change the fields given (of ``UPDATABLE``); ``None`` clears name and description."""
    unknown = set(values) - set(UPDATABLE)
    if unknown:
        raise BadInput(f"cannot update {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    changes = await _check(values, allow_private)
    if changes.get("enabled"):
        changes.update(disabled_reason=None, failing_since=None)  # enabled again by hand
    async with db.write() as conn:
        await fetch_owned(conn, "webhook", tenant_id, webhook_id)
        changes["updated_at"] = utcnow()
        row = (
            await conn.execute(
                update(webhooks)
                .where(webhooks.c.id == webhook_id, webhooks.c.tenant_id == tenant_id)
                .values(**changes)
                .returning(webhooks)
            )
        ).one()
        await emit(conn, db, tenant_id, "webhook.updated", webhook=row)
        return row


async def delete_webhook(db: Database, tenant_id: str, webhook_id: str) -> Any:
    """Hard delete: a registration has no history worth keeping (deliveries will have it)."""
    async with db.write() as conn:
        current = await fetch_owned(conn, "webhook", tenant_id, webhook_id)
        await conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))
        await emit(conn, db, tenant_id, "webhook.deleted", webhook=current)
        return current


# ---------------------------------------------------------------- verify


def verify_body(tenant_id: str) -> bytes:
    """The Wallet Crew test delivery, shaped as its events are: ``{id, event, tenantId, date,
    data}``, signed with the hex HMAC of ``delivery.post_signed``."""
    return orjson.dumps({
        "id": str(uuid.uuid4()),
        "event": VERIFY_EVENT,
        "tenantId": tenant_id,
        "date": utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "data": {},
    })


async def post_verification(client: outbound.Outbound, hook: Any, secret: str) -> Any:
    """The test delivery in the webhook's own wire format: for a native (``whsec_``) webhook a
    Standard Webhooks message of type ``webhook.verify`` (its ``data`` the webhook's id),
    which the ``standardwebhooks`` verifier accepts as it accepts every event; for the others
    the signed ``Webhook:Verify`` body."""
    if hook.dialect not in NATIVE_WIRE:
        return await post_signed(client, hook.url, verify_body(hook.tenant_id), secret)
    now = utcnow()
    body = orjson.dumps({"type": VERIFY_TYPE,
                         "timestamp": now.isoformat().replace("+00:00", "Z"),
                         "data": {"webhook_id": hook.id}})
    headers = standard_webhook_headers(ids.new_id("event"), body, secret, now)
    return await client.request("POST", hook.url, headers=headers, body=body,
                                timeout=TIMEOUT_SECONDS)


async def verify_webhook(
    db: Database, tenant_id: str, webhook_id: str, server_secret: bytes,
    client: outbound.Outbound,
) -> tuple[Any, bool]:
    """Send a signed test delivery (``post_verification``); a 2xx answer verifies it (and
    stamps ``verified_at``). No transaction is held during the call: a slow receiver must
    not hold the database (on SQLite, every writer) for up to the timeout."""
    current = await get_webhook(db, tenant_id, webhook_id)
    secret = secretbox.unseal(server_secret, SECRET_PURPOSE, current.secret_ciphertext)
    if secret is None:
        raise Conflict("the webhook's secret was sealed under another server secret; "
                       "delete the webhook and create it again")
    attempt = await post_verification(client, current, secret)
    if not attempt.ok:
        return current, False
    async with db.write() as conn:
        row = (
            await conn.execute(
                update(webhooks)
                .where(webhooks.c.id == webhook_id, webhooks.c.tenant_id == tenant_id)
                .values(verified_at=utcnow())
                .returning(webhooks)
            )
        ).first()
    if row is None:
        raise NotFound("no webhook with that id")
    return row, True
