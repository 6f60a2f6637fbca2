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
