"""Many rows of one table in one driver call, inside the caller's transaction.

A bulk create writes 1,000 passes and 1,000 outbox events. Through SQLAlchemy's
``execute(insert(table), rows)`` every value of every row passes its bind processor and the
compiled parameters are rebuilt per row: about a fifth of a bulk create's server time. Here
the rows become parameter tuples once, with the same conversions SQLAlchemy would apply
(SQLite: its datetime text format, JSON text; PostgreSQL: aware datetimes, JSON text for the
JSONB codec the engine installed), and go to the driver: SQLite's ``executemany``,
PostgreSQL's binary ``COPY``.
"""

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import asyncpg
from sqlalchemy import JSON, Boolean, DateTime, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import dump_json
from .sqlite_rows import to_sqlite

Converter = Callable[[Any], Any] | None


def _json(value: Any) -> str:
    # SQLAlchemy's JSON type stores Python None as the JSON text null, not SQL NULL.
    return dump_json(value)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _kind(column: Any) -> str:
    kind = column.type
    impl = getattr(kind, "impl", None)
    if isinstance(kind, DateTime) or isinstance(impl, DateTime):
        return "datetime"
    if isinstance(kind, JSON) or isinstance(impl, JSON):
        return "json"
    if isinstance(kind, Boolean):
        return "bool"
    return "plain"


_CONVERTERS: dict[str, dict[str, Converter]] = {
    "sqlite": {"datetime": to_sqlite, "json": _json, "bool": int, "plain": None},
    "postgresql": {"datetime": _utc, "json": _json, "bool": None, "plain": None},
}


class RowWriter:
    """One table's INSERT for the given columns, and rows turned into its parameters."""

    def __init__(self, table: Table, dialect: str, names: Sequence[str]) -> None:
        self.names = list(names)
        converters = _CONVERTERS[dialect]
        self.converters = [converters[_kind(table.c[name])] for name in self.names]
        marks = ("?" for _ in self.names) if dialect == "sqlite" else (
            f"${i}" for i in range(1, len(self.names) + 1))
        self.sql = (f"INSERT INTO {table.name} ({', '.join(self.names)}) "
                    f"VALUES ({', '.join(marks)})")

    def params(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        pairs = list(zip(self.names, self.converters, strict=True))
        out = []
        for row in rows:
            values = []
            for name, conv in pairs:
                value = row[name]
                if conv is not None and (value is not None or conv is _json):
                    value = conv(value)
                values.append(value)
            out.append(tuple(values))
        return out


@lru_cache(maxsize=64)
def _writer(table: Table, dialect: str, names: tuple[str, ...]) -> RowWriter:
    return RowWriter(table, dialect, names)


async def insert_many(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]
                      ) -> None:
    """Insert ``rows`` (every row with the same keys) in the open transaction of ``conn``.
    A unique or foreign-key violation is raised as SQLAlchemy's ``IntegrityError``, as
    ``conn.execute`` would raise it."""
    if not rows:
        return
    writer = _writer(table, conn.dialect.name, tuple(rows[0]))
    await _insert(conn, table, writer, writer.params(rows))


async def insert_params(conn: AsyncConnection, table: Table, names: tuple[str, ...],
                        params: Sequence[tuple[Any, ...]]) -> None:
    """``insert_many`` for rows already converted: tuples of ``names``' values as the
    driver takes them (the conversions ``RowWriter.params`` would apply, done by the
    caller)."""
    if params:
        await _insert(conn, table, _writer(table, conn.dialect.name, names), params)


async def _insert(conn: AsyncConnection, table: Table, writer: RowWriter,
                  params: Sequence[tuple[Any, ...]]) -> None:
    driver = (await conn.get_raw_connection()).driver_connection
    try:
        if conn.dialect.name == "sqlite":
            await driver.executemany(writer.sql, params)
        else:
            # COPY: one round trip of binary rows, several times faster than executemany's
            # bound INSERT per row; constraints, defaults and triggers apply as to INSERT.
            await driver.copy_records_to_table(table.name, records=params,
                                               columns=writer.names)
    except (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError) as e:
        raise IntegrityError(writer.sql, None, e) from None
