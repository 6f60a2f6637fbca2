"""The database handle: one async engine, SQLite tuned for a single writer, PostgreSQL as is."""

import asyncio
import itertools
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

T = TypeVar("T")


def dump_json(value: Any) -> str:
    """JSON columns written with orjson (a bulk create writes 1,000 metadata and event
    bodies); what orjson refuses (an integer beyond 64 bits) falls back to the json module."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


class Database:
    """Owns the engine. ``read()`` and ``write()`` hand out connections in a transaction.

    On SQLite every write transaction starts with ``BEGIN IMMEDIATE`` behind an in-process
    lock: writers queue in asyncio instead of spinning in SQLite's busy handler, and a
    transaction that reads before it writes can never fail with SQLITE_BUSY_SNAPSHOT.
    Other processes (the CLI) wait on ``busy_timeout``.
    """

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        # orjson reads a number too large for 64 bits as a float, as it reads request bodies:
        # what is stored can always be sent back (the json module would give a big int).
        kwargs: dict[str, Any] = {"echo": echo, "json_deserializer": orjson.loads,
                                  "json_serializer": dump_json}
        # SQLite too: the default pool (5) closes and reopens connections (and aiosqlite's
        # threads) whenever a burst of readers overflows it.
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self._write_lock: asyncio.Lock | None = None
        self._writer: AsyncConnection | None = None  # SQLite: sqlite_transaction's own
        self._inline: sqlite3.Connection | None = None  # and its loop-thread connection
        self._inline_commits = 0  # transactions committed on it (see change_stamp)
        self._epoch = next(_EPOCHS)  # stamps of another Database (tests make many) never match
        # Write domain events to the outbox (resolvers/events.py). Off only to measure its cost.
        self.outbox = True
        if self.is_sqlite:
            self._write_lock = asyncio.Lock()
            _configure_sqlite(self.engine)
            self._write_engine = self.engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        else:
            self._write_engine = self.engine

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed on normal exit, rolled back on any exception."""
        if self._write_lock is None:
            async with self._write_engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self._write_engine.begin() as conn:
            yield conn

    async def sqlite_transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """SQLite only: run ``fn`` inside ``BEGIN IMMEDIATE … COMMIT``, behind the write lock,
        on the event loop's own thread.

        The hot path's transaction is a few statements on indexed rows, fsync-free in WAL
        with ``synchronous=NORMAL``: run inline it takes less time than the two thread
        switches and wake-ups of a hop to the driver's thread (measured in bench/). It must
        never wait, though: the inline connection has no busy timeout, and when another
        process holds the write lock (the CLI, a backup) the transaction goes to the
        driver's thread, which waits there on ``busy_timeout`` without blocking the loop.
        """
        assert self._write_lock is not None, "sqlite_transaction needs SQLite"
        async with self._write_lock:
            inline = self._inline_connection()
            if inline is not None:
                try:
                    inline.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as e:
                    if "locked" not in str(e) and "busy" not in str(e):
                        raise
                else:
                    try:
                        return _finish(inline, fn)
                    finally:
                        self._inline_commits += 1
            # One pooled connection kept for this path (same pragmas): given back to the
            # pool after every transaction, it would cost a ROLLBACK in the driver's
            # thread, a second hop as dear as the transaction itself.
            if self._writer is None:
                self._writer = await self.engine.connect()
            raw = await self._writer.get_raw_connection()
            driver = raw.driver_connection  # aiosqlite.Connection

            def run() -> T:
                c = driver._conn
                c.execute("BEGIN IMMEDIATE")
                return _finish(c, fn)

            return await driver._execute(run)

    def _inline_connection(self) -> sqlite3.Connection | None:
        """The loop thread's own connection to the database file (None for in-memory)."""
        if self._inline is None:
            path = self.url.database
            if not path or path == ":memory:" or path.startswith("file:"):
                return None
            c = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            for pragma in _SQLITE_PRAGMAS:
                c.execute(pragma)
            c.execute("PRAGMA busy_timeout=0")
            self._inline = c
        return self._inline

    def change_stamp(self) -> tuple[int, int, int] | None:
        """SQLite: a value that differs whenever the database may have changed since it was
        taken, so a cache checked against a row can skip rereading it while nothing at all
        was written (a cached download: bench/wallet.py). Another connection's commit, of
        this process or another, moves ``PRAGMA data_version`` of the loop's connection;
        that connection's own transactions are counted. None where there is no such value
        (PostgreSQL, an in-memory database, a refused read): read the row."""
        if not self.is_sqlite:
            return None
        inline = self._inline_connection()
        if inline is None:
            return None
        try:
            version = inline.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.OperationalError:
            return None
        return self._epoch, version, self._inline_commits

    async def read_row(self, sql: str, args: Sequence[Any]) -> tuple[Any, ...] | None:
        """One row of a small read (``?`` placeholders), as the driver returns it, the
        cheapest way each database allows: SQLite on the loop thread's own connection (a
        WAL read never waits for writers; should it be refused, through the driver's
        thread), PostgreSQL on a pooled connection's driver. Values are the driver's raw
        ones (SQLite: dates as text): for comparing, not for domain code."""
        if self.is_sqlite:
            inline = self._inline_connection()
            if inline is not None:
                try:
                    found = inline.execute(sql, args).fetchone()
                    return None if found is None else tuple(found)
                except sqlite3.OperationalError as e:
                    if "locked" not in str(e) and "busy" not in str(e):
                        raise
            async with self.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                cursor = await raw.driver_connection.execute(sql, args)
                found = await cursor.fetchone()
                await cursor.close()
                return None if found is None else tuple(found)
        count = itertools.count(1)
        numbered = _PLACEHOLDER.sub(lambda _: f"${next(count)}", sql)
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            found = await raw.driver_connection.fetchrow(numbered, *args)
            return None if found is None else tuple(found)

    async def pg_fetchrow(self, sql: str, args: Sequence[Any]) -> Any:
        """PostgreSQL only: one statement in autocommit on a pooled connection's driver
        (asyncpg, with the engine's JSON codecs), its first row or None. For the hot path,
        whose statement is compiled once; a constraint violation is SQLAlchemy's
        ``IntegrityError``, as it would be through the engine."""
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            try:
                return await raw.driver_connection.fetchrow(sql, *args)
            except Exception as e:
                if not _integrity(e):
                    raise
                raise IntegrityError(sql, list(args), e) from e

    async def dispose(self) -> None:
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        if self._inline is not None:
            self._inline.close()
            self._inline = None
            self._epoch = next(_EPOCHS)  # a new connection's data_version starts afresh
        await self.engine.dispose()


_PLACEHOLDER = re.compile(r"\?")
_EPOCHS = itertools.count()
_SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON",
                   "PRAGMA busy_timeout=10000", "PRAGMA synchronous=NORMAL")


def _integrity(e: Exception) -> bool:
    """asyncpg's integrity errors, without importing asyncpg where SQLite is all there is."""
    return any(c.__name__ == "IntegrityConstraintViolationError" for c in type(e).__mro__)


def _finish(c: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """The body of a transaction begun on ``c``: committed, or rolled back on any error."""
    try:
        result = fn(c)
    except BaseException:
        c.execute("ROLLBACK")
        raise
    c.execute("COMMIT")
    return result


def _configure_sqlite(engine: AsyncEngine) -> None:
    # Recipe from SQLAlchemy's pysqlite/aiosqlite docs: take over BEGIN from the driver.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))
