"""Customer tokens: JWTs (HS256) that let a signed-in customer act on their own profile, as
The Wallet Crew's ``neo-customer`` bearer does. Each tenant signs with its own secret, kept
sealed in ``tenants.customer_token_secret`` (secretbox) and made on first use; rotating it
(``rotate``) ends every token issued before."""

import secrets
import time
from datetime import UTC, datetime
from typing import Any

import jwt
from sqlalchemy import select, update

from . import secretbox
from .auth import Principal
from .db import Database
from .limits import effective_limits
from .models import customers, tenants

PURPOSE = "customer-token"
ISSUER = "passgate"
AUDIENCE = "customer"
ALGORITHM = "HS256"
TTL_SECONDS = 3600
MAX_TTL_SECONDS = 30 * 24 * 3600
SCOPES = frozenset({"customers:read", "customers:write"})


def looks_like_jwt(value: str) -> bool:
    return value.startswith("eyJ") and value.count(".") == 2 and len(value) <= 4096


async def _secret(db: Database, server_secret: bytes, tenant_id: str, *, create: bool
                  ) -> bytes | None:
    async with db.read() as conn:
        sealed = await conn.scalar(select(tenants.c.customer_token_secret)
                                   .where(tenants.c.id == tenant_id))
    if sealed is None and create:
        fresh = secretbox.seal(server_secret, PURPOSE, secrets.token_urlsafe(48))
        async with db.write() as conn:  # the first writer wins; everyone reads its secret
            await conn.execute(update(tenants).where(
                tenants.c.id == tenant_id, tenants.c.customer_token_secret.is_(None))
                .values(customer_token_secret=fresh))
            sealed = await conn.scalar(select(tenants.c.customer_token_secret)
                                       .where(tenants.c.id == tenant_id))
    if sealed is None:
        return None
    plain = secretbox.unseal(server_secret, PURPOSE, sealed)
    return plain.encode() if plain is not None else None


async def issue(db: Database, server_secret: bytes, tenant_id: str, customer: Any,
                ttl: int = TTL_SECONDS) -> tuple[str, datetime]:
    """A token for ``customer`` (a customers row) and when it expires."""
    key = await _secret(db, server_secret, tenant_id, create=True)
    assert key is not None
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "tid": tenant_id, "cid": customer.id,
              "sub": customer.external_id or customer.id, "iat": now, "exp": now + ttl,
              "jti": secrets.token_urlsafe(12)}
    return jwt.encode(claims, key, algorithm=ALGORITHM), datetime.fromtimestamp(now + ttl, UTC)


async def principal(db: Database, server_secret: bytes, token: str) -> Principal | None:
    """The customer a valid token names, as a principal of its tenant that may read and
    change that customer only; None for a forged, expired or revoked token, or a customer
    that no longer exists."""
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
        tenant_id = unverified.get("tid")
        if not isinstance(tenant_id, str) or len(tenant_id) > 40:
            return None
        key = await _secret(db, server_secret, tenant_id, create=False)
        if key is None:
            return None
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE,
                            issuer=ISSUER, options={"require": ["exp", "iat", "cid", "tid"]})
    except (jwt.PyJWTError, ValueError):
        return None
    async with db.read() as conn:
        row = (await conn.execute(
            select(customers.c.id, tenants.c.name, tenants.c.plan, tenants.c.rate_limits)
            .join(tenants, tenants.c.id == customers.c.tenant_id)
            .where(customers.c.id == claims["cid"], customers.c.tenant_id == tenant_id))).first()
    if row is None:
        return None
    return Principal(
        tenant_id=tenant_id, tenant_name=row.name, plan=row.plan,
        key_id=f"customer:{row.id}", key_name="customer token", key_prefix="",
        scopes=SCOPES, dialect="walletcrew",
        limits=effective_limits(row.plan, row.rate_limits, None, dialect="walletcrew"),
        customer_id=row.id)


async def rotate(db: Database, tenant_id: str) -> None:
    """Forget the tenant's secret: every token issued so far stops working."""
    async with db.write() as conn:
        await conn.execute(update(tenants).where(tenants.c.id == tenant_id)
                           .values(customer_token_secret=None))
