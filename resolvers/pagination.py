"""Keyset pagination over time-sortable ids (Relay first/after/last/before)."""

import base64
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from .db import Database
from .errors import BadInput

MAX_PAGE_SIZE = 100
MAX_OFFSET = 100_000_000  # far beyond any real list; keeps SQL OFFSET in range
DEFAULT_PAGE_SIZE = 20


def encode_cursor(row_id: str) -> str:
    return base64.urlsafe_b64encode(f"c:{row_id}".encode()).decode()


def offset_cursor(offset: int) -> str:
    """A cursor that means "after the first ``offset`` rows": page-numbered REST clients
    (``?page=3&limit=20``) ask for ``first: 20, after: offset_cursor(40)``."""
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _decode(cursor: str, field: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raw = ""
    kind, _, value = raw.partition(":")
    if kind not in ("c", "o") or not value or len(raw) > 100 or (
        kind == "o" and (not value.isdigit() or int(value) > MAX_OFFSET)
    ):
        raise BadInput(f"{field} is not a cursor this API returned", field=field)
    return kind, value


def decode_cursor(cursor: str, field: str) -> str:
    kind, value = _decode(cursor, field)
    if kind != "c":
        raise BadInput(f"{field} is not a cursor this API returned", field=field)
    return value


@dataclass(slots=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(slots=True)
class Page:
    rows: list[Any]
    has_next_page: bool
    has_previous_page: bool
    db: Database
    count_stmt: Select[Any]

    async def total_count(self) -> int:
        async with self.db.read() as conn:
            return int(await conn.scalar(self.count_stmt) or 0)


async def paginate(
    db: Database, stmt: Select[Any], id_col: ColumnElement[str], args: PageArgs
) -> Page:
    """Run ``stmt`` (already filtered by tenant) one page at a time, newest first."""
    for name in ("first", "last"):
        size = getattr(args, name)
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise BadInput(f"{name} must be between 0 and {MAX_PAGE_SIZE}", field=name)
    if args.first is not None and args.last is not None:
        raise BadInput("use either first or last, not both", field="last")
    count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())
    # Newest first: "after" a cursor means older ids.
    offset = 0
    if args.after:
        kind, value = _decode(args.after, "after")
        if kind == "o":
            offset = int(value)
        else:
            stmt = stmt.where(id_col < value)
    if args.before:
        stmt = stmt.where(id_col > decode_cursor(args.before, "before"))
    backwards = args.last is not None
    size = args.last if backwards else (args.first if args.first is not None
                                         else DEFAULT_PAGE_SIZE)
    if offset and backwards:
        raise BadInput("an offset cursor works with first, not last", field="after")
    stmt = stmt.order_by(id_col.asc() if backwards else id_col.desc()).limit(size + 1)
    if offset:
        stmt = stmt.offset(offset)
    async with db.read() as conn:
        rows = list(await conn.execute(stmt))
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        return Page(rows, bool(args.before), more, db, count_stmt)
    return Page(rows, more, bool(args.after), db, count_stmt)
