"""pass expiry announcements: passes.expiry_announced_for and the sweep's partial index

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 14:30:00.000000

Passes that had already expired when this runs are marked announced: the first sweep
announces only passes whose validity ends from now on, not years of history at once.
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNANNOUNCED = sa.text("valid_until IS NOT NULL AND state <> 'deleted' AND "
                      "(expiry_announced_for IS NULL OR expiry_announced_for <> valid_until)")


def upgrade() -> None:
    # A plain ADD COLUMN (no batch): SQLite keeps the table, and with it the search triggers.
    op.add_column('passes', sa.Column('expiry_announced_for',
                                      sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    passes = sa.table('passes', sa.column('valid_until', sqlmodel.sql.sqltypes.UTCDateTime()),
                      sa.column('expiry_announced_for', sqlmodel.sql.sqltypes.UTCDateTime()))
    op.execute(passes.update().where(passes.c.valid_until <= datetime.now(UTC))
               .values(expiry_announced_for=passes.c.valid_until))
    op.create_index('ix_passes_expiry_due', 'passes', ['valid_until'], unique=False,
                    postgresql_where=UNANNOUNCED, sqlite_where=UNANNOUNCED)


def downgrade() -> None:
    op.drop_index('ix_passes_expiry_due', table_name='passes',
                  postgresql_where=UNANNOUNCED, sqlite_where=UNANNOUNCED)
    from resolvers.search import passes_rebuilt

    with passes_rebuilt(op), op.batch_alter_table('passes', schema=None) as batch_op:
        batch_op.drop_column('expiry_announced_for')
