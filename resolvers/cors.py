"""A tenant's CORS origins: which web pages may call the API from a browser.

Stored on the tenant (None: each dialect's default; an empty list: closed; ``*``: any
origin, never with credentials). Origins are compared exactly as browsers send them
(``scheme://host[:port]``, lower case, no path)."""

import re
import time
from typing import Any

from sqlalchemy import select, update

from .db import Database
from .errors import BadInput, NotFound
from .models import tenants

ANY = "*"
MAX_ORIGINS = 50
_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$")


def origin(value: Any, field: str = "origins") -> str:
    """One origin as a browser's Origin header writes it, or ``*``."""
    if not isinstance(value, str):
        raise BadInput(f"{field}: each origin must be a string", field=field)
    text = value.strip().lower()
    if text == ANY:
        return ANY
    if not _ORIGIN.match(text) or ".." in text or text.split("//", 1)[1].startswith(
        (".", "-")
    ):
        raise BadInput(f"{field}: {value!r} is not an origin; write scheme://host[:port] "
                       "(https://shop.example, http://localhost:3000) or *", field=field)
    return text


def origins(values: Any, field: str = "origins") -> list[str] | None:
    """The checked list (duplicates dropped, order kept); None keeps the dialect default."""
    if values is None:
        return None
    if not isinstance(values, list | tuple):
        raise BadInput(f"{field} must be a list of origins", field=field)
    if len(values) > MAX_ORIGINS:
        raise BadInput(f"{field}: at most {MAX_ORIGINS} origins", field=field)
    return list(dict.fromkeys(origin(v, field) for v in values))


def allows(listed: tuple[str, ...] | list[str], request_origin: str) -> str | None:
    """The Access-Control-Allow-Origin value for ``request_origin``, or None."""
    if ANY in listed:
        return ANY
    return request_origin if request_origin.lower() in listed else None


async def set_origins(db: Database, tenant_id: str, values: Any) -> list[str] | None:
    """Store the tenant's origins (None returns to the dialect defaults). Running processes
    see the change within a second (their key cache lives that long)."""
    checked = origins(values)
    async with db.write() as conn:
        done = await conn.execute(update(tenants).where(tenants.c.id == tenant_id)
                                  .values(cors_origins=checked))
        if done.rowcount == 0:
            raise NotFound("no tenant with that id")
    return checked


async def get_origins(db: Database, tenant_id: str) -> list[str] | None:
    async with db.read() as conn:
        return await conn.scalar(select(tenants.c.cors_origins)
                                 .where(tenants.c.id == tenant_id))


class ListedOrigins:
    """Whether any tenant lists an origin: a preflight carries no key, so it cannot know the
    tenant; it is admitted when some tenant allows the origin, and the real request's answer
    then carries CORS headers only for the key's own tenant. Read at most once a second."""

    def __init__(self, db: Database, ttl: float = 1.0) -> None:
        self.db = db
        self.ttl = ttl
        self._until = 0.0
        self._listed: list[tuple[str, ...]] = []

    async def allows(self, request_origin: str) -> str | None:
        now = time.monotonic()
        if now >= self._until:
            async with self.db.read() as conn:
                rows = await conn.execute(select(tenants.c.cors_origins)
                                          .where(tenants.c.cors_origins.is_not(None)))
                self._listed = [tuple(r[0]) for r in rows if r[0]]
            self._until = now + self.ttl
        found = [allows(listed, request_origin) for listed in self._listed]
        # A named origin wins over "*": it is the answer that also admits credentials.
        return request_origin if request_origin in found else (ANY if ANY in found else None)
