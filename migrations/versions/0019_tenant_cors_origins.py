"""per-tenant CORS origins

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 17:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: tenants has no triggers to keep.
    op.add_column('tenants', sa.Column('cors_origins', JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('cors_origins')
