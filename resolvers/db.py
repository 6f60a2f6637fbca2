"""The database handle: one async engine, SQLite tuned for a single writer, PostgreSQL as is."""

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
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
        if not self.is_sqlite:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self._write_lock: asyncio.Lock | None = None
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
        """SQLite only: run ``fn`` inside ``BEGIN IMMEDIATE … COMMIT`` in the driver's own
        thread, in one hop from the event loop.

        The write lock is then held for the SQL alone, not for every trip back through a busy
        event loop between statements; this is what lets SQLite keep up on the hot path.
        """
        assert self._write_lock is not None, "sqlite_transaction needs SQLite"
        # Lock before connection, as in ``write()``: the other order deadlocks once every
        # pooled connection waits for the lock while the lock holder waits for a connection.
        async with self._write_lock, self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection  # aiosqlite.Connection, same pool, same pragmas

            def run() -> T:
                c = driver._conn
                c.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(c)
                except BaseException:
                    c.execute("ROLLBACK")
                    raise
                c.execute("COMMIT")
                return result

            return await driver._execute(run)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine) -> None:
    # Recipe from SQLAlchemy's pysqlite/aiosqlite docs: take over BEGIN from the driver.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))
