"""``passgate backup FILE``: a consistent copy of a SQLite database while servers write to it.

SQLite's online backup API copies pages in steps; a step that follows another connection's
write starts the copy over, which under steady writes may never end. So the copy runs inside
one read transaction on the source: in WAL mode writers carry on, and every step reads the
same snapshot. The copy is written beside FILE and renamed into place once checked, so FILE
is never a half-written database. PostgreSQL has its own tool (pg_dump).
"""

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

PAGES_PER_STEP = 1024
Progress = Callable[[int, int], None]  # (pages copied, total pages)


class BackupRefused(Exception):
    """Said to the operator as is."""


@dataclass(frozen=True, slots=True)
class BackupDone:
    source: Path
    target: Path
    pages: int
    bytes: int
    seconds: float


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupRefused(
            "passgate backup copies a SQLite database; this one is PostgreSQL: use pg_dump "
            "(pg_dump --format=custom --file=passgate.dump DBNAME, restored with pg_restore "
            "--clean --dbname=DBNAME passgate.dump)")
    if not url.database or url.database == ":memory:":
        raise BackupRefused("the SQLite database is in memory: there is no file to back up")
    return Path(url.database)


def backup(database_url: str, target: Path, *, force: bool = False,
           progress: Progress | None = None) -> BackupDone:
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupRefused(f"no database at {source}")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupRefused("the backup must go to another file than the database")
    if target.exists() and not force:
        raise BackupRefused(f"{target} exists; give --force to replace it")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.monotonic()
    src = sqlite3.connect(source, isolation_level=None, timeout=30)
    try:
        src.execute("BEGIN")  # one snapshot for every step (see the module docstring)
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        dst = sqlite3.connect(partial)
        try:
            def step(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            src.backup(dst, pages=PAGES_PER_STEP, progress=step)
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            dst.close()
        src.execute("COMMIT")
    finally:
        src.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupRefused(f"the copy failed its integrity check ({check}); nothing written")
    os.replace(partial, target)
    return BackupDone(source, target, pages, target.stat().st_size,
                      time.monotonic() - started)
