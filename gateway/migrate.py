"""Alembic, driven from code: upgrade, and the start-up check for an unmigrated database."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


class NotMigrated(RuntimeError):
    pass


async def check_migrated(engine: AsyncEngine, database_url: str) -> None:
    """Refuse to serve a database whose schema is not at the newest revision."""
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    async with engine.connect() as conn:
        current = await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    if current != head:
        state = "has no schema" if current is None else f"is at revision {current}"
        raise NotMigrated(
            f"the database {state}, but this passgate needs revision {head}: "
            "run `passgate migrate` first"
        )
