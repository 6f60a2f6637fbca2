"""Tenants, API keys and the principal a request acts as."""

import asyncio
import hmac
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from . import ids, secretbox
from .db import Database
from .errors import BadInput, Conflict, Forbidden, NotFound
from .limits import effective_limits
from .models import api_keys, tenants
from .scopes import check_plan, parse_scopes
from .timeutil import utcnow

DIALECTS = ("native", "passengine", "accessgrid", "walletcrew")
# How a key of each dialect looks: PassEngine's clients expect ``2pk_…``.
KEY_PREFIX = {"passengine": "2pk_"}
ACCESSGRID = "accessgrid"
_SEALED_FOR = "accessgrid-credential"
# Never shown, not even to admins: the hash and the sealed AccessGrid secret.
HIDDEN_KEY_COLUMNS = frozenset({"key_hash", "secret_ciphertext"})


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
    account_id: str | None = None
    # The tenant's CORS origins; None: the dialect's default (gateway/cors.py).
    cors_origins: tuple[str, ...] | None = None
    # A customer signed in with a customer token (resolvers/customer_tokens.py), not a key.
    customer_id: str | None = None

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
    account_id: str | None = None


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
    server_secret: bytes | None = None,
    caller_key_id: str | None = None,
) -> MintedKey:
    """Mint a key. The raw key is returned once; only its SHA-256 is kept.

    An ``accessgrid`` credential is an account id plus a secret that signs requests; the
    server must read that secret back to check signatures, so it is also kept sealed with a
    key derived from ``server_secret`` (never in plain text).

    ``caller_key_id``: the key asking (None for the operator's CLI); a rotated one is refused.
    """
    if dialect not in DIALECTS:
        raise BadInput(f"unknown dialect {dialect!r}; dialects: {', '.join(DIALECTS)}",
                       field="dialect")
    if dialect == ACCESSGRID and server_secret is None:
        raise BadInput("an accessgrid credential needs the server secret to seal it")
    name = name.strip()
    if not name or len(name) > 200:
        raise BadInput("key name must be 1 to 200 characters", field="name")
    scope_list = parse_scopes(scopes)
    raw = ids.new_api_key(KEY_PREFIX.get(dialect, ids.API_KEY_PREFIX))
    account_id = None
    if dialect == ACCESSGRID:
        account_id = ids.new_account_id()
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
        "account_id": account_id,
        "secret_ciphertext": secretbox.seal(server_secret, _SEALED_FOR, raw)
        if account_id and server_secret is not None else None,
    }
    async with db.write() as conn:
        exists = await conn.scalar(select(tenants.c.id).where(tenants.c.id == tenant_id))
        if exists is None:
            raise NotFound(f"no tenant {tenant_id!r}")
        await _require_lasting(conn, caller_key_id, "create API keys")
        await conn.execute(insert(api_keys).values(**row))
    return MintedKey(row["id"], raw, row["prefix"], scope_list, dialect, name, account_id)


async def _require_lasting(conn: AsyncConnection, caller_key_id: str | None, action: str
                           ) -> None:
    """A key in its grace period keeps its usual calls but cannot mint keys: a leaked one
    could otherwise outlive its rotation through a key of its own. Read in the minting
    transaction, so no key cache (nor another process) can let a rotated key through."""
    if caller_key_id is None:
        return
    stops = await conn.scalar(select(api_keys.c.expires_at).where(api_keys.c.id == caller_key_id))
    if stops is not None:
        raise Forbidden(f"this API key was rotated and stops working at {stops.isoformat()}; "
                        f"it cannot {action}: use the key that replaced it")


async def list_keys(db: Database, tenant_id: str) -> list[dict[str, Any]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(api_keys).where(api_keys.c.tenant_id == tenant_id).order_by(api_keys.c.id)
        )
        return [{k: v for k, v in r._mapping.items() if k not in HIDDEN_KEY_COLUMNS}
                for r in rows]


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
    db: Database, tenant_id: str, key_id: str, grace_seconds: int = 0, *,
    caller_key_id: str | None = None,
) -> tuple[MintedKey, Any]:
    """A new secret for the key's integration: same name, scopes, dialect and limits. The old
    secret keeps working for ``grace_seconds`` (0: it stops now), then expires.

    A key is rotated once: rotating it again (from its grace period, or twice at once) is a
    CONFLICT, so a leaked key never begets more than the one replacement. The row is locked
    while this decides.

    Returns the new key and when the old one stops.
    """
    if isinstance(grace_seconds, bool) or not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise BadInput(f"graceSeconds must be between 0 and {MAX_GRACE_SECONDS}",
                       field="graceSeconds")
    now = utcnow()
    async with db.write() as conn:
        await _require_lasting(conn, caller_key_id, "rotate keys")
        old = (await conn.execute(select(api_keys).where(
            api_keys.c.id == key_id, api_keys.c.tenant_id == tenant_id).with_for_update())
        ).first()
        if old is None or old.revoked_at is not None or (
            old.expires_at is not None and old.expires_at <= now
        ):
            raise NotFound("no active API key with that id")
        if old.expires_at is not None:
            raise Conflict(f"API key {key_id} was already rotated and stops working at "
                           f"{old.expires_at.isoformat()}; rotate the key that replaced it")
        if old.dialect == ACCESSGRID:
            raise BadInput("an AccessGrid credential is rotated by creating a new one "
                           "(a new account id and secret) and revoking the old one")
        raw = ids.new_api_key(KEY_PREFIX.get(old.dialect, ids.API_KEY_PREFIX))
        new_id = ids.new_id("key")
        await conn.execute(insert(api_keys).values(
            id=new_id, tenant_id=tenant_id, name=old.name, key_hash=ids.hash_api_key(raw),
            prefix=raw[:8], last4=raw[-4:], scopes=old.scopes, dialect=old.dialect,
            rate_limits=old.rate_limits, created_at=now,
        ))
        stops = now + timedelta(seconds=grace_seconds)
        await conn.execute(update(api_keys).where(api_keys.c.id == key_id)
                           .values(expires_at=stops))
    return MintedKey(new_id, raw, raw[:8], list(old.scopes), old.dialect, old.name), stops


MISS: Any = object()  # KeyAuthenticator.cached: not known, ask authenticate


class KeyAuthenticator:
    """Resolves raw keys to principals with a short in-process cache.

    The cache lives ``ttl`` seconds, so a revocation made elsewhere (another process, the
    CLI) takes effect within that time; ``last_used_at`` is written at most once a minute
    per key instead of on every request. Its entries are found by the key as sent: a repeat
    within the second costs one dictionary lookup, not a SHA-256 of the key.
    """

    def __init__(self, db: Database, ttl: float = 1.0, touch_every: float = 60.0) -> None:
        self.db = db
        self.ttl = ttl
        self.touch_every = touch_every
        # raw key -> (good until, principal or None, the key's hash)
        self._cache: dict[str, tuple[float, Principal | None, str]] = {}
        self._accounts: dict[str, tuple[float, tuple[Principal, str] | None]] = {}
        self._touched: dict[str, float] = {}
        self._loading: dict[str, asyncio.Future[Principal | None]] = {}

    def _loaded(self, digest: str, done: asyncio.Future[Principal | None]) -> None:
        self._loading.pop(digest, None)
        if not done.cancelled():
            done.exception()  # retrieved: every waiter gets it raised

    def forget(self, key_hash: str) -> None:
        for raw in [raw for raw, hit in self._cache.items() if hit[2] == key_hash]:
            del self._cache[raw]
        self._loading.pop(key_hash, None)

    def cached(self, raw: str) -> Principal | None:
        """The principal of a key looked up within ``ttl`` (None: unknown, revoked or
        expired), without a coroutine; ``MISS`` when ``authenticate`` must be asked."""
        hit = self._cache.get(raw)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return MISS

    async def authenticate(self, raw: str) -> Principal | None:
        """The key's principal, or None for an unknown, revoked or expired key."""
        if not raw or len(raw) > 200:
            return None
        now = time.monotonic()
        hit = self._cache.get(raw)
        if hit is not None and hit[0] > now:
            return hit[1]
        digest = ids.hash_api_key(raw)
        # One load per key at a time: when the entry of a busy key expires, the requests in
        # flight wait for one query instead of each taking a connection of their own. The
        # load is a task of its own, so a request that goes away does not cancel it.
        loading = self._loading.get(digest)
        if loading is None:
            loading = self._loading[digest] = asyncio.ensure_future(self._load(digest))
            loading.add_done_callback(lambda done: self._loaded(digest, done))
        principal = await asyncio.shield(loading)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[raw] = (now + self.ttl, principal, digest)
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

    async def authenticate_account(self, account_id: str, server_secret: bytes
                                   ) -> tuple[Principal, str] | None:
        """An AccessGrid credential's principal and its unsealed secret, to check the
        request's signature with; None for an unknown, revoked or expired account."""
        if not account_id or len(account_id) > 40:
            return None
        now = time.monotonic()
        hit = self._accounts.get(account_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = None
        stmt = self._select().where(api_keys.c.account_id == account_id)
        async with self.db.read() as conn:
            row = (await conn.execute(stmt)).first()
        principal = self._principal(row)
        if principal is not None and row.secret_ciphertext:
            secret = secretbox.unseal(server_secret, _SEALED_FOR, row.secret_ciphertext)
            if secret is not None:
                found = (principal, secret)
        if len(self._accounts) > 10_000:
            self._accounts.clear()
        self._accounts[account_id] = (now + self.ttl, found)
        return found

    @staticmethod
    def _select() -> Any:
        return (
            select(api_keys, tenants.c.name.label("tenant_name"), tenants.c.plan,
                   tenants.c.rate_limits.label("tenant_limits"),
                   tenants.c.cors_origins.label("tenant_cors"))
            .join(tenants, tenants.c.id == api_keys.c.tenant_id)
        )

    async def _load(self, digest: str) -> Principal | None:
        stmt = self._select().where(api_keys.c.key_hash == digest)
        async with self.db.read() as conn:
            row = (await conn.execute(stmt)).first()
        if row is not None and not hmac.compare_digest(row.key_hash, digest):
            return None
        return self._principal(row)

    @staticmethod
    def _principal(row: Any) -> Principal | None:
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at <= utcnow():
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
            limits=effective_limits(row.plan, row.tenant_limits, row.rate_limits,
                                    dialect=row.dialect),
            account_id=row.account_id,
            cors_origins=None if row.tenant_cors is None else tuple(row.tenant_cors),
        )


async def key_info(db: Database, key_id: str) -> dict[str, Any] | None:
    async with db.read() as conn:
        row = (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
        return dict(row._mapping) if row else None
