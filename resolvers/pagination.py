"""Keyset pagination over time-sortable ids (Relay first/after/last/before), for one list
or for the children of many parents at once (one windowed statement per batch)."""

import asyncio
import base64
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, literal_column, select
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


@dataclass(slots=True, frozen=True)
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
    count_stmt: Select[Any] | None
    counter: Callable[[], Awaitable[int]] | None = None
    # A sorted list's first row's offset: its cursors are offsets, not ids.
    offset: int | None = None

    async def total_count(self) -> int:
        if self.counter is not None:
            return await self.counter()
        assert self.count_stmt is not None
        async with self.db.read() as conn:
            return int(await conn.scalar(self.count_stmt) or 0)


@dataclass(slots=True, frozen=True)
class _Window:
    """What a PageArgs asks for, checked: where the page starts and how long it is."""

    size: int
    backwards: bool
    offset: int
    after_id: str | None
    before_id: str | None


def _window(args: PageArgs) -> _Window:
    for name in ("first", "last"):
        size = getattr(args, name)
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise BadInput(f"{name} must be between 0 and {MAX_PAGE_SIZE}", field=name)
    if args.first is not None and args.last is not None:
        raise BadInput("use either first or last, not both", field="last")
    offset, after_id = 0, None
    if args.after:
        kind, value = _decode(args.after, "after")
        if kind == "o":
            offset = int(value)
        else:
            after_id = value
    before_id = decode_cursor(args.before, "before") if args.before else None
    backwards = args.last is not None
    size = args.last if backwards else (args.first if args.first is not None
                                         else DEFAULT_PAGE_SIZE)
    if offset and backwards:
        raise BadInput("an offset cursor works with first, not last", field="after")
    assert size is not None
    return _Window(size, backwards, offset, after_id, before_id)


async def paginate(
    db: Database, stmt: Select[Any], id_col: ColumnElement[str], args: PageArgs,
    order_by: list[ColumnElement[Any]] | None = None,
) -> Page:
    """Run ``stmt`` (already filtered by tenant) one page at a time, newest first, or in
    ``order_by`` (then pages are offsets: ``first`` and ``after`` an offset cursor, which is
    what the page's edges carry)."""
    w = _window(args)
    count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())
    if order_by:
        if w.backwards or w.after_id is not None or w.before_id is not None:
            raise BadInput("a sorted list pages with first and after (the cursors it "
                           "returned), not last, before or another list's cursor",
                           field="after")
        stmt = stmt.order_by(*order_by).limit(w.size + 1).offset(w.offset or None)
        async with db.read() as conn:
            rows = list(await conn.execute(stmt))
        page = _page(rows, w, args, db, count_stmt)
        page.offset = w.offset
        return page
    # Newest first: "after" a cursor means older ids.
    if w.after_id is not None:
        stmt = stmt.where(id_col < w.after_id)
    if w.before_id is not None:
        stmt = stmt.where(id_col > w.before_id)
    if w.size == 0:
        # ``first: 0 { totalCount }``: only whether a row exists, in any order, so the
        # database may use whichever index finds one soonest.
        stmt = stmt.order_by(None).with_only_columns(
            literal_column("1"), maintain_column_froms=True).limit(1)
    else:
        stmt = stmt.order_by(id_col.asc() if w.backwards else id_col.desc()).limit(w.size + 1)
    if w.offset:
        stmt = stmt.offset(w.offset)
    async with db.read() as conn:
        rows = list(await conn.execute(stmt))
    return _page(rows, w, args, db, count_stmt)


def _page(rows: list[Any], w: _Window, args: PageArgs, db: Database,
          count_stmt: Select[Any] | None,
          counter: Callable[[], Awaitable[int]] | None = None) -> Page:
    more = len(rows) > w.size
    rows = rows[:w.size]
    if w.backwards:
        rows.reverse()
        return Page(rows, bool(args.before), more, db, count_stmt, counter)
    return Page(rows, more, bool(args.after), db, count_stmt, counter)


class _GroupCounts:
    """``totalCount`` for every parent of one batch: the first page that asks runs one
    ``GROUP BY`` statement for all of them; the others await its answer."""

    def __init__(self, db: Database, stmt: Select[Any]) -> None:
        self._db = db
        self._stmt = stmt
        self._task: asyncio.Task[dict[Any, int]] | None = None

    async def _run(self) -> dict[Any, int]:
        async with self._db.read() as conn:
            return {parent: int(n) for parent, n in await conn.execute(self._stmt)}

    def counter(self, parent: Any) -> Callable[[], Awaitable[int]]:
        async def count() -> int:
            if self._task is None:
                self._task = asyncio.ensure_future(self._run())
            return (await self._task).get(parent, 0)

        return count


async def paginate_children(
    db: Database,
    stmt: Select[Any],
    parent_col: ColumnElement[Any],
    id_col: ColumnElement[str],
    parents: Sequence[Any],
    args: PageArgs,
) -> list[Page]:
    """One page of children for each parent in ``parents`` (same order), with the same
    page arguments, in one statement: ``ROW_NUMBER() OVER (PARTITION BY parent ORDER BY
    id)`` numbers each parent's rows and the outer query keeps the wanted slice. Their
    ``totalCount``s come from one ``GROUP BY`` statement, run only if one is asked for.

    The window numbers every child of the batch's parents (PostgreSQL stops numbering a
    partition past the slice, but still reads it), so a batch costs O(children of those
    parents): cheap for a pass's scans, heavier for templates with a million passes each."""
    w = _window(args)
    wanted = list(dict.fromkeys(parents))
    if len(wanted) == 1:
        # One parent (``pass(code:) { scans }``): a plain LIMIT walks the index and stops.
        page = await paginate(db, stmt.where(parent_col == wanted[0]), id_col, args)
        return [page for _ in parents]
    stmt = stmt.where(parent_col.in_(wanted))
    counts = _GroupCounts(db, _group_count(stmt, parent_col))
    if w.after_id is not None:
        stmt = stmt.where(id_col < w.after_id)
    if w.before_id is not None:
        stmt = stmt.where(id_col > w.before_id)
    order = id_col.asc() if w.backwards else id_col.desc()
    numbered = stmt.add_columns(
        func.row_number().over(partition_by=parent_col, order_by=order).label("_rn")
    ).order_by(None).subquery()
    page_stmt = (
        select(numbered)
        .where(numbered.c._rn > w.offset, numbered.c._rn <= w.offset + w.size + 1)
        .order_by(numbered.c[parent_col.key], numbered.c._rn)
    )
    async with db.read() as conn:
        rows = list(await conn.execute(page_stmt))
    by_parent: dict[Any, list[Any]] = {p: [] for p in wanted}
    for row in rows:
        by_parent[row._mapping[numbered.c[parent_col.key]]].append(row)
    return [_page(list(by_parent[p]), w, args, db, None, counts.counter(p)) for p in parents]


def _group_count(stmt: Select[Any], parent_col: ColumnElement[Any]) -> Select[Any]:
    sub = stmt.order_by(None).subquery()
    parent = sub.c[parent_col.key]
    return select(parent, func.count()).group_by(parent)
