"""Idempotency keys (Stripe's semantics): a retried write with the same key and the same
request gets the first answer again instead of running twice.

A key is claimed by inserting its row before the request runs: the primary key
``(tenant_id, key)`` makes exactly one of any number of concurrent requests (on any process,
either database) the one that runs. The others find the row: still running (no status yet)
is a CONFLICT, a different request under the same key is a CONFLICT, the same request gets
the stored answer. Answers are kept 24 hours; older rows are purged.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from .db import Database
from .errors import BadInput, Conflict
from .models import idempotency_keys
from .timeutil import utcnow

TTL = timedelta(hours=24)
# A claim whose request never answered (its process died) is given up after this long, so a
# retry can run; a request that is still running after it is answered twice at worst.
LEASE = timedelta(minutes=5)
MAX_KEY = 255
PURGE_EVERY = 60.0  # seconds, per process
_last_purge: dict[str, float] = {}
K = idempotency_keys.c


@dataclass(frozen=True, slots=True)
class Stored:
    """The first answer, as kept."""

    status: int
    content_type: str | None
    headers: dict[str, str]
    body: bytes


def check_key(value: str, field: str = "Idempotency-Key") -> str:
    if not 1 <= len(value) <= MAX_KEY or not value.isascii() or not value.isprintable():
        raise BadInput(f"{field} must be 1 to {MAX_KEY} printable ASCII characters",
                       field=field)
    return value


def fingerprint(*parts: bytes | str) -> str:
    """What the request was: a retry must match it exactly."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


async def claim(db: Database, tenant_id: str, key: str, print_: str, what: str
                ) -> Stored | None:
    """None: this request holds the key and runs (then ``complete`` or ``release``).
    Stored: the answer to replay. ``what`` names the request in errors."""
    now = utcnow()
    await _purge(db, now)
    for _attempt in range(3):
        try:
            async with db.write() as conn:
                # An expired answer, or a claim its process abandoned, no longer holds.
                await conn.execute(delete(idempotency_keys).where(
                    K.tenant_id == tenant_id, K.key == key,
                    or_(K.created_at < now - TTL,
                        and_(K.status.is_(None), K.created_at < now - LEASE))))
                await conn.execute(insert(idempotency_keys).values(
                    tenant_id=tenant_id, key=key, fingerprint=print_, request=what[:200],
                    created_at=now))
            return None
        except IntegrityError:
            pass
        async with db.read() as conn:
            row = (await conn.execute(select(idempotency_keys).where(
                K.tenant_id == tenant_id, K.key == key))).first()
        if row is None:
            continue  # it expired or was released meanwhile: claim again
        if row.fingerprint != print_:
            raise Conflict(f"Idempotency-Key {key!r} was used for another request "
                           f"({row.request}); a retry must repeat it exactly (method, path, "
                           "body), and a new request needs a new key")
        if row.status is None:
            raise Conflict(f"a request with Idempotency-Key {key!r} is still running; "
                           "retry once it has answered")
        return Stored(row.status, row.content_type, row.headers or {}, row.body or b"")
    raise Conflict(f"Idempotency-Key {key!r} is in use; retry")


async def complete(db: Database, tenant_id: str, key: str, answer: Stored) -> None:
    async with db.write() as conn:
        await conn.execute(update(idempotency_keys).where(
            K.tenant_id == tenant_id, K.key == key, K.status.is_(None)).values(
            status=answer.status, content_type=answer.content_type,
            headers=answer.headers, body=answer.body))


async def release(db: Database, tenant_id: str, key: str) -> None:
    """The request failed before it changed anything: a retry may run it again."""
    async with db.write() as conn:
        await conn.execute(delete(idempotency_keys).where(
            K.tenant_id == tenant_id, K.key == key, K.status.is_(None)))


async def _purge(db: Database, now: Any) -> None:
    """Answers older than ``TTL`` go, at most once a minute per process."""
    tick = time.monotonic()
    name = str(db.url)
    if tick - _last_purge.get(name, -PURGE_EVERY) < PURGE_EVERY:
        return
    _last_purge[name] = tick
    async with db.write() as conn:
        await conn.execute(delete(idempotency_keys).where(K.created_at < now - TTL))
