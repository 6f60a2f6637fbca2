"""The Alembic revisions and the SQLModel tables describe the same schema, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import resolvers.models  # noqa: F401
from resolvers.search import include_object
from tests.servers import run_cli


async def test_migrated_schema_matches_the_models(db_url):
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"include_object": include_object}),
                    SQLModel.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []


def test_migrate_is_idempotent(db_url):
    assert "up to date" in run_cli(db_url, "migrate").stdout


async def test_the_database_keeps_search_index_and_counts(db_url, backend):
    """Migration 0008's triggers keep search and totals right; a later migration that makes
    SQLite rebuild ``passes`` must run inside ``resolvers.search.passes_rebuilt``."""
    from sqlalchemy import text

    from resolvers.search import TRIGGERS

    engine = create_async_engine(db_url)
    sql = ("SELECT name FROM sqlite_master WHERE type = 'trigger'" if backend == "sqlite"
           else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    try:
        async with engine.connect() as conn:
            present = {row[0] for row in await conn.execute(text(sql))}
    finally:
        await engine.dispose()
    missing = set(TRIGGERS[backend]) - present
    assert not missing, f"triggers gone (wrap the migration in search.passes_rebuilt): {missing}"
