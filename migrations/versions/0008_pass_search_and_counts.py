"""pass search indexes (FTS5 / pg_trgm), metadata GIN, per-tenant pass counts by trigger

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 10:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from resolvers import search

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pass_counts',
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('active', sa.BigInteger(), nullable=False),
    sa.Column('suspended', sa.BigInteger(), nullable=False),
    sa.Column('unlinked', sa.BigInteger(), nullable=False),
    sa.Column('deleted', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id')
    )
    op.execute(search.BACKFILL_COUNTS)
    search.install(op.execute, op.get_bind().dialect.name)


def downgrade() -> None:
    search.uninstall(op.execute, op.get_bind().dialect.name)
    op.drop_table('pass_counts')
