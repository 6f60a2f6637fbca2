"""Tenants, API keys and the principal a request acts as."""

import hmac
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update

from . import ids
from .db import Database
from .errors import BadInput, Forbidden, NotFound
from .limits import effective_limits
from .models import api_keys, tenants
from .scopes import check_plan, parse_scopes
from .timeutil import utcnow

DIALECTS = ("native",)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: a tenant through one of its keys."""

    tenant_id: str
    tenant_name: str
    plan: str
    key_id: str
    key_name: str
    key_prefix: str
    scopes: frozenset[str]
    dialect: str
    limits: dict[str, int]

    def has(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes

    def require(self, scope: str) -> None:
        if not self.has(scope):
            raise Forbidden(f"this API key lacks the {scope!r} scope")


@dataclass(frozen=True, slots=True)
class MintedKey:
    id: str
    key: str
    prefix: str
    scopes: list[str]
    dialect: str
    name: str


async def create_tenant(db: Database, name: str, plan: str = "free") -> dict[str, Any]:
    name = name.strip()
    if not name or len(name) > 200:
        raise BadInput("tenant name must be 1 to 200 characters", field="name")
    row = {"id": ids.new_id("tenant"), "name": name, "plan": check_plan(plan),
           "created_at": utcnow()}
    async with db.write() as conn:
        await conn.execute(insert(tenants).values(**row))
    return row


async def list_tenants(db: Database) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await conn.execute(select(tenants).order_by(tenants.c.id))
        return [dict(r._mapping) for r in rows]


async def find_tenant_by_name(db: Database, name: str) -> dict[str, Any] | None:
    async with db.read() as conn:
        row = (await conn.execute(select(tenants).where(tenants.c.name == name))).first()
        return dict(row._mapping) if row else None


async def create_key(
    db: Database,
    tenant_id: str,
    *,
    name: str = "default",
    scopes: str | list[str] = "all",
    dialect: str = "native",
) -> MintedKey:
    """Mint a key. The raw key is returned once; only its SHA-256 is kept."""
    if dialect not in DIALECTS:
        raise BadInput(f"unknown dialect {dialect!r}; dialects: {', '.join(DIALECTS)}")
    name = name.strip()
    if not name or len(name) > 200:
        raise BadInput("key name must be 1 to 200 characters", field="name")
    scope_list = parse_scopes(scopes)
    raw = ids.new_api_key()
    row = {
        "id": ids.new_id("key"),
        "tenant_id": tenant_id,
        "name": name,
        "key_hash": ids.hash_api_key(raw),
        "prefix": raw[:8],
        "last4": raw[-4:],
        "scopes": scope_list,
        "dialect": dialect,
        "created_at": utcnow(),
    }
    async with db.write() as conn:
        exists = await conn.scalar(select(tenants.c.id).where(tenants.c.id == tenant_id))
        if exists is None:
            raise NotFound(f"no tenant {tenant_id!r}")
        await conn.execute(insert(api_keys).values(**row))
    return MintedKey(row["id"], raw, row["prefix"], scope_list, dialect, name)


async def list_keys(db: Database, tenant_id: str) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(api_keys).where(api_keys.c.tenant_id == tenant_id).order_by(api_keys.c.id)
        )
        return [{k: v for k, v in r._mapping.items() if k != "key_hash"} for r in rows]


async def revoke_key(db: Database, key_id: str) -> dict[str, Any]:
    async with db.write() as conn:
        row = (
            await conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id)
                .values(revoked_at=utcnow())
                .returning(api_keys.c.id, api_keys.c.key_hash, api_keys.c.revoked_at)
            )
        ).first()
    if row is None:
        raise NotFound(f"no API key {key_id!r}")
    return dict(row._mapping)


MAX_GRACE_SECONDS = 30 * 24 * 3600


async def rotate_key(
    db: Database, tenant_id: str, key_id: str, grace_seconds: int = 0
) -> tuple[MintedKey, Any]:
    """A new secret for the key's integration: same name, scopes, dialect and limits. The old
    secret keeps working for ``grace_seconds`` (0: it stops now), then expires.

    Returns the new key and when the old one stops.
    """
    if isinstance(grace_seconds, bool) or not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise BadInput(f"graceSeconds must be between 0 and {MAX_GRACE_SECONDS}",
                       field="graceSeconds")
    now = utcnow()
    async with db.write() as conn:
        old = (await conn.execute(select(api_keys).where(
            api_keys.c.id == key_id, api_keys.c.tenant_id == tenant_id))).first()
        if old is None or old.revoked_at is not None or (
            old.expires_at is not None and old.expires_at <= now
        ):
            raise NotFound("no active API key with that id")
        raw = ids.new_api_key()
        new_id = ids.new_id("key")
        await conn.execute(insert(api_keys).values(
            id=new_id, tenant_id=tenant_id, name=old.name, key_hash=ids.hash_api_key(raw),
            prefix=raw[:8], last4=raw[-4:], scopes=old.scopes, dialect=old.dialect,
            rate_limits=old.rate_limits, created_at=now,
        ))
        stops = now + timedelta(seconds=grace_seconds)
        if old.expires_at is None or stops < old.expires_at:
            await conn.execute(update(api_keys).where(api_keys.c.id == key_id)
                               .values(expires_at=stops))
        else:
            stops = old.expires_at
    return MintedKey(new_id, raw, raw[:8], list(old.scopes), old.dialect, old.name), stops


class KeyAuthenticator:
    """Resolves raw keys to principals with a short in-process cache.

    The cache lives ``ttl`` seconds, so a revocation made elsewhere (another process, the
    CLI) takes effect within that time; ``last_used_at`` is written at most once a minute
    per key instead of on every request.
    """

    _MISS = object()

    def __init__(self, db: Database, ttl: float = 1.0, touch_every: float = 60.0) -> None:
        self.db = db
        self.ttl = ttl
        self.touch_every = touch_every
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._touched: dict[str, float] = {}

    def forget(self, key_hash: str) -> None:
        self._cache.pop(key_hash, None)

    async def authenticate(self, raw: str) -> Principal | None:
        """The key's principal, or None for an unknown, revoked or expired key."""
        if not raw or len(raw) > 200:
            return None
        digest = ids.hash_api_key(raw)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = await self._load(digest)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (now + self.ttl, principal)
        if principal is not None and now - self._touched.get(principal.key_id, -1e9) > (
            self.touch_every
        ):
            self._touched[principal.key_id] = now
            async with self.db.write() as conn:
                await conn.execute(
                    update(api_keys)
                    .where(api_keys.c.id == principal.key_id)
                    .values(last_used_at=utcnow())
                )
        return principal

    async def _load(self, digest: str) -> Principal | None:
        stmt = (
            select(api_keys, tenants.c.name.label("tenant_name"), tenants.c.plan,
                   tenants.c.rate_limits.label("tenant_limits"))
            .join(tenants, tenants.c.id == api_keys.c.tenant_id)
            .where(api_keys.c.key_hash == digest)
        )
        async with self.db.read() as conn:
            row = (await conn.execute(stmt)).first()
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at <= utcnow():
            return None
        if not hmac.compare_digest(row.key_hash, digest):
            return None
        return Principal(
            tenant_id=row.tenant_id,
            tenant_name=row.tenant_name,
            plan=row.plan,
            key_id=row.id,
            key_name=row.name,
            key_prefix=row.prefix,
            scopes=frozenset(row.scopes),
            dialect=row.dialect,
            limits=effective_limits(row.plan, row.tenant_limits, row.rate_limits),
        )


async def key_info(db: Database, key_id: str) -> dict[str, Any] | None:
    async with db.read() as conn:
        row = (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
        return dict(row._mapping) if row else None
