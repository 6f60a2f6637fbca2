"""Indexes the database keeps by itself for listing passes at scale: holder search, metadata
containment and per-tenant pass counts.

They are installed by migration 0008 and maintained by triggers, so every path that writes
``passes`` (the API, the CLI, bulk SQL) keeps them right without application code:

- SQLite: ``passes_fts``, an FTS5 external-content table (trigram tokenizer, so it answers
  the same substring search as ``ILIKE '%q%'``) over name, holder name and holder email,
  keyed by the passes' rowid. ``VACUUM`` may renumber rowids of a table without an INTEGER
  PRIMARY KEY: after one, run ``INSERT INTO passes_fts(passes_fts) VALUES ('rebuild')``.
- PostgreSQL: ``pg_trgm`` GIN indexes on the same columns (``ILIKE '%q%'`` uses them) and a
  ``jsonb_path_ops`` GIN index on ``meta`` for ``@>``.
- Both: ``pass_counts``, one row per tenant with its passes per state, so ``totalCount`` of
  an unfiltered (or state-filtered) list and the plan quota are one row read.

SQLite recreates a table on ``batch_alter_table`` changes other than adding columns, which
drops its triggers and renumbers its rowids: a later migration doing that to ``passes`` runs
inside ``with search.passes_rebuilt(op):`` (tests/test_migrations.py checks the triggers).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import bindparam, literal_column, select, table, text
from sqlalchemy.sql.elements import ColumnElement

from .models import pass_counts, passes

MIN_INDEXED_SEARCH = 3  # trigram indexes cannot answer shorter substrings

# Objects these triggers and indexes own: left out when models and database are compared.
OWNED = frozenset({
    "passes_fts", "passes_fts_data", "passes_fts_idx", "passes_fts_docsize",
    "passes_fts_config", "ix_passes_name_trgm", "ix_passes_holder_name_trgm",
    "ix_passes_holder_email_trgm", "ix_passes_meta_gin",
})
STATES = ("active", "suspended", "unlinked", "deleted")

# No conflict clause: the outer statement's (INSERT OR REPLACE INTO passes …) would override
# it inside the trigger and reset the counts.
_SQLITE_COUNT_ROW = """
    INSERT INTO pass_counts (tenant_id, active, suspended, unlinked, deleted)
    SELECT {row}.tenant_id, 0, 0, 0, 0
    WHERE NOT EXISTS (SELECT 1 FROM pass_counts WHERE tenant_id = {row}.tenant_id);
"""


def _sqlite_counts(row: str, sign: str) -> str:
    sets = ", ".join(f"{s} = {s} {sign} ({row}.state = '{s}')" for s in STATES)
    return f"UPDATE pass_counts SET {sets} WHERE tenant_id = {row}.tenant_id;"


_FTS_COLS = "name, holder_name, holder_email"
SQLITE_INSTALL = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS passes_fts USING fts5({_FTS_COLS},
        content='passes', content_rowid='rowid', tokenize='trigram')""",
    f"""CREATE TRIGGER passes_fts_ai AFTER INSERT ON passes BEGIN
        INSERT INTO passes_fts (rowid, {_FTS_COLS})
        VALUES (new.rowid, new.name, new.holder_name, new.holder_email);
    END""",
    f"""CREATE TRIGGER passes_fts_ad AFTER DELETE ON passes BEGIN
        INSERT INTO passes_fts (passes_fts, rowid, {_FTS_COLS})
        VALUES ('delete', old.rowid, old.name, old.holder_name, old.holder_email);
    END""",
    f"""CREATE TRIGGER passes_fts_au AFTER UPDATE OF {_FTS_COLS} ON passes BEGIN
        INSERT INTO passes_fts (passes_fts, rowid, {_FTS_COLS})
        VALUES ('delete', old.rowid, old.name, old.holder_name, old.holder_email);
        INSERT INTO passes_fts (rowid, {_FTS_COLS})
        VALUES (new.rowid, new.name, new.holder_name, new.holder_email);
    END""",
    "INSERT INTO passes_fts (passes_fts) VALUES ('rebuild')",
    f"""CREATE TRIGGER pass_counts_ai AFTER INSERT ON passes BEGIN
        {_SQLITE_COUNT_ROW.format(row="new")}
        {_sqlite_counts("new", "+")}
    END""",
    f"""CREATE TRIGGER pass_counts_ad AFTER DELETE ON passes BEGIN
        {_sqlite_counts("old", "-")}
    END""",
    f"""CREATE TRIGGER pass_counts_au AFTER UPDATE OF state ON passes
        WHEN old.state IS NOT new.state BEGIN
        {_sqlite_counts("old", "-")}
        {_sqlite_counts("new", "+")}
    END""",
]
SQLITE_UNINSTALL = [
    *(f"DROP TRIGGER IF EXISTS {t}" for t in (
        "passes_fts_ai", "passes_fts_ad", "passes_fts_au",
        "pass_counts_ai", "pass_counts_ad", "pass_counts_au")),
    "DROP TABLE IF EXISTS passes_fts",
]


def _pg_sums(alias: str) -> str:
    return ", ".join(f"count(*) FILTER (WHERE state = '{s}')" for s in STATES) + \
        f" FROM {alias} GROUP BY tenant_id ORDER BY tenant_id"


_PG_ADD = ", ".join(f"{s} = c.{s} + excluded.{s}" for s in STATES)
_PG_SUB = ", ".join(f"{s} = c.{s} - d.{s}" for s in STATES)
_PG_MOVE = ", ".join(
    f"{s} = {s} + (NEW.state = '{s}')::int - (OLD.state = '{s}')::int" for s in STATES)
PG_INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_passes_name_trgm ON passes USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_passes_holder_name_trgm ON passes "
    "USING gin (holder_name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_passes_holder_email_trgm ON passes "
    "USING gin (holder_email gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_passes_meta_gin ON passes USING gin (meta jsonb_path_ops)",
    f"""CREATE OR REPLACE FUNCTION pass_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO pass_counts AS c (tenant_id, {", ".join(STATES)})
        SELECT tenant_id, {_pg_sums("new_rows")}
        ON CONFLICT (tenant_id) DO UPDATE SET {_PG_ADD};
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION pass_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE pass_counts AS c SET {_PG_SUB}
        FROM (SELECT tenant_id, {", ".join(f"count(*) FILTER (WHERE state = '{s}') AS {s}"
                                           for s in STATES)}
              FROM old_rows GROUP BY tenant_id) AS d
        WHERE c.tenant_id = d.tenant_id;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION pass_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE pass_counts SET {_PG_MOVE} WHERE tenant_id = NEW.tenant_id;
        RETURN NULL;
    END $$""",
    # Statement-level for inserts and deletes (one counter update per bulk statement);
    # row-level for state changes only, so the validation hot path never fires a trigger.
    """CREATE TRIGGER pass_counts_ai AFTER INSERT ON passes REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION pass_counts_insert()""",
    """CREATE TRIGGER pass_counts_ad AFTER DELETE ON passes REFERENCING OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION pass_counts_delete()""",
    """CREATE TRIGGER pass_counts_au AFTER UPDATE OF state ON passes FOR EACH ROW
       WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION pass_counts_move()""",
]
PG_UNINSTALL = [
    *(f"DROP TRIGGER IF EXISTS {t} ON passes"
      for t in ("pass_counts_ai", "pass_counts_ad", "pass_counts_au")),
    *(f"DROP FUNCTION IF EXISTS {f}()"
      for f in ("pass_counts_insert", "pass_counts_delete", "pass_counts_move")),
    *(f"DROP INDEX IF EXISTS {i}" for i in sorted(OWNED) if i.startswith("ix_")),
]
BACKFILL_COUNTS = f"""
    INSERT INTO pass_counts (tenant_id, {", ".join(STATES)})
    SELECT tenant_id, {", ".join(f"sum(CASE WHEN state = '{s}' THEN 1 ELSE 0 END)"
                                 for s in STATES)}
    FROM passes GROUP BY tenant_id
"""


def install(execute: Any, dialect: str) -> None:
    """Create the search indexes and count triggers (``execute`` runs one SQL string)."""
    for sql in SQLITE_INSTALL if dialect == "sqlite" else PG_INSTALL:
        execute(sql)


def uninstall(execute: Any, dialect: str) -> None:
    for sql in SQLITE_UNINSTALL if dialect == "sqlite" else PG_UNINSTALL:
        execute(sql)


# Triggers each database must hold after migrating (checked by tests/test_migrations.py).
TRIGGERS = {
    "sqlite": ("passes_fts_ai", "passes_fts_ad", "passes_fts_au",
               "pass_counts_ai", "pass_counts_ad", "pass_counts_au"),
    "postgresql": ("pass_counts_ai", "pass_counts_ad", "pass_counts_au"),
}


@contextmanager
def passes_rebuilt(op: Any) -> Iterator[None]:
    """For a migration that makes SQLite copy ``passes`` into a new table (Alembic batch
    mode, e.g. changing a constraint): the index and triggers are dropped first and rebuilt
    from the new table after. Nothing to do on PostgreSQL, which alters in place."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        uninstall(op.execute, dialect)
    yield
    if dialect == "sqlite":
        install(op.execute, dialect)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
                   ) -> bool:
    """Alembic filter: the objects above are the triggers' and migrations', not the models'."""
    return name not in OWNED


# ---------------------------------------------------------------- queries

_FTS = table("passes_fts", literal_column("rowid"))


def substring_clause(is_sqlite: bool, q: str) -> ColumnElement[bool] | None:
    """Passes whose name, holder name or holder email contains ``q`` (any case), through
    the index; None when ``q`` is too short for a trigram index (the caller scans)."""
    if len(q) < MIN_INDEXED_SEARCH:
        return None
    if not is_sqlite:
        like = f"%{q.replace(chr(92), '').replace('%', '').replace('_', '')}%"
        return passes.c.name.ilike(like) | passes.c.holder_name.ilike(like) | \
            passes.c.holder_email.ilike(like)
    phrase = '"' + q.replace('"', '""') + '"'  # one FTS5 string: a substring, not a query
    matches = select(literal_column("rowid")).select_from(_FTS).where(
        text("passes_fts MATCH :fts_phrase").bindparams(bindparam("fts_phrase", phrase)))
    return literal_column("passes.rowid").in_(matches)


def counted_states(status: str | None) -> tuple[str, ...] | None:
    """The states whose counters add up to a list's total, or None when the list's filter
    is not a plain state (derived statuses depend on the clock: those are counted)."""
    if status is None:
        return ("active", "suspended", "unlinked")
    if status in ("suspended", "unlinked", "deleted"):
        return (status,)
    return None


def count_stmt(tenant_id: str, states: tuple[str, ...]) -> Any:
    total = sum((getattr(pass_counts.c, s) for s in states[1:]),
                getattr(pass_counts.c, states[0]))
    return select(total).where(pass_counts.c.tenant_id == tenant_id)
